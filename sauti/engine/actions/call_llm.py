"""``call_llm``: ask a large language model and keep its answer in a run local (online).

Fields: ``llm`` (required reference), ``instructions`` (template, required, at most 10000 characters), ``input``
(template, at most 10000 characters) and ``output_local`` (required local name: set to the answer, or
``<ERROR>``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sauti.engine.actions.base import MAX_TEMPLATE, Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import Dependency, LLMRef
from sauti.engine.actions.set_run_local import LOCAL_PROBLEM
from sauti.engine.definition.fields import Reader, is_local_name


@register
@dataclass(frozen=True, kw_only=True)
class CallLLM(Action):
    TYPE = "call_llm"
    FLOW_CLASS = "online"
    TEMPLATES = ("instructions", "input")

    llm: LLMRef
    instructions: str
    input: str = ""
    output_local: str

    @classmethod
    def read(cls, r: Reader) -> CallLLM:
        llm = r.child("llm", required=True)
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            llm=LLMRef.read(llm) if llm is not None else LLMRef("", ""),
            instructions=r.text("instructions", required=True, max_len=MAX_TEMPLATE),
            input=r.text("input", max_len=MAX_TEMPLATE),
            output_local=r.text("output_local", required=True, check=is_local_name, problem=LOCAL_PROBLEM),
        )

    def dependencies(self) -> Iterator[Dependency]:
        yield self.llm.dependency()

    def locals(self) -> Iterator[str]:
        yield self.output_local
