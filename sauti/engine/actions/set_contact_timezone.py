"""``set_contact_timezone``: set (or clear) the contact's timezone, an IANA name (universal).

Field: ``timezone`` (template, at most 1000 characters; may be empty).
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
class SetContactTimezone(Action):
    TYPE = "set_contact_timezone"
    FLOW_CLASS = "universal"
    TEMPLATES = ("timezone",)

    timezone: str = ""

    @classmethod
    def read(cls, r: Reader) -> SetContactTimezone:
        return cls(uuid=action_uuid(r), raw=raw_of(r), timezone=r.text("timezone", max_len=1000))

    def execute(self, x: Execution) -> None:
        """Set the trimmed evaluated timezone: ``""`` clears it, a name that isn't an IANA zone is an error."""
        from sauti.engine.env import InvalidEnvironment, load_timezone

        timezone, ok = x.evaluate(self.timezone)
        timezone = timezone.strip()
        if not ok:
            return
        if timezone:
            try:
                load_timezone(timezone)
            except InvalidEnvironment:
                x.error(f"Unrecognized timezone: '{timezone}'", "timezone_invalid", timezone=timezone)
                return
        x.contact_changer().set_timezone(timezone)
