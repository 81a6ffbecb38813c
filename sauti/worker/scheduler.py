"""Broadcast expansion: due broadcasts are claimed (``worker/claims.py``), one per workspace per round so
workspaces share the worker fairly, and each is expanded by one batch of messages, so sending starts at once
and a large broadcast never holds up a small one.

A broadcast whose expansion raises is marked ``failed`` with the reason and logged; the others go on.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sauti.domain.broadcasts.service import expand
from sauti.models import Broadcast
from sauti.models.message import broadcast_waiting
from sauti.worker import claims


async def _release_dead(session: AsyncSession, dead: ColumnElement[bool]) -> int:
    """A dead worker's broadcasts wait again: expansion resumes after the last contact it recorded."""
    result = await session.execute(
        update(Broadcast).where(dead).values(claimed_by=None).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


BROADCASTS = claims.Kind(
    name="broadcasts",
    model=Broadcast,
    waiting=broadcast_waiting(Broadcast),
    due=lambda now: Broadcast.due_on <= now,
    order=(Broadcast.due_on, Broadcast.id),
    partition=Broadcast.workspace_id,
    recover=_release_dead,
)


async def expand_broadcasts(sessionmaker: async_sessionmaker[AsyncSession], dialect: str, worker_id: str) -> int:
    """Expand one batch of the first due broadcast of every workspace that has one; returns the messages
    created (0: nothing was due)."""
    created = 0
    async for ids in claims.each_partition(sessionmaker, BROADCASTS, worker_id, 1, dialect):
        done: list[int] = []

        async def handle(batch: Sequence[int], done: list[int] = done) -> None:
            async with sessionmaker() as session:
                found = await session.execute(
                    select(Broadcast).where(Broadcast.id.in_(list(batch)), Broadcast.claimed_by == worker_id)
                )
                for broadcast in found.scalars():
                    done.append(max(await expand(session, broadcast), 1))
                    broadcast.claimed_by = None  # the next batch is claimed afresh (by any worker)
                await session.commit()

        await claims.run_isolated(sessionmaker, BROADCASTS, worker_id, ids, handle)
        created += sum(done) or len(ids)
    return created
