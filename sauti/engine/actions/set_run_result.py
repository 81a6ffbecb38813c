"""``set_run_result``: save a result of the run (universal).

Fields: ``name`` (required, 1 to 64 characters; saved under its snakified key), ``value`` (template, at most
10000 characters) and ``category`` (optional, at most 64 characters, localizable, not a template).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sauti.engine.actions.base import MAX_TEMPLATE, Action, ResultInfo, action_uuid, raw_of, register
from sauti.engine.definition.fields import MAX_NAME, Reader

if TYPE_CHECKING:
    from sauti.engine.execution import Execution


@register
@dataclass(frozen=True, kw_only=True)
class SetRunResult(Action):
    TYPE = "set_run_result"
    FLOW_CLASS = "universal"
    LOCALIZABLE = ("category",)
    TEMPLATES = ("value",)

    name: str
    value: str = ""
    category: str = ""

    @classmethod
    def read(cls, r: Reader) -> SetRunResult:
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            name=r.text("name", required=True, max_len=MAX_NAME),
            value=r.text("value", max_len=MAX_TEMPLATE),
            category=r.text("category", max_len=MAX_NAME),
        )

    def results(self) -> Iterator[ResultInfo]:
        yield ResultInfo(self.name, (self.category,) if self.category else ())

    def execute(self, x: Execution) -> None:
        """Save the evaluated value (nothing on an expression error) with the category and its localized
        name."""
        value, ok = x.evaluate(self.value)
        if not ok:
            return
        localized = x.localize(self.uuid, "category", [self.category]).texts[0] if self.category else ""
        x.save_result(self.name, value, self.category, localized)
