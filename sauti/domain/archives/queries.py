"""Every select for archives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import Archive, Workspace

TYPES = ("message", "run")
PERIODS = ("daily", "monthly")


@dataclass(frozen=True)
class ArchiveFilter:
    """What ``archives.json`` filters on. ``archive_type`` outside :data:`TYPES` matches nothing; ``period``
    outside :data:`PERIODS` is no filter; ``before`` and ``after`` are inclusive bounds on the start date (an
    instant after midnight makes ``after`` start the next day)."""

    archive_type: str | None = None
    period: str | None = None
    before: dt.datetime | None = None
    after: dt.datetime | None = None


def _utc(when: dt.datetime) -> dt.datetime:
    return when.astimezone(dt.UTC) if when.tzinfo is not None else when


def listed(workspace: Workspace) -> Select[Archive]:
    """Written archives, daily ones rolled up into a monthly one left out."""
    return scoped(Archive, workspace).where(Archive.status == "ready", Archive.rollup_id.is_(None))


def select_archives(workspace: Workspace, f: ArchiveFilter) -> Select[Archive] | None:
    """The scoped select ``f`` describes, or ``None`` when nothing can match."""
    stmt = listed(workspace)
    if f.archive_type is not None:
        if f.archive_type not in TYPES:
            return None
        stmt = stmt.where(Archive.archive_type == f.archive_type)
    if f.period in PERIODS:
        stmt = stmt.where(Archive.period == f.period)
    if f.before is not None:
        stmt = stmt.where(Archive.start_date <= _utc(f.before).date())
    if f.after is not None:
        after = _utc(f.after)
        first = after.date() if after.time() == dt.time(0) else after.date() + dt.timedelta(days=1)
        stmt = stmt.where(Archive.start_date >= first)
    return stmt


async def count(session: AsyncSession, stmt: Select[Archive]) -> int:
    total = await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return int(total.scalar_one())


async def page(session: AsyncSession, stmt: Select[Archive], offset: int, limit: int) -> list[Archive]:
    """Newest start date first (the id breaks ties, so pages never overlap)."""
    ordered = stmt.order_by(Archive.start_date.desc(), Archive.id.desc()).offset(offset).limit(limit)
    return list((await session.execute(ordered)).scalars())


async def downloadable(session: AsyncSession, workspace: Workspace, uuid: str) -> Archive | None:
    """A written archive of the workspace that has a file (rolled-up daily ones too: their files stay)."""
    stmt = scoped(Archive, workspace).where(Archive.uuid == uuid, Archive.status == "ready", Archive.path.is_not(None))
    found: Archive | None = (await session.execute(stmt)).scalar()
    return found
