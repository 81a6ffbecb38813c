"""``call_classifier``: the NLU classifier call of old flows, kept so their exports import (online).

Fields: ``input`` (template, required, at most 10000 characters) and ``result_name`` (required, 1 to 64
characters). goflow no longer calls classifiers: the action warns and saves the result with category Failure
(the result still advertises Success, Skipped and Failure so old routers on it stay valid). An old ``classifier``
reference is kept for the dependency list only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sauti.engine.actions.base import (
    FAILURE,
    MAX_TEMPLATE,
    SKIPPED,
    SUCCESS,
    Action,
    ResultInfo,
    action_uuid,
    raw_of,
    register,
)
from sauti.engine.actions.refs import ClassifierRef, Dependency
from sauti.engine.definition.fields import MAX_NAME, Reader, is_uuid


@register
@dataclass(frozen=True, kw_only=True)
class CallClassifier(Action):
    TYPE = "call_classifier"
    FLOW_CLASS = "online"
    TEMPLATES = ("input",)

    input: str
    result_name: str
    classifier: ClassifierRef | None = None

    @classmethod
    def read(cls, r: Reader) -> CallClassifier:
        legacy = r.get("classifier")
        classifier = None
        if isinstance(legacy, dict) and is_uuid(legacy.get("uuid")):
            name = legacy.get("name")
            classifier = ClassifierRef(legacy["uuid"], name if isinstance(name, str) else "")
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            input=r.text("input", required=True, max_len=MAX_TEMPLATE),
            result_name=r.text("result_name", required=True, max_len=MAX_NAME),
            classifier=classifier,
        )

    def dependencies(self) -> Iterator[Dependency]:
        if self.classifier is not None:
            yield self.classifier.dependency()

    def results(self) -> Iterator[ResultInfo]:
        yield ResultInfo(self.result_name, (SUCCESS, SKIPPED, FAILURE))
