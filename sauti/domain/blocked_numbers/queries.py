"""Every select for blocked numbers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import BlockedNumber, Workspace


@dataclass(frozen=True)
class BlockedFilter:
    """``digits``: a part of the number's digits. Ordered by creation."""

    digits: str | None = None


def select_blocked(workspace: Workspace, f: BlockedFilter) -> Select[BlockedNumber]:
    stmt = scoped(BlockedNumber, workspace)
    digits = "".join(ch for ch in f.digits or "" if ch.isdigit())
    if f.digits is not None and f.digits.strip():
        stmt = stmt.where(BlockedNumber.phone.like(f"%{digits}%")) if digits else stmt.where(BlockedNumber.id.is_(None))
    return stmt.order_by(BlockedNumber.created_on, BlockedNumber.id)


async def by_id(session: AsyncSession, workspace: Workspace, blocked_id: int) -> BlockedNumber | None:
    found: BlockedNumber | None = (
        await session.execute(scoped(BlockedNumber, workspace).where(BlockedNumber.id == blocked_id))
    ).scalar_one_or_none()
    return found
