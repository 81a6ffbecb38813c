"""``send_msg``: send a message to the contact (universal).

Fields: ``text`` (template, localizable, required, at most 10000 characters); ``attachments`` (at most 10, each
``<content type>:<url>`` with a template URL, at most 8192 characters, localizable); ``quick_replies`` (at most 10,
each at most 1000 characters, localizable); ``template`` (a WhatsApp-style template reference) and its
``template_variables`` (at most 100 templates).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sauti.engine.actions.base import MAX_TEMPLATE, Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import Dependency, TemplateRef
from sauti.engine.definition.fields import Reader, is_attachment


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


def read_attachments(r: Reader) -> tuple[str, ...]:
    """The ``attachments`` list shared by the message actions."""
    return r.texts(
        "attachments",
        max_items=10,
        item_max=8192,
        item_check=is_attachment,
        item_problem="is not a valid attachment (<content type>:<url>)",
    )
