"""``send_broadcast``: send a message to other contacts, groups, a query or URNs (online).

Message fields as ``send_msg`` (``text``, ``attachments``, ``quick_replies``, ``template``,
``template_variables``), plus the recipients: ``groups`` (at most 100 references, by UUID or ``name_match``),
``contacts`` (at most 100), ``contact_query`` (template, at most 10000 characters), ``urns`` (at most 100) and
``legacy_vars`` (at most 100 templates of at most 1000 characters, each evaluating to a contact UUID, group name,
URN or phone number).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from sauti.engine.actions.base import MAX_TEMPLATE, Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import ContactRef, Dependency, GroupRef, TemplateRef
from sauti.engine.actions.send_msg import read_attachments
from sauti.engine.definition.fields import Reader

if TYPE_CHECKING:
    from sauti.engine.execution import Execution


@register
@dataclass(frozen=True, kw_only=True)
class SendBroadcast(Action):
    TYPE = "send_broadcast"
    FLOW_CLASS = "online"
    LOCALIZABLE = ("text", "attachments", "quick_replies")
    TEMPLATES = (
        "text",
        "attachments[*]",
        "quick_replies[*]",
        "template_variables[*]",
        "contact_query",
        "groups[*].name_match",
        "legacy_vars[*]",
    )

    text: str
    attachments: tuple[str, ...] = ()
    quick_replies: tuple[str, ...] = ()
    template: TemplateRef | None = None
    template_variables: tuple[str, ...] = ()
    groups: tuple[GroupRef, ...] = ()
    contacts: tuple[ContactRef, ...] = ()
    contact_query: str = ""
    urns: tuple[str, ...] = ()
    legacy_vars: tuple[str, ...] = ()

    @classmethod
    def read(cls, r: Reader) -> SendBroadcast:
        template = r.child("template")
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            text=r.text("text", required=True, max_len=MAX_TEMPLATE),
            attachments=read_attachments(r),
            quick_replies=r.texts("quick_replies", max_items=10, item_max=1000),
            template=TemplateRef.read(template) if template is not None else None,
            template_variables=r.texts("template_variables", max_items=100, item_max=MAX_TEMPLATE),
            **Recipients.read(r).fields(),
        )

    def dependencies(self) -> Iterator[Dependency]:
        yield from recipient_dependencies(self.groups, self.contacts)
        if self.template is not None:
            yield self.template.dependency()

    def execute(self, x: Execution) -> None:
        """Ask the platform to send a broadcast: the message evaluated once per flow language (the base
        language and each translation), and the recipients. No recipients: nothing. Group or query recipients
        are refused in a batch start. Message templates aren't supported yet (left out)."""
        from sauti.engine import events
        from sauti.engine.messages import evaluate_message
        from sauti.engine.references import resolve_recipients

        recipients = resolve_recipients(x, self.groups, self.contacts, self.contact_query, self.urns, self.legacy_vars)
        if x.is_batch and (recipients.groups or recipients.contact_query):
            x.error("Can't send broadcasts to groups during batch starts")
            return
        base = x.flow.language
        translations = {}
        for language in dict.fromkeys((base, *x.flow.localization.languages)):
            content, _ = evaluate_message(
                x, self.uuid, self.text, self.attachments, self.quick_replies, (language, base)
            )
            translations[language] = content.to_json()
        if recipients.empty:
            return
        x.log(
            events.broadcast_created(
                translations=translations,
                base_language=base,
                groups=[g.reference() for g in recipients.groups],
                contacts=list(recipients.contacts),
                contact_query=recipients.contact_query,
                urns=list(recipients.urns),
            )
        )


class RecipientFields(TypedDict):
    groups: tuple[GroupRef, ...]
    contacts: tuple[ContactRef, ...]
    contact_query: str
    urns: tuple[str, ...]
    legacy_vars: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Recipients:
    """The recipient fields shared by ``send_broadcast`` and ``start_session``."""

    groups: tuple[GroupRef, ...]
    contacts: tuple[ContactRef, ...]
    contact_query: str
    urns: tuple[str, ...]
    legacy_vars: tuple[str, ...]

    @classmethod
    def read(cls, r: Reader) -> Recipients:
        return cls(
            groups=tuple(GroupRef.read(g) for g in r.children("groups", max_items=100)),
            contacts=tuple(ContactRef.read(c) for c in r.children("contacts", max_items=100)),
            contact_query=r.text("contact_query", max_len=MAX_TEMPLATE),
            urns=r.texts("urns", max_items=100),
            legacy_vars=r.texts("legacy_vars", max_items=100, item_max=1000),
        )

    def fields(self) -> RecipientFields:
        """As constructor arguments of the actions that have them."""
        return RecipientFields(
            groups=self.groups,
            contacts=self.contacts,
            contact_query=self.contact_query,
            urns=self.urns,
            legacy_vars=self.legacy_vars,
        )


def recipient_dependencies(groups: tuple[GroupRef, ...], contacts: tuple[ContactRef, ...]) -> Iterator[Dependency]:
    for group in groups:
        if (dep := group.dependency()) is not None:
            yield dep
    for contact in contacts:
        yield contact.dependency()
