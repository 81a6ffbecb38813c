"""Every select for opt outs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import OptOut, Workspace


@dataclass(frozen=True)
class OptOutFilter:
    """``digits``: a part of the number's digits. Ordered by creation."""

    digits: str | None = None


def select_opt_outs(workspace: Workspace, f: OptOutFilter) -> Select[OptOut]:
    stmt = scoped(OptOut, workspace)
    digits = "".join(ch for ch in f.digits or "" if ch.isdigit())
    if f.digits is not None and f.digits.strip():
        stmt = stmt.where(OptOut.phone.like(f"%{digits}%")) if digits else stmt.where(OptOut.id.is_(None))
    return stmt.order_by(OptOut.created_on, OptOut.id)


async def by_id(session: AsyncSession, workspace: Workspace, opt_out_id: int) -> OptOut | None:
    found: OptOut | None = (
        await session.execute(scoped(OptOut, workspace).where(OptOut.id == opt_out_id))
    ).scalar_one_or_none()
    return found


async def by_phone(session: AsyncSession, workspace: Workspace, phone: str) -> OptOut | None:
    found: OptOut | None = (
        await session.execute(scoped(OptOut, workspace).where(OptOut.phone == phone))
    ).scalar_one_or_none()
    return found
