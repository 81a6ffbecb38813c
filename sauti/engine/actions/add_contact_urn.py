"""``add_contact_urn``: give the contact one more URN (universal).

Fields: ``scheme`` (a URN scheme Sauti knows: ``tel``, ``whatsapp``, ``mailto`` ...) and ``path`` (template,
required, at most 1000 characters). Running it sets the run local ``_has_urn``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.definition.fields import Reader
from sauti.kit.urns import PUBLIC_SCHEMES

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

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

    def execute(self, x: Execution) -> None:
        """Add ``scheme:path`` (path evaluated and trimmed, then normalized: tel numbers to E.164 with the
        contact's country) unless the contact has it; ``@locals._has_urn`` becomes the URN when the contact
        has it afterwards, else ``""``. The platform decides what happens when another contact owns it."""
        from sauti.engine.contact import ContactURN
        from sauti.kit import urns as kurns

        path = x.evaluate(self.path)[0].strip()
        if not path:
            x.error("Can't add URN with empty path")
            return
        country = x.env.default_country
        urn = kurns.normalize(kurns.URN(self.scheme, path), country)
        identity = kurns.identity(urn)
        if kurns.validate(urn, country):
            x.contact_changer().add_urn(ContactURN(urn.scheme, urn.path))
        else:
            x.error(f"'{identity}' is not valid URN", "urn_invalid", urn=identity)
        x.run.locals[OUTPUT_LOCAL] = identity if x.contact.has_urn(identity) else ""
