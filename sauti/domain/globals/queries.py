"""Every select for globals."""

from __future__ import annotations

from sqlalchemy import Select, func
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import Global, Workspace


def listing(workspace: Workspace) -> Select[Global]:
    return scoped(Global, workspace).where(Global.is_active)


async def by_key(session: AsyncSession, workspace: Workspace, key: str) -> Global | None:
    return (await session.execute(listing(workspace).where(Global.key == key))).scalar_one_or_none()


async def name_or_key_taken(session: AsyncSession, workspace: Workspace, name: str, key: str) -> bool:
    stmt = listing(workspace).where((func.lower(Global.name) == name.lower()) | (Global.key == key))
    return (await session.execute(stmt.limit(1))).first() is not None
