"""Every select for broadcasts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

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


def select_broadcasts(workspace: Workspace, f: BroadcastFilter) -> Select[Broadcast]:
    """Active broadcasts, without those still waiting for a future due time (they are not sent yet)."""
    stmt = listing(workspace).where(
        or_(Broadcast.due_on.is_(None), Broadcast.due_on <= clock.now(), Broadcast.status != "pending")
    )
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
