"""Every select for globals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import Global, Workspace


def listing(workspace: Workspace) -> Select[Global]:
    return scoped(Global, workspace).where(Global.is_active)


@dataclass(frozen=True)
class GlobalFilter:
    """What a globals listing may be narrowed by; date bounds are inclusive and apply to ``modified_on``."""

    key: str | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None


def select_globals(workspace: Workspace, f: GlobalFilter) -> Select[Global]:
    stmt = listing(workspace)
    if f.key is not None:
        stmt = stmt.where(Global.key == f.key)
    if f.modified_before is not None:
        stmt = stmt.where(Global.modified_on <= f.modified_before)
    if f.modified_after is not None:
        stmt = stmt.where(Global.modified_on >= f.modified_after)
    return stmt


async def by_key(session: AsyncSession, workspace: Workspace, key: str) -> Global | None:
    return (await session.execute(listing(workspace).where(Global.key == key))).scalar_one_or_none()


async def name_or_key_taken(session: AsyncSession, workspace: Workspace, name: str, key: str) -> bool:
    stmt = listing(workspace).where((func.lower(Global.name) == name.lower()) | (Global.key == key))
    return (await session.execute(stmt.limit(1))).first() is not None
