"""``set_contact_name``: set (or, with an empty value, clear) the contact's name (universal).

Field: ``name`` (template, at most 1000 characters; may be empty).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.definition.fields import Reader

if TYPE_CHECKING:
    from sauti.engine.execution import Execution


@register
@dataclass(frozen=True, kw_only=True)
class SetContactName(Action):
    TYPE = "set_contact_name"
    FLOW_CLASS = "universal"
    TEMPLATES = ("name",)

    name: str = ""

    @classmethod
    def read(cls, r: Reader) -> SetContactName:
        return cls(uuid=action_uuid(r), raw=raw_of(r), name=r.text("name", max_len=1000))

    def execute(self, x: Execution) -> None:
        """Set the trimmed evaluated name (``""`` clears it; nothing on an expression error)."""
        name, ok = x.evaluate(self.name)
        if ok:
            x.contact_changer().set_name(name.strip())
