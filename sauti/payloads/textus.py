"""The TextUs message object (API v2 and web hooks V2) and the web hook payloads V1 and V2.

Keys are written in the order of the TextUs documentation's samples. Status words (DECISION, the documentation
shows only ``created``): a message waiting or being retried is ``created``, handed to the provider ``sent``,
confirmed ``delivered``, given up ``failed``, and an incoming one ``received``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from sauti.kit.timefmt import format_utc_millis, format_utc_seconds
from sauti.payloads.facts import ACCOUNT, CONTACT, USER, HookFacts, MessageFacts, Party

STATUS = {
    "initializing": "created",
    "queued": "created",
    "sending": "created",
    "errored": "created",
    "wired": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "failed": "failed",
}
PARTY_TYPES = {USER: "User", CONTACT: "Contact", ACCOUNT: "Account"}
SCOPE_TYPES = {"account": "Account", "organization": "Organization"}

Stamp = Callable[[datetime | None], str | None]


def status(facts: MessageFacts) -> str:
    return "received" if facts.direction == "in" else STATUS.get(facts.status, "created")


def _images(facts: MessageFacts) -> list[str]:
    return [url for ctype, _, url in (a.partition(":") for a in facts.attachments) if ctype.startswith("image/")]


def _urls(facts: MessageFacts) -> list[str]:
    return [a.partition(":")[2] for a in facts.attachments]


def _parties(sender: Party, receiver: Party) -> dict[str, Any]:
    return {
        "sender_id": sender.id,
        "receiver_id": receiver.id,
        "sender_type": PARTY_TYPES[sender.kind],
        "receiver_type": PARTY_TYPES[receiver.kind],
    }


def message(facts: MessageFacts, stamp: Stamp = format_utc_seconds) -> dict[str, Any]:
    """The Messages API object."""
    images = _images(facts)
    urls = _urls(facts)
    return {
        "read": facts.read,
        "broadcast_id": facts.broadcast_id,
        "status": status(facts),
        "deliver_at": stamp(facts.deliver_at),
        "from_autoresponse": True if facts.from_autoresponse else None,
        "id": facts.id,
        "created_at": stamp(facts.created_on),
        "updated_at": stamp(facts.modified_on),
        **_parties(facts.sender, facts.receiver),
        "content": facts.text,
        "sender_phone": facts.sender.phone,
        "sender_name": facts.sender.name,
        "sender_email": facts.sender.email,
        "receiver_phone": facts.receiver.phone,
        "receiver_name": facts.receiver.name,
        "image_url": images[0] if images else None,
        "thumb_url": images[0] if images else None,
        "media_urls": urls or None,
    }


def v1(facts: MessageFacts) -> dict[str, Any]:
    """The deprecated V1 payload: the V1 message object, flat."""
    return {
        "body": facts.text,
        "read": facts.read,
        "broadcast_id": facts.broadcast_id,
        "status": status(facts),
        "id": facts.id,
        "created_at": format_utc_seconds(facts.created_on),
        "sender": facts.sender.id,
        "sender_type": PARTY_TYPES[facts.sender.kind],
        "recipient": facts.receiver.id,
        "recipient_type": PARTY_TYPES[facts.receiver.kind],
        "sender_phone": facts.sender.phone,
        "recipient_phone": facts.receiver.phone,
    }


def hook(h: HookFacts) -> dict[str, Any]:
    """The subscription as V2 payloads show it (never its secret), timestamps in milliseconds."""
    return {
        "id": h.id,
        "url": h.url,
        "web_hookable_type": SCOPE_TYPES.get(h.scope, "Account"),
        "web_hookable_id": h.scope_id,
        "version": h.version,
        "created_at": format_utc_millis(h.created_on),
        "updated_at": format_utc_millis(h.modified_on),
    }


def v2(facts: MessageFacts, h: HookFacts, timestamp: int) -> dict[str, Any]:
    """The V2 payload: when, which subscription, and the message object (milliseconds, keys as the sample)."""
    obj = message(facts, format_utc_millis)
    obj.pop("media_urls")
    content = obj.pop("content")
    return {"timestamp": timestamp, "web_hook": hook(h), "message": {"content": content, **obj}}


def body(facts: MessageFacts, h: HookFacts, timestamp: int) -> bytes:
    """The bytes to POST for one message event to one subscription (signed as they are, for V2)."""
    payload = v1(facts) if h.version == "1" else v2(facts, h, timestamp)
    return orjson.dumps(payload)
