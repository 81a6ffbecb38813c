"""``set_contact_language``: set (or clear) the contact's language, an ISO-639-3 code (universal).

Field: ``language`` (template, at most 1000 characters; may be empty). Whether it evaluates to a valid code is
only known when it runs.
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
class SetContactLanguage(Action):
    TYPE = "set_contact_language"
    FLOW_CLASS = "universal"
    TEMPLATES = ("language",)

    language: str = ""

    @classmethod
    def read(cls, r: Reader) -> SetContactLanguage:
        return cls(uuid=action_uuid(r), raw=raw_of(r), language=r.text("language", max_len=1000))

    def execute(self, x: Execution) -> None:
        """Set the trimmed evaluated language: ``""`` clears it, anything but an ISO-639-3 code is an error."""
        from sauti.engine.definition.fields import is_language

        language, ok = x.evaluate(self.language)
        language = language.strip()
        if not ok:
            return
        if language and not is_language(language):
            x.error(f"'{language}' is not a valid language code", "language_invalid", language=language)
            return
        x.contact_changer().set_language(language)
