"""``set_contact_language``: set (or clear) the contact's language, an ISO-639-3 code (universal).

Field: ``language`` (template, at most 1000 characters; may be empty). Whether it evaluates to a valid code is
only known when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.definition.fields import Reader


@register
@dataclass(frozen=True, kw_only=True)
class SetContactLanguage(Action):
    TYPE = "set_contact_language"
    FLOW_CLASS = "universal"
    TEMPLATES = ("language",)

    language: str = ""

    @classmethod
    def read(cls, r: Reader) -> SetContactLanguage:
        return cls(uuid=action_uuid(r), raw=raw_of(r), language=r.text("language", max_len=1000))
