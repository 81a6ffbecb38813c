"""Every select for ticket topics."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import Topic, TopicTicketCount, Workspace


def listing(workspace: Workspace) -> Select[Topic]:
    """The topics the API shows: every active one, the system topic included (``topics.json`` has no filters)."""
    return scoped(Topic, workspace).where(Topic.is_active)


async def by_uuid(session: AsyncSession, workspace: Workspace, uuid: str) -> Topic | None:
    rows = await session.execute(listing(workspace).where(Topic.uuid == uuid))
    return rows.scalar_one_or_none()


async def by_ids(session: AsyncSession, workspace: Workspace, ids: Sequence[int]) -> dict[int, Topic]:
    if not ids:
        return {}
    rows = await session.execute(scoped(Topic, workspace).where(Topic.id.in_(sorted(set(ids)))))
    return {t.id: t for t in rows.scalars()}


async def default_topic(session: AsyncSession, workspace: Workspace) -> Topic | None:
    """The workspace's system topic "General": the topic of a ticket opened without one."""
    rows = await session.execute(listing(workspace).where(Topic.is_default).order_by(Topic.id).limit(1))
    return rows.scalar_one_or_none()


async def name_taken(session: AsyncSession, workspace: Workspace, name: str, exclude_id: int | None = None) -> bool:
    stmt = scoped(Topic, workspace, Topic.id).where(Topic.is_active, func.lower(Topic.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(Topic.id != exclude_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def ticket_counts(session: AsyncSession, topics: Sequence[Topic]) -> dict[int, dict[str, int]]:
    """The kept ``{"open": n, "closed": n}`` of each topic, for a whole page in one query (no ticket is read)."""
    counts = {t.id: {"open": 0, "closed": 0} for t in topics}
    if not counts:
        return counts
    rows = await session.execute(
        select(TopicTicketCount.topic_id, TopicTicketCount.status, TopicTicketCount.count).where(
            TopicTicketCount.topic_id.in_(list(counts))
        )
    )
    for topic_id, status, n in rows:
        counts[topic_id][status] = int(n)
    return counts
