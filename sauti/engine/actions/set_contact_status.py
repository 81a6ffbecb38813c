"""``set_contact_status``: make the contact active, blocked, stopped or archived (universal).

Field: ``status`` (required, one of ``active blocked stopped archived``; not a template).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.definition.fields import Reader

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

STATUSES: Final = ("active", "blocked", "stopped", "archived")


@register
@dataclass(frozen=True, kw_only=True)
class SetContactStatus(Action):
    TYPE = "set_contact_status"
    FLOW_CLASS = "universal"

    status: str

    @classmethod
    def read(cls, r: Reader) -> SetContactStatus:
        status = r.choice("status", STATUSES, "is not a valid contact status (active, blocked, stopped, archived)")
        return cls(uuid=action_uuid(r), raw=raw_of(r), status=status)

    def execute(self, x: Execution) -> None:
        """Set the status; a contact who is no longer active leaves every group (see ``ContactChanger``)."""
        x.contact_changer().set_status(self.status)
