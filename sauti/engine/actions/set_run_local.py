"""``set_run_local``: set, increment or clear a run local (``@locals.<name>``; universal).

Fields: ``local`` (required, ``[a-z_][a-z0-9_]*``, at most 64 characters), ``value`` (template, at most 1000
characters) and ``operation`` (required: ``set``, ``increment`` or ``clear``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.definition.fields import Reader, is_local_name

OPERATIONS: Final = ("set", "increment", "clear")
LOCAL_PROBLEM: Final = "is not a valid local name ([a-z_][a-z0-9_]*, at most 64 characters)"


@register
@dataclass(frozen=True, kw_only=True)
class SetRunLocal(Action):
    TYPE = "set_run_local"
    FLOW_CLASS = "universal"
    TEMPLATES = ("value",)

    local: str
    value: str = ""
    operation: str

    @classmethod
    def read(cls, r: Reader) -> SetRunLocal:
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            local=r.text("local", required=True, check=is_local_name, problem=LOCAL_PROBLEM),
            value=r.text("value", max_len=1000),
            operation=r.choice("operation", OPERATIONS, "is not a valid operation (set, increment, clear)"),
        )

    def locals(self) -> Iterator[str]:
        yield self.local
