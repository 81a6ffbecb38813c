"""The session's input: the inbound message that started or resumed it (``@input``).

It is read from a ``msg_received`` event (a ``msg`` trigger or resume carries one)::

    {"uuid": "<event uuid>", "type": "msg_received", "created_on": "...",
     "msg": {"uuid": "<message uuid>", "urn": "tel:+254700000001", "channel": {"uuid": "...", "name": "SMS"},
             "text": "Amina", "attachments": ["image/jpeg:https://..."], "external_id": "SM123"}}

The input's UUID is the message's ``uuid`` when the event gives one, else the event's: the platform should
make it its message UUID, because ``input_labels_added`` names the message to label by it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sauti.engine.contact import parse_datetime
from sauti.kit.timefmt import format_utc

__all__ = ["InputError", "MsgInput"]


class InputError(ValueError):
    """A ``msg_received`` event that can't be read."""


@dataclass(frozen=True)
class MsgInput:
    uuid: str
    created_on: dt.datetime
    text: str = ""
    urn: str | None = None
    channel: Mapping[str, str] | None = None
    attachments: tuple[str, ...] = ()
    external_id: str = ""
    payload: Any = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> MsgInput:
        if not isinstance(event, Mapping) or event.get("type", "msg_received") != "msg_received":
            raise InputError("input must come from a msg_received event")
        msg = event.get("msg")
        if not isinstance(msg, Mapping):
            raise InputError("msg_received event needs a msg")
        uuid = msg.get("uuid") or event.get("uuid")
        created_on = parse_datetime(event.get("created_on"))
        if not isinstance(uuid, str) or created_on is None:
            raise InputError("msg_received event needs a uuid and created_on")
        channel = msg.get("channel")
        if channel is not None and (not isinstance(channel, Mapping) or not isinstance(channel.get("uuid"), str)):
            raise InputError("msg channel must be a reference {uuid, name}")
        attachments = msg.get("attachments") or ()
        if not all(isinstance(a, str) for a in attachments):
            raise InputError("msg attachments must be strings")
        return cls(
            uuid=uuid,
            created_on=created_on,
            text=str(msg.get("text") or ""),
            urn=msg.get("urn") or None,
            channel={"uuid": channel["uuid"], "name": str(channel.get("name") or "")} if channel else None,
            attachments=tuple(attachments),
            external_id=str(msg.get("external_id") or ""),
            payload=msg.get("payload"),
        )

    def to_json(self) -> dict[str, Any]:
        """goflow's input JSON (``type`` msg)."""
        out: dict[str, Any] = {"type": "msg", "uuid": self.uuid, "created_on": format_utc(self.created_on)}
        if self.channel is not None:
            out["channel"] = dict(self.channel)
        if self.urn:
            out["urn"] = self.urn
        out["text"] = self.text
        if self.attachments:
            out["attachments"] = list(self.attachments)
        if self.external_id:
            out["external_id"] = self.external_id
        if self.payload is not None:
            out["payload"] = self.payload
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MsgInput:
        """Read what :meth:`to_json` writes."""
        if not isinstance(data, Mapping) or data.get("type") != "msg":
            raise InputError("only msg inputs are supported")
        created_on = parse_datetime(data.get("created_on"))
        if not isinstance(data.get("uuid"), str) or created_on is None:
            raise InputError("input needs a uuid and created_on")
        channel = data.get("channel")
        return cls(
            uuid=data["uuid"],
            created_on=created_on,
            text=str(data.get("text") or ""),
            urn=data.get("urn") or None,
            channel=dict(channel) if isinstance(channel, Mapping) else None,
            attachments=tuple(data.get("attachments") or ()),
            external_id=str(data.get("external_id") or ""),
            payload=data.get("payload"),
        )

    def rendered(self) -> str:
        """``@input`` as text: the text, then each attachment's URL, one per line."""
        parts = [self.text] if self.text else []
        parts += [a.split(":", 1)[1] if ":" in a else a for a in self.attachments]
        return "\n".join(parts)
