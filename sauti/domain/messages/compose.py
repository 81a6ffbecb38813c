"""What a workspace user sends by hand: one message to one contact, now or at a set time, and what they may
do to it afterwards (mark it read, delete it while it still waits).

Unlike an API v2 send, which records a failed message for a contact that cannot be reached, a composed message
is refused outright when its contact opted out, is blocked, or no channel can reach it: nothing is queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.contacts import queries as contact_queries
from sauti.domain.contacts import service as contacts
from sauti.domain.errors import GENERAL, ErrorCollector, Invalid
from sauti.domain.messages.send import Content, queue_one, route_for
from sauti.domain.scope import owned_by
from sauti.domain.signatures.service import signed
from sauti.domain.templates.render import render, values_for
from sauti.domain.workspaces.queries import member
from sauti.kit import clock, urns
from sauti.models import Contact, Message, User, Workspace

MAX_TEXT = 1600
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Composed:
    """``sender``: a user of the workspace by id or email; ``receiver``: a contact by id, or a phone number
    (a contact with that number is created, without a name, when nobody has it); ``attachments``: stored
    media as ``content/type:url``; ``deliver_at``: when to send it (the past or ``None``: now)."""

    sender: int | str
    receiver: int | str
    text: str = ""
    attachments: Sequence[str] = ()
    deliver_at: datetime | None = None


def _as_id(ref: int | str) -> int | None:
    if isinstance(ref, int):
        return ref if 0 < ref <= _MAX_ID else None
    text = ref.strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= _MAX_ID else None


async def sender_of(session: AsyncSession, workspace: Workspace, ref: int | str) -> User | None:
    """An active user of the workspace named by id or email."""
    found = await member(session, workspace, _as_id(ref) or str(ref))
    return found[0] if found is not None and found[0].is_active else None


async def _receiver(
    session: AsyncSession, workspace: Workspace, ref: int | str, errors: ErrorCollector
) -> Contact | None:
    """DECISION: a number (or a string of digits) that is the id of one of the workspace's contacts names that
    contact; anything else is read as a phone number, with the workspace's country when it has no ``+``."""
    contact_id = _as_id(ref)
    if contact_id is not None:
        found = await contact_queries.by_id(session, workspace, contact_id)
        if found is not None or isinstance(ref, int):
            if found is None:
                errors.add("receiver", "no_such_object", ref=str(ref))
            return found
    try:
        urn = urns.parse_normalized(f"tel:{str(ref).strip()}", workspace.country)
    except urns.URNError:
        errors.add("receiver", "invalid_phone", value=str(ref))
        return None
    contact, _ = await contacts.get_or_create_by_urn(session, workspace, urn)
    return contact


async def send(session: AsyncSession, workspace: Workspace, req: Composed) -> Message:
    """Queue the message (high priority), its {{ placeholders }} rendered for the contact and the workspace's
    active signature appended."""
    errors = ErrorCollector()
    user = await sender_of(session, workspace, req.sender)
    if user is None:
        errors.add("sender", "no_such_object", ref=str(req.sender))
    if not req.text.strip() and not req.attachments:
        errors.add("text", "blank")
    elif len(req.text) > MAX_TEXT:
        errors.add("text", "too_long", max=MAX_TEXT)
    errors.raise_if_any()
    contact = await _receiver(session, workspace, req.receiver, errors)
    errors.raise_if_any()
    assert contact is not None and user is not None
    if contact.status == "stopped":
        raise Invalid.field("receiver", "contact_opted_out")
    if contact.status == "blocked":
        raise Invalid.field("receiver", "contact_blocked")
    if contact.status != "active":
        raise Invalid.field("receiver", "contact_deleted")
    via = await route_for(session, workspace, contact)
    if via.channel is None or via.urn is None:
        raise Invalid.field(GENERAL, "no_channel")
    phone = via.urn.path if via.urn.scheme == "tel" else None
    text = await signed(session, workspace, render(req.text, values_for(contact, phone, user, workspace)))
    return await queue_one(
        session,
        workspace,
        contact,
        Content(text=text, attachments=tuple(req.attachments)),
        created_by=user,
        due_on=req.deliver_at,
        via=via,
    )


async def mark_read(session: AsyncSession, message: Message, read: bool) -> Message:
    if message.is_read != read:
        message.is_read = read
        message.modified_on = clock.now()
        await session.flush()
    return message


async def unschedule(session: AsyncSession, workspace: Workspace, message: Message) -> None:
    """Delete an outgoing message that still waits to go (scheduled, or queued and not yet claimed by a
    worker); ``already_sent`` otherwise. The check and the delete are one statement, so a worker that claims
    the message meanwhile wins and the delete is refused."""
    result = await session.execute(
        delete(Message)
        .where(
            owned_by(Message, workspace),
            Message.id == message.id,
            Message.direction == "out",
            Message.status == "queued",
            Message.claimed_by.is_(None),
            Message.sent_on.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Invalid.field("message", "already_sent")
    session.expunge(message)
