"""Building outgoing message content from a message action (``send_msg``, ``send_broadcast``).

:func:`evaluate_message` localizes the text, attachments and quick replies of an action (keyed by its UUID) and
evaluates each as a template. Attachments that don't evaluate to ``<content type>:<url>`` or are longer than
2048 characters are dropped, and so are quick replies that evaluate to ``""``, each with an ``error`` event. A
quick reply may be written ``text<extra>description``, ``<url>label<extra>https://...``, ``<form>...`` or
``<location>text``; its text is cut to 64 characters and its extra to 1000 (with an ellipsis).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sauti.engine.assets import ChannelAsset
from sauti.engine.contact import ContactURN
from sauti.engine.definition.fields import is_attachment
from sauti.engine.excellent import truncate

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

__all__ = ["MAX_ATTACHMENT_LENGTH", "MsgContent", "evaluate_message", "locale", "resolve_route"]

MAX_ATTACHMENT_LENGTH: Final = 2048
MAX_QUICK_REPLY_TEXT: Final = 64
MAX_QUICK_REPLY_EXTRA: Final = 1000


@dataclass(frozen=True)
class MsgContent:
    text: str
    attachments: tuple[str, ...] = ()
    quick_replies: tuple[dict[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text}
        if self.attachments:
            out["attachments"] = list(self.attachments)
        if self.quick_replies:
            out["quick_replies"] = [dict(q) for q in self.quick_replies]
        return out


def quick_reply(text: str) -> dict[str, str]:
    """A quick reply object ``{type, text?, extra?}`` from its evaluated text form."""
    if text.startswith("<location>"):
        return {"type": "location", "text": truncate(text.removeprefix("<location>"), MAX_QUICK_REPLY_TEXT)}
    kind = "text"
    for prefix in ("form", "url"):
        if text.startswith(f"<{prefix}>"):
            kind, text = prefix, text.removeprefix(f"<{prefix}>")
            break
    label, _, extra = text.partition("<extra>")
    out = {"type": kind, "text": truncate(label, MAX_QUICK_REPLY_TEXT)}
    if extra:
        out["extra"] = truncate(extra, MAX_QUICK_REPLY_EXTRA)
    if not out["text"]:
        del out["text"]
    return out


def evaluate_message(
    x: Execution,
    item_uuid: str,
    text: str,
    attachments: Sequence[str],
    quick_replies: Sequence[str],
    languages: Sequence[str] | None = None,
) -> tuple[MsgContent, str]:
    """The evaluated content and the one language it is in (the text's, else the attachments', else the quick
    replies'; ``""`` when all are empty)."""
    local_text = x.localize(item_uuid, "text", [text], languages)
    evaluated_text, _ = x.evaluate(local_text.texts[0])

    local_attachments = x.localize(item_uuid, "attachments", attachments, languages)
    evaluated_attachments = []
    for template in local_attachments.texts:
        value = x.evaluate(template)[0].strip()
        if not is_attachment(value):
            x.error("Attachment evaluated to invalid value and will be ignored")
        elif len(value) > MAX_ATTACHMENT_LENGTH:
            x.error(f"Evaluated attachment is longer than the {MAX_ATTACHMENT_LENGTH} limit and will be ignored")
        else:
            evaluated_attachments.append(value)

    local_replies = x.localize(item_uuid, "quick_replies", quick_replies, languages)
    evaluated_replies = []
    for template in local_replies.texts:
        value = x.evaluate(template)[0]
        if value == "":
            x.error("Quick reply evaluated to empty string and will be ignored")
            continue
        evaluated_replies.append(quick_reply(value))

    language = ""
    if local_text.texts[0]:
        language = local_text.language
    elif local_attachments.texts:
        language = local_attachments.language
    elif local_replies.texts:
        language = local_replies.language
    content = MsgContent(evaluated_text, tuple(evaluated_attachments), tuple(evaluated_replies))
    return content, language


def locale(language: str, country: str | None) -> str:
    """``eng-US`` style, ``eng`` without a country, ``""`` without a language (or for ``und``)."""
    if not language or language == "und":
        return ""
    return f"{language}-{country}" if country else language


def resolve_route(x: Execution) -> tuple[ContactURN, ChannelAsset] | None:
    """The contact's first URN that a channel can send to (honouring channel affinity), and that channel."""
    for urn in x.contact.urns:
        channel = x.assets.channel_for(urn.scheme, urn.channel_uuid)
        if channel is not None:
            return urn, channel
    return None
