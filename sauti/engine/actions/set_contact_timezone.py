"""``set_contact_timezone``: set (or clear) the contact's timezone, an IANA name (universal).

Field: ``timezone`` (template, at most 1000 characters; may be empty).
"""

from __future__ import annotations

from dataclasses import dataclass

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.definition.fields import Reader


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
