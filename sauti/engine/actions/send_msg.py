"""``send_msg``: send a message to the contact (universal).

Fields: ``text`` (template, localizable, required, at most 10000 characters); ``attachments`` (at most 10, each
``<content type>:<url>`` with a template URL, at most 8192 characters, localizable); ``quick_replies`` (at most 10,
each at most 1000 characters, localizable); ``template`` (a WhatsApp-style template reference) and its
``template_variables`` (at most 100 templates).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sauti.engine.actions.base import MAX_TEMPLATE, Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import Dependency, TemplateRef
from sauti.engine.definition.fields import Reader, is_attachment

if TYPE_CHECKING:
    from sauti.engine.execution import Execution


UNSENDABLE_STATUSES: Final = {
    "blocked": "contact_blocked",
    "stopped": "contact_stopped",
    "archived": "contact_archived",
}


@register
@dataclass(frozen=True, kw_only=True)
class SendMsg(Action):
    TYPE = "send_msg"
    FLOW_CLASS = "universal"
    LOCALIZABLE = ("text", "attachments", "quick_replies")
    TEMPLATES = ("text", "attachments[*]", "quick_replies[*]", "template_variables[*]")

    text: str
    attachments: tuple[str, ...] = ()
    quick_replies: tuple[str, ...] = ()
    template: TemplateRef | None = None
    template_variables: tuple[str, ...] = ()

    @classmethod
    def read(cls, r: Reader) -> SendMsg:
        template = r.child("template")
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            text=r.text("text", required=True, max_len=MAX_TEMPLATE),
            attachments=read_attachments(r),
            quick_replies=r.texts("quick_replies", max_items=10, item_max=1000),
            template=TemplateRef.read(template) if template is not None else None,
            template_variables=r.texts("template_variables", max_items=100, item_max=MAX_TEMPLATE),
        )

    def dependencies(self) -> Iterator[Dependency]:
        if self.template is not None:
            yield self.template.dependency()

    def execute(self, x: Execution) -> None:
        """Send the localized, evaluated message to the contact's first sendable URN. A blocked, stopped or
        archived contact's message is still created, marked unsendable, and so is one with no route (no URN a
        channel can send to). Message templates aren't supported yet: the text is sent as it is."""
        from sauti.engine import events
        from sauti.engine.messages import evaluate_message, locale, resolve_route

        content, language = evaluate_message(x, self.uuid, self.text, self.attachments, self.quick_replies)
        reason = UNSENDABLE_STATUSES.get(x.contact.status, "")
        route = resolve_route(x)
        msg: dict[str, Any] = {}
        if route is not None:
            msg["urn"] = route[0].identity
            msg["channel"] = route[1].reference()
        else:
            reason = "no_route"
        msg.update(content.to_json())
        msg_locale = locale(language, x.env.default_country)
        if msg_locale:
            msg["locale"] = msg_locale
        if reason:
            msg["unsendable_reason"] = reason
        x.log(events.msg_created(msg))


def read_attachments(r: Reader) -> tuple[str, ...]:
    """The ``attachments`` list shared by the message actions."""
    return r.texts(
        "attachments",
        max_items=10,
        item_max=8192,
        item_check=is_attachment,
        item_problem="is not a valid attachment (<content type>:<url>)",
    )
