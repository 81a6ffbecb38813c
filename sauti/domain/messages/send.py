"""Creating outgoing messages: pick a URN and a channel able to reach it, and queue a row for the outbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import bulk, plain
from sauti.db.base import table_of
from sauti.domain.channels import queries as channel_queries
from sauti.domain.contacts.queries import by_references as contacts_by_references
from sauti.domain.errors import GENERAL, ErrorCollector, Problem
from sauti.domain.messages.content import QuickReply, check_quick_replies, resolve_attachments
from sauti.kit import clock
from sauti.models import Contact, ContactURN, Message, User, Workspace

# failed_reason codes
NO_DESTINATION = "D"
CONTACT_INACTIVE = "C"


class Reachable(Protocol):
    """What routing reads of a URN (a ContactURN row, or just those columns)."""

    id: int
    scheme: str
    path: str
    channel_id: int | None


class Recipient(Protocol):
    """What queuing reads of a contact (a Contact row, or just those columns)."""

    id: int
    is_active: bool
    status: str


class Sender(Protocol):
    """What routing reads of a sending channel (a Channel row, or just those columns)."""

    @property
    def id(self) -> int: ...

    @property
    def schemes(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Route:
    urn: Reachable | None
    channel: Sender | None


def route(urns: Sequence[Reachable], channels: Sequence[Sender]) -> Route:
    """The contact's first URN (by priority) that some sending channel can reach; the URN's own channel
    (where the contact last wrote from) is preferred, else the oldest channel for that scheme."""
    by_id = {c.id: c for c in channels}
    for urn in urns:
        preferred = by_id.get(urn.channel_id) if urn.channel_id else None
        if preferred is not None and urn.scheme in (preferred.schemes or []):
            return Route(urn, preferred)
        for channel in channels:
            if urn.scheme in (channel.schemes or []):
                return Route(urn, channel)
    return Route(None, None)


async def contact_urns(session: AsyncSession, contact_ids: Sequence[int]) -> dict[int, list[Reachable]]:
    """Each contact's URNs in priority order, as the columns routing needs (no ORM objects: a broadcast reads
    thousands at a time)."""
    out: dict[int, list[Reachable]] = {cid: [] for cid in contact_ids}
    if not contact_ids:
        return out
    rows = await plain.rows(
        session,
        select(ContactURN.id, ContactURN.contact_id, ContactURN.scheme, ContactURN.path, ContactURN.channel_id)
        .where(ContactURN.contact_id.in_(list(contact_ids)))
        .order_by(ContactURN.contact_id, ContactURN.priority.desc(), ContactURN.id),
    )
    for urn in rows:
        out[urn.contact_id].append(urn)
    return out


@dataclass(frozen=True)
class Content:
    text: str = ""
    attachments: Sequence[str] = ()
    quick_replies: Sequence[Mapping[str, Any]] = ()


def _row(
    workspace: Workspace,
    contact: Recipient,
    r: Route,
    content: Content,
    *,
    now: datetime,
    high_priority: bool,
    due_on: datetime | None,
    broadcast_id: int | None,
    uuid: str | None = None,
    parts: tuple[list[str], list[dict[str, Any]]] | None = None,
    created_by_id: int | None = None,
    from_autoresponse: bool = False,
    flow_id: int | None = None,
) -> dict[str, Any]:
    status, reason = "queued", None
    if not contact.is_active or contact.status != "active":
        status, reason = "failed", CONTACT_INACTIVE
    elif r.channel is None:
        status, reason = "failed", NO_DESTINATION
    return {
        "uuid": uuid or clock.new_uuid(),
        "workspace_id": workspace.id,
        "contact_id": contact.id,
        "contact_urn_id": r.urn.id if r.urn is not None and status == "queued" else None,
        "channel_id": r.channel.id if r.channel is not None and status == "queued" else None,
        "broadcast_id": broadcast_id,
        "flow_id": flow_id,
        "created_by_id": created_by_id,
        "direction": "out",
        "msg_type": "text",
        "status": status,
        "visibility": "visible",
        "text": content.text,
        "attachments": parts[0] if parts is not None else list(content.attachments),
        "quick_replies": parts[1] if parts is not None else [dict(q) for q in content.quick_replies],
        "high_priority": high_priority,
        "is_read": False,
        "from_autoresponse": from_autoresponse,
        "deliver_at": due_on if due_on is not None and due_on > now else None,
        "error_count": 0,
        "next_attempt": due_on or now,  # its due time: the outbox claims waiting rows in this order
        "failed_reason": reason,
        "msg_count": 1,
        "created_on": now,
        "modified_on": now,
    }


async def queue_one(
    session: AsyncSession,
    workspace: Workspace,
    contact: Contact,
    content: Content,
    *,
    high_priority: bool = True,
    due_on: datetime | None = None,
    created_by: User | None = None,
    from_autoresponse: bool = False,
    via: Route | None = None,
    flow_id: int | None = None,
    flush: bool = True,
) -> Message:
    """One message to one contact (a reply or a single send: high priority by default). A contact that is not
    active, or that no channel can reach, gets a failed message rather than none. ``via`` is the route when the
    caller already found it (see :func:`route_for`); ``flow_id`` the flow that sent it, if one did. ``flush``
    false leaves the insert to the caller's next flush (a flow sprint queues several at once)."""
    values = _row(
        workspace,
        contact,
        via if via is not None else await route_for(session, workspace, contact),
        content,
        now=clock.now(),
        high_priority=high_priority,
        due_on=due_on,
        broadcast_id=None,
        created_by_id=created_by.id if created_by is not None else None,
        from_autoresponse=from_autoresponse,
        flow_id=flow_id,
    )
    message = Message(**values)
    session.add(message)
    if flush:
        await session.flush()
    return message


def outgoing_row(
    workspace: Workspace,
    contact: Recipient,
    via: Route,
    content: Content,
    *,
    high_priority: bool,
    flow_id: int | None = None,
) -> dict[str, Any]:
    """The column values of one message to queue now (for a caller that inserts many rows at once, e.g. a batch
    of a flow start): the same rules as :func:`queue_one`."""
    return _row(
        workspace,
        contact,
        via,
        content,
        now=clock.now(),
        high_priority=high_priority,
        due_on=None,
        broadcast_id=None,
        flow_id=flow_id,
    )


async def route_for(session: AsyncSession, workspace: Workspace, contact: Contact) -> Route:
    """The URN and channel a message to ``contact`` would take now (both ``None`` when none can reach it)."""
    channels = await channel_queries.senders(session, workspace)
    urns = (await contact_urns(session, [contact.id]))[contact.id]
    return route(urns, channels)


async def queue_many(
    session: AsyncSession,
    workspace: Workspace,
    contacts: Sequence[Recipient],
    content_for: Mapping[int, Content],
    *,
    broadcast_id: int | None,
    high_priority: bool = False,
    created_by_id: int | None = None,
) -> int:
    """Bulk insert one message per contact (``content_for`` maps contact id to its content, e.g. by
    language). Returns how many rows were created."""
    if not contacts:
        return 0
    channels = await channel_queries.senders(session, workspace)
    urns = await contact_urns(session, [c.id for c in contacts])
    now = clock.now()
    uuids = clock.new_uuids(len(contacts))
    # the parts of each distinct content, made once and shared by its rows (a broadcast has one per language)
    parts = {
        id(content): (list(content.attachments), [dict(q) for q in content.quick_replies])
        for content in {id(c): c for c in content_for.values()}.values()
    }
    rows = [
        _row(
            workspace,
            c,
            route(urns[c.id], channels),
            content_for[c.id],
            now=now,
            high_priority=high_priority,
            due_on=None,
            broadcast_id=broadcast_id,
            uuid=uuid,
            parts=parts[id(content_for[c.id])],
            created_by_id=created_by_id,
        )
        for c, uuid in zip(contacts, uuids, strict=True)
    ]
    await bulk.insert_rows(session, table_of(Message), rows)  # COPY or one executemany: no ORM object per message
    return len(rows)


@dataclass(frozen=True)
class MessageRequest:
    """One message to one contact, as a caller asks for it: the contact by UUID or URN, media by reference."""

    contact: str | None
    text: str = ""
    attachments: Sequence[str] = ()
    quick_replies: Sequence[QuickReply] = ()


@dataclass
class _Checked:
    contact: Contact | None
    content: Content


async def _check(session: AsyncSession, workspace: Workspace, req: MessageRequest, errors: ErrorCollector) -> _Checked:
    contact = None
    if req.contact is not None:
        contact = (await contacts_by_references(session, workspace, [req.contact])).get(req.contact)
        if contact is None:
            errors.add("contact", "no_such_object", ref=req.contact)
    quick = check_quick_replies(req.quick_replies, errors)
    attachments = await resolve_attachments(session, workspace, req.attachments, errors)
    return _Checked(contact, Content(text=req.text, attachments=attachments, quick_replies=quick))


async def check(session: AsyncSession, workspace: Workspace, req: MessageRequest) -> list[Problem]:
    """The problems with the request's references and parts (what a dialect reports beside its own)."""
    errors = ErrorCollector()
    await _check(session, workspace, req, errors)
    return errors.problems


async def send(session: AsyncSession, workspace: Workspace, req: MessageRequest, user: User | None = None) -> Message:
    """Queue one message to one contact (high priority, like a reply). It needs text or attachments. ``user``
    is who sent it."""
    errors = ErrorCollector()
    checked = await _check(session, workspace, req, errors)
    errors.raise_if_any()
    if not req.text and not checked.content.attachments:
        errors.add(GENERAL, "missing_content")
        errors.raise_if_any()
    assert checked.contact is not None
    return await queue_one(session, workspace, checked.contact, checked.content, created_by=user)
