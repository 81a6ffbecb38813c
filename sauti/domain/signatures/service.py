"""Use cases for message signatures, and signing a text.

DECISIONS: at most one signature is active in a workspace (activating one deactivates the others); the active
one is appended to what a user sends through the TextUs dialect (single messages and broadcasts), as
``text + "\\n" + signature``, when the message is created, so the stored and listed text includes it; it is not
appended to auto replies, to inbound messages, or to a text that already ends with it. API v2 sends are not
signed: that dialect has no signatures, and its clients expect the text they sent.
"""

from __future__ import annotations

from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import Invalid, NotFound
from sauti.domain.scope import owned_by
from sauti.domain.signatures import queries
from sauti.kit import clock
from sauti.models import MessageSignature, Workspace

MAX_CONTENT = 320


def sign(text: str, signature: str | None) -> str:
    if not signature:
        return text
    if not text:
        return signature
    if text.rstrip().endswith(signature.strip()):
        return text
    return f"{text}\n{signature}"


async def signed(session: AsyncSession, workspace: Workspace, text: str) -> str:
    """``text`` with the workspace's active signature, if any."""
    active = await queries.active(session, workspace)
    return sign(text, active.content if active is not None else None)


async def get(session: AsyncSession, workspace: Workspace, signature_id: int) -> MessageSignature:
    row = await queries.by_id(session, workspace, signature_id)
    if row is None:
        raise NotFound("message_signature", str(signature_id))
    return row


def _check(content: str | None) -> None:
    if content is None:
        return
    if not content.strip():
        raise Invalid.field("content", "blank")
    if len(content) > MAX_CONTENT:
        raise Invalid.field("content", "too_long", max=MAX_CONTENT)


async def _only_active(session: AsyncSession, workspace: Workspace, row: MessageSignature) -> None:
    await session.execute(
        sql_update(MessageSignature)
        .where(owned_by(MessageSignature, workspace), MessageSignature.id != row.id, MessageSignature.is_active)
        .values(is_active=False, modified_on=clock.now())
        .execution_options(synchronize_session="fetch")
    )


async def create(session: AsyncSession, workspace: Workspace, *, content: str, is_active: bool) -> MessageSignature:
    _check(content)
    now = clock.now()
    row = MessageSignature(
        workspace_id=workspace.id, content=content, is_active=is_active, created_on=now, modified_on=now
    )
    session.add(row)
    await session.flush()
    if is_active:
        await _only_active(session, workspace, row)
    return row


async def update(
    session: AsyncSession, workspace: Workspace, row: MessageSignature, *, content: str | None, is_active: bool | None
) -> MessageSignature:
    _check(content)
    if content is not None:
        row.content = content
    if is_active is not None:
        row.is_active = is_active
    row.modified_on = clock.now()
    await session.flush()
    if row.is_active:
        await _only_active(session, workspace, row)
    return row


async def remove(session: AsyncSession, row: MessageSignature) -> None:
    await session.delete(row)
    await session.flush()
