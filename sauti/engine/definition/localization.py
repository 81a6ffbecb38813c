"""A flow's translations and the rule choosing which language a run sees.

``localization`` maps a language to items (actions, categories, cases, by UUID) to properties (``text``,
``quick_replies``, ``name``, ``arguments`` ...) to lists of strings::

    {"swa": {"<action uuid>": {"text": ["Habari!"]}, "<category uuid>": {"name": ["Sahihi"]}}}

A translation counts only when it is a non-empty list of strings and not the single empty string the editor
sometimes saves; anything else (the editor's ``_ui`` stash, a bare string) is ignored, never an error.

Language choice (:meth:`Localization.preferred_languages`): the contact's language if the workspace allows it,
else the workspace default; then the workspace default if different; then the flow's own language. The first of
those with a translation for the item and property wins, and reaching the flow's language means the base text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class Localized:
    """Strings chosen for an item's property and the language they are in (the flow's language for the base)."""

    texts: tuple[str, ...]
    language: str


@dataclass(frozen=True)
class Localization:
    """The translations of one flow, whose base texts are in ``base_language``."""

    base_language: str
    translations: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages with translations, in definition order."""
        return tuple(self.translations)

    def get(self, language: str, item_uuid: str, prop: str) -> tuple[str, ...] | None:
        """The usable translation of ``prop`` of ``item_uuid`` in ``language``, or ``None``."""
        items = self.translations.get(language)
        item = items.get(item_uuid) if isinstance(items, Mapping) else None
        value = item.get(prop) if isinstance(item, Mapping) else None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None
        if not value or value == [""]:
            return None
        return tuple(value)

    def preferred_languages(
        self, contact_language: str | None, allowed_languages: Sequence[str], default_language: str | None
    ) -> tuple[str, ...]:
        """The languages to try, in order, for a contact (see the module docstring)."""
        merged = contact_language if contact_language and contact_language in allowed_languages else None
        merged = merged or default_language
        out: list[str] = []
        if merged:
            out.append(merged)
        if default_language and default_language != merged:
            out.append(default_language)
        out.append(self.base_language)
        return tuple(out)

    def localize_in(self, languages: Sequence[str], item_uuid: str, prop: str, base: Sequence[str]) -> Localized:
        """The first usable translation among ``languages``; the base texts once the flow's language is reached
        (or when none has one)."""
        for language in languages:
            if language == self.base_language:
                break
            texts = self.get(language, item_uuid, prop)
            if texts is not None:
                return Localized(texts, language)
        return Localized(tuple(base), self.base_language)

    def localize(
        self,
        item_uuid: str,
        prop: str,
        base: Sequence[str],
        *,
        contact_language: str | None,
        allowed_languages: Sequence[str],
        default_language: str | None,
    ) -> Localized:
        """The strings a contact sees for ``prop`` of ``item_uuid`` (``base`` holds the flow's own texts)."""
        languages = self.preferred_languages(contact_language, allowed_languages, default_language)
        return self.localize_in(languages, item_uuid, prop, base)
