"""Use cases for auto replies, and answering a message with the active one.

DECISIONS: at most one auto reply is active in a workspace (activating one deactivates the others). It answers an
incoming message that nothing else handled, from a contact who is active (not opted out, not blocked) and whose
message was not an opt-out word, at most once per contact in :data:`QUIET_PERIOD` (a guard against reply loops
with another robot). The answer is sent by the account (no user), unsigned, with its {{ placeholders }} rendered
for the contact.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.autoreplies import queries
from sauti.domain.errors import Invalid, NotFound
from sauti.domain.messages.send import Content, queue_one
from sauti.domain.scope import owned_by
from sauti.domain.templates.render import render, values_for
from sauti.kit import clock
from sauti.models import AutoReply, Contact, ContactURN, Message, Workspace

MAX_MESSAGE = 1600
QUIET_PERIOD = timedelta(hours=24)


async def get(session: AsyncSession, workspace: Workspace, reply_id: int) -> AutoReply:
    row = await queries.by_id(session, workspace, reply_id)
    if row is None:
        raise NotFound("auto_reply", str(reply_id))
    return row


def _check(message: str | None) -> None:
    if message is None:
        return
    if not message.strip():
        raise Invalid.field("message", "blank")
    if len(message) > MAX_MESSAGE:
        raise Invalid.field("message", "too_long", max=MAX_MESSAGE)


async def _only_active(session: AsyncSession, workspace: Workspace, row: AutoReply) -> None:
    await session.execute(
        sql_update(AutoReply)
        .where(owned_by(AutoReply, workspace), AutoReply.id != row.id, AutoReply.is_active)
        .values(is_active=False, modified_on=clock.now())
        .execution_options(synchronize_session="fetch")
    )


async def create(session: AsyncSession, workspace: Workspace, *, message: str, is_active: bool) -> AutoReply:
    _check(message)
    now = clock.now()
    row = AutoReply(workspace_id=workspace.id, message=message, is_active=is_active, created_on=now, modified_on=now)
    session.add(row)
    await session.flush()
    if is_active:
        await _only_active(session, workspace, row)
    return row


async def update(
    session: AsyncSession, workspace: Workspace, row: AutoReply, *, message: str | None, is_active: bool | None
) -> AutoReply:
    _check(message)
    if message is not None:
        row.message = message
    if is_active is not None:
        row.is_active = is_active
    row.modified_on = clock.now()
    await session.flush()
    if row.is_active:
        await _only_active(session, workspace, row)
    return row


async def remove(session: AsyncSession, row: AutoReply) -> None:
    await session.delete(row)
    await session.flush()


async def answer(session: AsyncSession, workspace: Workspace, contact: Contact, incoming: Message) -> Message | None:
    """Queue the active auto reply to the contact who wrote ``incoming``, unless there is none, the contact
    cannot be texted, or it already had one in the quiet period. Returns the queued answer."""
    if contact.status != "active" or not contact.is_active:
        return None
    reply = await queries.active(session, workspace)
    if reply is None:
        return None
    if await queries.answered_since(session, contact.id, clock.now() - QUIET_PERIOD):
        return None
    urn = await session.get(ContactURN, incoming.contact_urn_id) if incoming.contact_urn_id else None
    phone = urn.path if urn is not None and urn.scheme == "tel" else None
    text = render(reply.message, values_for(contact, phone, None, workspace))
    return await queue_one(session, workspace, contact, Content(text=text), from_autoresponse=True)
