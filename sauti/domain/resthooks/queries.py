"""Every select for resthooks, their subscribers and events."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import Resthook, ResthookEvent, ResthookSubscriber, Workspace


def normal_slug(slug: str) -> str:
    """Slugs are kept trimmed and in lower case; lookups by slug read them the same way."""
    return slug.strip().lower()


def listing(workspace: Workspace | int) -> Select[Resthook]:
    """The resthooks the API shows: the active ones."""
    return scoped(Resthook, workspace).where(Resthook.is_active)


async def by_slug(session: AsyncSession, workspace: Workspace | int, slug: str) -> Resthook | None:
    rows = await session.execute(listing(workspace).where(Resthook.slug == normal_slug(slug)))
    return rows.scalar_one_or_none()


async def by_slugs(session: AsyncSession, workspace: Workspace | int, slugs: Collection[str]) -> dict[str, Resthook]:
    if not slugs:
        return {}
    rows = await session.execute(listing(workspace).where(Resthook.slug.in_(sorted(slugs))))
    return {r.slug: r for r in rows.scalars()}


@dataclass(frozen=True)
class SubscriberFilter:
    id: int | None = None
    resthook: str | None = None


def select_subscribers(workspace: Workspace, f: SubscriberFilter) -> Select[ResthookSubscriber]:
    """Active subscribers of the workspace's active resthooks."""
    hooks = listing(workspace).with_only_columns(Resthook.id)
    if f.resthook is not None:
        hooks = hooks.where(Resthook.slug == normal_slug(f.resthook))
    stmt = scoped(ResthookSubscriber, workspace).where(
        ResthookSubscriber.is_active, ResthookSubscriber.resthook_id.in_(hooks.scalar_subquery())
    )
    if f.id is not None:
        stmt = stmt.where(ResthookSubscriber.id == f.id)
    return stmt


@dataclass(frozen=True)
class EventFilter:
    resthook: str | None = None


def select_events(workspace: Workspace, f: EventFilter) -> Select[ResthookEvent]:
    stmt = scoped(ResthookEvent, workspace)
    if f.resthook is not None:
        hooks = scoped(Resthook, workspace, Resthook.id).where(Resthook.slug == normal_slug(f.resthook))
        stmt = stmt.where(ResthookEvent.resthook_id.in_(hooks.scalar_subquery()))
    return stmt


async def slugs_of(session: AsyncSession, resthook_ids: Collection[int]) -> dict[int, str]:
    """The slug of each resthook (a page of subscribers or events names theirs): one query. The ids come from
    scoped selects, so they need no further workspace filter."""
    if not resthook_ids:
        return {}
    rows = await session.execute(select(Resthook.id, Resthook.slug).where(Resthook.id.in_(sorted(resthook_ids))))
    return {int(i): str(s) for i, s in rows}


async def active_subscriber(
    session: AsyncSession, workspace: Workspace, resthook: Resthook, target_url: str
) -> ResthookSubscriber | None:
    rows = await session.execute(
        scoped(ResthookSubscriber, workspace).where(
            ResthookSubscriber.resthook_id == resthook.id,
            ResthookSubscriber.is_active,
            ResthookSubscriber.target_url == target_url,
        )
    )
    return rows.scalars().first()


async def subscribers_of(
    session: AsyncSession, workspace: Workspace | int, resthook_ids: Sequence[int]
) -> list[ResthookSubscriber]:
    """The active subscribers of these resthooks, oldest first."""
    if not resthook_ids:
        return []
    rows = await session.execute(
        scoped(ResthookSubscriber, workspace)
        .where(ResthookSubscriber.is_active, ResthookSubscriber.resthook_id.in_(list(resthook_ids)))
        .order_by(ResthookSubscriber.created_on, ResthookSubscriber.id)
    )
    return list(rows.scalars())
