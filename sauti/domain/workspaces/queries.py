"""Every select for a workspace's members (users and their roles)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db.base import table_of
from sauti.domain.scope import scoped
from sauti.models import Membership, User, Workspace

ROLES = ("administrator", "editor", "agent")


@dataclass(frozen=True)
class MemberFilter:
    """Users of the workspace by UUID, email (case-insensitive) or role; each list matches any of its values."""

    uuids: Sequence[str] = ()
    emails: Sequence[str] = ()
    roles: Sequence[str] = ()
    include_inactive: bool = False  # deactivated (archived) users too
    by_joining: bool = False  # the select comes ordered by when users joined


def select_members(workspace: Workspace, f: MemberFilter) -> Select[Membership] | None:
    """Active users' memberships, or ``None`` when the roles asked for are none of the known ones."""
    stmt = scoped(Membership, workspace).join(User, User.id == Membership.user_id)
    if not f.include_inactive:
        stmt = stmt.where(User.is_active)
    if f.uuids:
        stmt = stmt.where(User.uuid.in_(list(f.uuids)))
    if f.emails:
        stmt = stmt.where(func.lower(User.email).in_([e.lower() for e in f.emails]))
    if f.roles:
        known = [r for r in f.roles if r in ROLES]
        if not known:
            return None
        stmt = stmt.where(Membership.role.in_(known))
    if f.by_joining:
        stmt = stmt.order_by(Membership.joined_on, Membership.id)
    return stmt


async def member(session: AsyncSession, workspace: Workspace, ref: int | str) -> tuple[User, Membership] | None:
    """A user of the workspace (deactivated ones included) by integer id, or by email case-insensitively."""
    stmt = select(User, Membership).join(Membership, Membership.user_id == User.id)
    stmt = stmt.where(Membership.workspace_id == workspace.id)
    if isinstance(ref, int):
        stmt = stmt.where(User.id == ref)
    else:
        stmt = stmt.where(func.lower(User.email) == ref.strip().lower())
    row = (await session.execute(stmt.limit(1))).first()
    return None if row is None else (row[0], row[1])


async def users_of(session: AsyncSession, memberships: Sequence[Any]) -> dict[int, Any]:
    """The users of a page of memberships, in one query, as plain columns (every column of the table)."""
    ids = [m.user_id for m in memberships]
    if not ids:
        return {}
    rows = await session.execute(select(*table_of(User).c).where(User.id.in_(ids)))
    return {u.id: u for u in rows}
