"""Every select for a workspace's members (users and their roles)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import Membership, User, Workspace

ROLES = ("administrator", "editor", "agent")


@dataclass(frozen=True)
class MemberFilter:
    """Users of the workspace by UUID, email (case-insensitive) or role; each list matches any of its values."""

    uuids: Sequence[str] = ()
    emails: Sequence[str] = ()
    roles: Sequence[str] = ()


def select_members(workspace: Workspace, f: MemberFilter) -> Select[Membership] | None:
    """Active users' memberships, or ``None`` when the roles asked for are none of the known ones."""
    stmt = scoped(Membership, workspace).join(User, User.id == Membership.user_id).where(User.is_active)
    if f.uuids:
        stmt = stmt.where(User.uuid.in_(list(f.uuids)))
    if f.emails:
        stmt = stmt.where(func.lower(User.email).in_([e.lower() for e in f.emails]))
    if f.roles:
        known = [r for r in f.roles if r in ROLES]
        if not known:
            return None
        stmt = stmt.where(Membership.role.in_(known))
    return stmt


async def users_of(session: AsyncSession, memberships: Sequence[Any]) -> dict[int, Any]:
    """The users of a page of memberships, in one query, as plain columns."""
    ids = [m.user_id for m in memberships]
    if not ids:
        return {}
    rows = await session.execute(
        select(User.id, User.uuid, User.email, User.first_name, User.last_name, User.avatar).where(User.id.in_(ids))
    )
    return {u.id: u for u in rows}
