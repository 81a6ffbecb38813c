"""Due broadcasts are expanded into messages, one batch per round so sending starts at once.

A broadcast whose expansion raises is marked ``failed`` with the reason and logged; the other broadcasts go on.
"""

from __future__ import annotations

import logging

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sauti.domain.broadcasts.service import expand
from sauti.kit import clock
from sauti.models import Broadcast
from sauti.worker.failures import describe

log = logging.getLogger("sauti.worker.broadcasts")


async def expand_broadcasts(sessionmaker: async_sessionmaker[AsyncSession], dialect: str) -> int:
    """Expand one batch of the oldest due broadcast; returns the messages created (0: nothing due)."""
    async with sessionmaker() as session:
        stmt = (
            select(Broadcast)
            .where(
                Broadcast.is_active,
                Broadcast.status.in_(("pending", "queued", "started")),
                or_(Broadcast.due_on.is_(None), Broadcast.due_on <= clock.now()),
            )
            .order_by(Broadcast.id)
            .limit(1)
        )
        if dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        broadcast = (await session.execute(stmt)).scalar()
        if broadcast is None:
            return 0
        broadcast_id = broadcast.id
        try:
            created = await expand(session, broadcast)
            await session.commit()
            return max(created, 1)
        except Exception as exc:
            await session.rollback()
            log.exception("broadcast %s could not be expanded; marked failed", broadcast_id)
            reason = describe(exc)
    async with sessionmaker() as session:
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values(status="failed", failure=reason, modified_on=clock.now())
        )
        await session.commit()
    return 1
