"""Every select for broadcasts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from sauti.domain.scope import scoped
from sauti.kit import clock
from sauti.models import Broadcast, Contact, ContactGroup, Workspace


def listing(workspace: Workspace) -> Select[Broadcast]:
    return scoped(Broadcast, workspace).where(Broadcast.is_active)


@dataclass(frozen=True)
class BroadcastFilter:
    """What a broadcast listing may be narrowed by; date bounds are inclusive and apply to ``created_on``."""

    uuid: str | None = None
    id: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    scheduled_too: bool = False  # also those waiting for a future due time
    group_id: int | None = None  # those whose (first) group is this one
    due_day: date | None = None  # those due on this UTC day
    latest_per_group: bool = False  # only the newest of each group
    latest_due_first: bool = False  # the select comes ordered, latest due time first


def select_broadcasts(workspace: Workspace, f: BroadcastFilter) -> Select[Broadcast]:
    """Active broadcasts, without those still waiting for a future due time (they are not sent yet) unless
    ``scheduled_too``."""
    stmt = listing(workspace)
    if not f.scheduled_too:
        stmt = stmt.where(
            or_(Broadcast.due_on.is_(None), Broadcast.due_on <= clock.now(), Broadcast.status != "pending")
        )
    if f.group_id is not None:
        stmt = stmt.where(Broadcast.group_id == f.group_id)
    if f.due_day is not None:
        start = datetime.combine(f.due_day, time(0), UTC)
        stmt = stmt.where(Broadcast.due_on >= start, Broadcast.due_on < start + timedelta(days=1))
    if f.latest_per_group:
        other = aliased(Broadcast)
        newest = (
            select(func.max(other.id))
            .where(other.workspace_id == Broadcast.workspace_id, other.group_id == Broadcast.group_id, other.is_active)
            .scalar_subquery()
        )
        stmt = stmt.where(Broadcast.group_id.is_not(None), Broadcast.id == newest)
    if f.latest_due_first:
        stmt = stmt.order_by(Broadcast.due_on.desc(), Broadcast.id.desc())
    if f.uuid is not None:
        stmt = stmt.where(Broadcast.uuid == f.uuid)
    if f.id is not None:
        stmt = stmt.where(Broadcast.id == f.id)
    if f.created_before is not None:
        stmt = stmt.where(Broadcast.created_on <= f.created_before)
    if f.created_after is not None:
        stmt = stmt.where(Broadcast.created_on >= f.created_after)
    return stmt


async def load_page(session: AsyncSession, rows: Sequence[Any]) -> tuple[dict[int, Any], dict[int, Any]]:
    """The contacts and groups a page of broadcasts names (``uuid`` and ``name``), in at most two queries."""
    contact_ids = {i for b in rows for i in b.contact_ids or []}
    group_ids = {i for b in rows for i in b.group_ids or []}
    contacts: dict[int, Any] = {}
    groups: dict[int, Any] = {}
    if contact_ids:
        found = await session.execute(select(Contact.id, Contact.uuid, Contact.name).where(Contact.id.in_(contact_ids)))
        contacts = {c.id: c for c in found}
    if group_ids:
        found_groups = await session.execute(
            select(ContactGroup.id, ContactGroup.uuid, ContactGroup.name).where(ContactGroup.id.in_(group_ids))
        )
        groups = {g.id: g for g in found_groups}
    return contacts, groups


async def by_id(session: AsyncSession, workspace: Workspace, broadcast_id: int) -> Broadcast | None:
    """An active broadcast (scheduled ones included) by its integer id."""
    found: Broadcast | None = (
        await session.execute(listing(workspace).where(Broadcast.id == broadcast_id))
    ).scalar_one_or_none()
    return found


async def groups_of(session: AsyncSession, rows: Sequence[Broadcast]) -> dict[int, ContactGroup]:
    """The (first) groups of a page of broadcasts, in one query."""
    ids = {b.group_id for b in rows if b.group_id is not None}
    if not ids:
        return {}
    found = await session.execute(select(ContactGroup).where(ContactGroup.id.in_(ids)))
    return {g.id: g for g in found.scalars()}
