"""``add_contact_urn``: give the contact one more URN (universal).

Fields: ``scheme`` (a URN scheme Sauti knows: ``tel``, ``whatsapp``, ``mailto`` ...) and ``path`` (template,
required, at most 1000 characters). Running it sets the run local ``_has_urn``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.definition.fields import Reader
from sauti.kit.urns import PUBLIC_SCHEMES

OUTPUT_LOCAL: Final = "_has_urn"


@register
@dataclass(frozen=True, kw_only=True)
class AddContactURN(Action):
    TYPE = "add_contact_urn"
    FLOW_CLASS = "universal"
    TEMPLATES = ("path",)

    scheme: str
    path: str

    @classmethod
    def read(cls, r: Reader) -> AddContactURN:
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            scheme=r.choice("scheme", PUBLIC_SCHEMES, "is not a valid URN scheme"),
            path=r.text("path", required=True, max_len=1000),
        )

    def locals(self) -> Iterator[str]:
        yield OUTPUT_LOCAL
