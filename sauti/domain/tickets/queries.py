"""Every select for tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import Contact, Flow, Membership, Ticket, Topic, User, Workspace


@dataclass(frozen=True)
class TicketFilter:
    """What a ticket listing may be narrowed by: its UUID, its contact's UUID."""

    uuid: str | None = None
    contact: str | None = None


def select_tickets(workspace: Workspace, f: TicketFilter) -> Select[Ticket]:
    stmt = scoped(Ticket, workspace)
    if f.uuid is not None:
        stmt = stmt.where(Ticket.uuid == f.uuid)
    if f.contact is not None:
        stmt = stmt.where(
            Ticket.contact_id.in_(scoped(Contact, workspace, Contact.id).where(Contact.uuid == f.contact))
        )
    return stmt


async def by_uuids(session: AsyncSession, workspace: Workspace, uuids: Sequence[str]) -> dict[str, Ticket]:
    if not uuids:
        return {}
    rows = await session.execute(scoped(Ticket, workspace).where(Ticket.uuid.in_(sorted(set(uuids)))))
    return {t.uuid: t for t in rows.scalars()}


async def open_ticket_of(session: AsyncSession, workspace: Workspace, contact_id: int) -> Ticket | None:
    rows = await session.execute(
        scoped(Ticket, workspace).where(Ticket.contact_id == contact_id, Ticket.status == "open")
    )
    return rows.scalar_one_or_none()


async def open_contact_ids(session: AsyncSession, workspace: Workspace, contact_ids: Sequence[int]) -> set[int]:
    """Which of these contacts have an open ticket."""
    if not contact_ids:
        return set()
    rows = await session.execute(
        scoped(Ticket, workspace, Ticket.contact_id).where(
            Ticket.contact_id.in_(sorted(set(contact_ids))), Ticket.status == "open"
        )
    )
    return set(rows.scalars())


async def open_tickets_detail(session: AsyncSession, workspace: Workspace, contact_ids: Sequence[int]) -> list[Any]:
    """``(contact_id, uuid, topic uuid, topic name, assignee email, first name, last name)`` of the open ticket
    of each of these contacts, in one query (what the flow engine's contacts carry)."""
    rows = await session.execute(
        scoped(
            Ticket,
            workspace,
            Ticket.contact_id,
            Ticket.uuid,
            Topic.uuid,
            Topic.name,
            User.email,
            User.first_name,
            User.last_name,
        )
        .join(Topic, Topic.id == Ticket.topic_id)
        .outerjoin(User, User.id == Ticket.assignee_id)
        .where(Ticket.contact_id.in_(sorted(set(contact_ids))), Ticket.status == "open")
    )
    return list(rows)


async def member_by_email(session: AsyncSession, workspace: Workspace, email: str) -> User | None:
    """A user of the workspace (any role) by email, case-insensitively."""
    rows = await session.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace.id, func.lower(User.email) == email.strip().lower())
        .order_by(User.id)
        .limit(1)
    )
    return rows.scalar_one_or_none()


async def members(session: AsyncSession, workspace: Workspace) -> list[User]:
    """Every user of the workspace, oldest first (the users a flow may assign tickets to)."""
    rows = await session.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace.id)
        .order_by(User.id)
    )
    return list(rows.scalars())


@dataclass
class TicketPage:
    """The rows a page of tickets names, each loaded in one query for the whole page."""

    contacts: dict[int, Contact] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    flows: dict[int, Flow] = field(default_factory=dict)


async def load_page(session: AsyncSession, workspace: Workspace, tickets: Sequence[Ticket]) -> TicketPage:
    """The contacts, topics, users (assignees and openers) and flows of a page: at most four queries."""
    page = TicketPage()
    if not tickets:
        return page
    contact_ids = sorted({t.contact_id for t in tickets})
    topic_ids = sorted({t.topic_id for t in tickets})
    user_ids = sorted({u for t in tickets for u in (t.assignee_id, t.opened_by_id) if u is not None})
    flow_ids = sorted({t.opened_in_id for t in tickets if t.opened_in_id is not None})
    rows = await session.execute(scoped(Contact, workspace).where(Contact.id.in_(contact_ids)))
    page.contacts = {c.id: c for c in rows.scalars()}
    rows_t = await session.execute(scoped(Topic, workspace).where(Topic.id.in_(topic_ids)))
    page.topics = {t.id: t for t in rows_t.scalars()}
    if user_ids:
        rows_u = await session.execute(select(User).where(User.id.in_(user_ids)))
        page.users = {u.id: u for u in rows_u.scalars()}
    if flow_ids:
        rows_f = await session.execute(scoped(Flow, workspace).where(Flow.id.in_(flow_ids)))
        page.flows = {f.id: f for f in rows_f.scalars()}
    return page
