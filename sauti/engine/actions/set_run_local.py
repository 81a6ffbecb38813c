"""``set_run_local``: set, increment or clear a run local (``@locals.<name>``; universal).

Fields: ``local`` (required, ``[a-z_][a-z0-9_]*``, at most 64 characters), ``value`` (template, at most 1000
characters) and ``operation`` (required: ``set``, ``increment`` or ``clear``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.definition.fields import Reader, is_local_name

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

OPERATIONS: Final = ("set", "increment", "clear")
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")
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

    def execute(self, x: Execution) -> None:
        """``set`` the local to the evaluated value, ``increment`` it by the value (both read as integers, a
        missing or non-integer local counting as 0), or ``clear`` it. Nothing on an expression error."""
        value, ok = x.evaluate(self.value)
        if not ok:
            return
        if self.operation == "set":
            x.run.locals[self.local] = value
        elif self.operation == "increment":
            if _INTEGER.fullmatch(value) is None:
                x.error("Increment value is not an integer")
                return
            existing = x.run.locals.get(self.local, "")
            base = int(existing) if _INTEGER.fullmatch(existing) else 0
            x.run.locals[self.local] = str(base + int(value))
        else:
            x.run.locals.pop(self.local, None)
