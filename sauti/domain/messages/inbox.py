"""Bulk changes to a contact's incoming messages."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import owned_by
from sauti.kit import clock
from sauti.models import Message, Workspace


async def archive_all_incoming(session: AsyncSession, workspace: Workspace, contact_ids: Sequence[int]) -> int:
    """Archive every visible incoming message of these contacts; returns how many were archived."""
    if not contact_ids:
        return 0
    result = await session.execute(
        update(Message)
        .where(
            owned_by(Message, workspace),
            Message.contact_id.in_(list(contact_ids)),
            Message.direction == "in",
            Message.visibility == "visible",
        )
        .values(visibility="archived", modified_on=clock.now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
