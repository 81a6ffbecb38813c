"""``send_email``: send an email (online).

Fields: ``addresses`` (required, at least one template of at most 1000 characters; a ``mailto:`` prefix is
dropped), ``subject`` (template, localizable, required, at most 1000 characters) and ``body`` (template,
localizable, required, at most 10000 characters).
"""

from __future__ import annotations

from dataclasses import dataclass

from sauti.engine.actions.base import MAX_TEMPLATE, Action, action_uuid, raw_of, register
from sauti.engine.definition.fields import Reader


@register
@dataclass(frozen=True, kw_only=True)
class SendEmail(Action):
    TYPE = "send_email"
    FLOW_CLASS = "online"
    LOCALIZABLE = ("subject", "body")
    TEMPLATES = ("addresses[*]", "subject", "body")

    addresses: tuple[str, ...]
    subject: str
    body: str

    @classmethod
    def read(cls, r: Reader) -> SendEmail:
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            addresses=r.texts("addresses", required=True, min_items=1, item_max=1000),
            subject=r.text("subject", required=True, max_len=1000),
            body=r.text("body", required=True, max_len=MAX_TEMPLATE),
        )
