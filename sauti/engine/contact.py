"""The contact a session runs for: the caller passes it to every start and resume, the engine changes it in place
and describes every change by an event (``contact_*_changed``), so the platform may persist from either.

JSON (goflow's contact envelope; the platform builds it from its rows)::

    {"uuid": "...", "id": 42, "name": "Amina", "language": "swa", "status": "active",
     "timezone": "Africa/Nairobi", "created_on": "2024-01-01T00:00:00.000000Z", "last_seen_on": null,
     "urns": ["tel:+254700000001?channel=<channel uuid>", "whatsapp:254700000001"],
     "groups": [{"uuid": "...", "name": "Customers"}],
     "fields": {"age": {"text": "27", "number": 27}, "dob": {"text": "1990-01-02", "datetime": "1990-01-02T..."}}}

With an open ticket the contact also has ``"ticket": {"uuid": "...", "topic": {"uuid": "...", "name": "General"},
"assignee": {"email": "...", "name": "..."} or null}`` (a contact has at most one open ticket).

A URN may carry channel affinity as ``?channel=<uuid>``. ``groups`` lists every group the contact is in, manual
and smart; the engine re-evaluates smart groups itself (see :mod:`sauti.engine.modifiers`). ``fields`` holds only
fields with a value; each value keeps all its typed forms (text always; number, datetime, state, district, ward
when the text reads as one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import parse_qs

from sauti.engine.excellent.types import iso_datetime
from sauti.kit import urns as kurns
from sauti.kit.timefmt import format_utc

__all__ = [
    "STATUSES",
    "Contact",
    "ContactError",
    "ContactURN",
    "FieldValue",
    "GroupRef",
    "OpenTicket",
    "parse_datetime",
]

STATUSES: Final = ("active", "blocked", "stopped", "archived")


class ContactError(ValueError):
    """Contact JSON that can't be read."""


def parse_datetime(text: Any) -> dt.datetime | None:
    """An ISO-8601 datetime keeping its offset (``Z`` is UTC); a value without offset is UTC; else ``None``."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _required_datetime(data: Mapping[str, Any], key: str) -> dt.datetime:
    value = parse_datetime(data.get(key))
    if value is None:
        raise ContactError(f"contact needs a valid {key}")
    return value


@dataclass(frozen=True)
class GroupRef:
    """A group as the contact and events refer to it."""

    uuid: str
    name: str

    def to_json(self) -> dict[str, str]:
        return {"uuid": self.uuid, "name": self.name}


@dataclass(frozen=True)
class OpenTicket:
    """The contact's open ticket: its UUID, topic ``{uuid, name}`` and assignee ``{email, name}`` (or null)."""

    uuid: str
    topic: Mapping[str, str] | None = None
    assignee: Mapping[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "topic": dict(self.topic) if self.topic is not None else None,
            "assignee": dict(self.assignee) if self.assignee is not None else None,
        }

    @classmethod
    def from_json(cls, data: Any) -> OpenTicket:
        if not isinstance(data, Mapping) or not isinstance(data.get("uuid"), str):
            raise ContactError("a ticket needs a uuid")
        topic, assignee = data.get("topic"), data.get("assignee")
        return cls(
            data["uuid"],
            {str(k): str(v) for k, v in topic.items()} if isinstance(topic, Mapping) else None,
            {str(k): str(v) for k, v in assignee.items()} if isinstance(assignee, Mapping) else None,
        )


@dataclass
class ContactURN:
    """One address of the contact, with its optional channel affinity."""

    scheme: str
    path: str
    channel_uuid: str | None = None
    display: str | None = None

    @property
    def identity(self) -> str:
        """``scheme:path``: what makes two URNs the same address."""
        return kurns.identity(kurns.URN(self.scheme, self.path))

    def to_json(self) -> str:
        text = self.identity
        if self.channel_uuid:
            text += f"?channel={self.channel_uuid}"
        if self.display:
            text += "#" + self.display.replace("%", "%25").replace("?", "%3F").replace("#", "%23")
        return text

    @classmethod
    def from_json(cls, text: Any) -> ContactURN:
        if not isinstance(text, str):
            raise ContactError("a URN must be a string")
        try:
            urn = kurns.parse(text)
        except kurns.URNError as e:
            raise ContactError(str(e)) from None
        channel = None
        if urn.query:
            values = parse_qs(urn.query).get("channel")
            channel = values[0] if values else None
        return cls(urn.scheme, urn.path, channel, urn.display)


@dataclass(frozen=True)
class FieldValue:
    """A contact field value in all the forms its text reads as."""

    text: str
    number: Decimal | None = None
    datetime: dt.datetime | None = None
    state: str | None = None
    district: str | None = None
    ward: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text}
        if self.number is not None:
            out["number"] = self.number
        if self.datetime is not None:
            out["datetime"] = iso_datetime(self.datetime)
        for key in ("state", "district", "ward"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: Any) -> FieldValue:
        if not isinstance(data, Mapping) or not isinstance(data.get("text"), str):
            raise ContactError("a field value needs a text")
        number = None
        raw = data.get("number")
        if raw is not None and not isinstance(raw, bool):
            try:
                number = Decimal(str(raw))
            except InvalidOperation:
                raise ContactError(f"field number {raw!r} is not a number") from None
        return cls(
            data["text"],
            number,
            parse_datetime(data.get("datetime")),
            data.get("state") or None,
            data.get("district") or None,
            data.get("ward") or None,
        )


@dataclass
class Contact:
    """The session's contact (mutable: the engine changes it in place)."""

    uuid: str
    created_on: dt.datetime
    name: str = ""
    language: str = ""
    status: str = "active"
    timezone: str = ""
    last_seen_on: dt.datetime | None = None
    urns: list[ContactURN] = field(default_factory=list)
    groups: list[GroupRef] = field(default_factory=list)
    fields: dict[str, FieldValue] = field(default_factory=dict)
    id: int = 0
    ticket: OpenTicket | None = None

    def in_group(self, uuid: str) -> bool:
        return any(g.uuid == uuid for g in self.groups)

    def has_urn(self, identity: str) -> bool:
        return any(u.identity == identity for u in self.urns)

    def to_json(self) -> dict[str, Any]:
        out = self._json()
        if self.ticket is not None:
            out["ticket"] = self.ticket.to_json()
        return out

    def _json(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "status": self.status,
            "timezone": self.timezone,
            "created_on": format_utc(self.created_on),
            "last_seen_on": format_utc(self.last_seen_on),
            "urns": [u.to_json() for u in self.urns],
            "groups": [g.to_json() for g in self.groups],
            "fields": {key: value.to_json() for key, value in sorted(self.fields.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Contact:
        """Read contact JSON (missing optional keys take their empty values). Raises :class:`ContactError`."""
        if not isinstance(data, Mapping) or not isinstance(data.get("uuid"), str):
            raise ContactError("contact needs a uuid")
        status = data.get("status") or "active"
        if status not in STATUSES:
            raise ContactError(f"contact status {status!r} is not one of {', '.join(STATUSES)}")
        groups = []
        for g in data.get("groups") or ():
            if not isinstance(g, Mapping) or not isinstance(g.get("uuid"), str):
                raise ContactError("a contact group needs a uuid")
            groups.append(GroupRef(g["uuid"], str(g.get("name") or "")))
        fields = {str(k): FieldValue.from_json(v) for k, v in (data.get("fields") or {}).items() if v}
        raw_id = data.get("id") or 0
        if not isinstance(raw_id, int | Decimal) or isinstance(raw_id, bool):
            raise ContactError("contact id must be an integer")
        return cls(
            uuid=data["uuid"],
            created_on=_required_datetime(data, "created_on"),
            name=str(data.get("name") or ""),
            language=str(data.get("language") or ""),
            status=status,
            timezone=str(data.get("timezone") or ""),
            last_seen_on=parse_datetime(data.get("last_seen_on")),
            urns=[ContactURN.from_json(u) for u in data.get("urns") or ()],
            groups=groups,
            fields=fields,
            id=int(raw_id),
            ticket=OpenTicket.from_json(data["ticket"]) if data.get("ticket") else None,
        )

    def reference(self) -> dict[str, str]:
        return {"uuid": self.uuid, "name": self.name}
