"""The plain facts a payload is made of, filled in by the domain (``domain/messages/parties.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# who is at either end of a message
USER = "user"  # a user of the workspace sent it
CONTACT = "contact"
ACCOUNT = "account"  # the workspace itself (an inbound message's receiver, an automatic message's sender)


@dataclass(frozen=True)
class Party:
    kind: str  # USER, CONTACT or ACCOUNT
    id: int
    phone: str | None  # E.164
    name: str | None
    email: str | None = None


@dataclass(frozen=True)
class MessageFacts:
    id: int
    direction: str  # in | out
    status: str  # Sauti's status (queued, wired, delivered, handled...)
    text: str
    read: bool
    broadcast_id: int | None
    deliver_at: datetime | None
    from_autoresponse: bool
    created_on: datetime
    modified_on: datetime
    sender: Party
    receiver: Party
    attachments: tuple[str, ...] = ()  # content/type:url


@dataclass(frozen=True)
class HookFacts:
    """A subscription, as its payloads describe it."""

    id: int
    url: str
    scope: str  # account | organization
    scope_id: int
    version: str
    created_on: datetime
    modified_on: datetime
