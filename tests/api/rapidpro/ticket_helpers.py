"""Opening tickets for API tests through the tickets domain (what a flow's ``open_ticket`` calls)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sauti.domain.tickets import service as tickets
from sauti.domain.topics import queries as topic_queries
from sauti.domain.workspaces import service as ws_service
from sauti.models import Contact, Ticket, Topic, TopicTicketCount, User, Workspace


async def open_ticket(
    db: Any, workspace_id: int, contact_uuid: str, *, topic_uuid: str | None = None, assignee: str | None = None
) -> Ticket | None:
    async with db() as session:
        ws = await session.get(Workspace, workspace_id)
        contact = (await session.execute(select(Contact).where(Contact.uuid == contact_uuid))).scalar_one()
        if topic_uuid is None:
            topic = await topic_queries.default_topic(session, ws)
        else:
            topic = (await session.execute(select(Topic).where(Topic.uuid == topic_uuid))).scalar_one()
        user = None
        if assignee is not None:
            user = (await session.execute(select(User).where(User.email == assignee))).scalar_one()
        ticket = await tickets.open_ticket(session, ws, contact, topic=topic, assignee=user, note="help")
        await session.commit()
        return ticket


async def add_user(db: Any, workspace_id: int, email: str, role: str = "agent", first: str = "Agnes") -> User:
    async with db() as session:
        ws = await session.get(Workspace, workspace_id)
        assert ws is not None
        user = await ws_service.create_user(session, email=email, first_name=first, last_name="Agent")
        await ws_service.grant_role(session, ws, user, role)
        await session.commit()
        return user


async def kept_counts(db: Any, workspace_id: int) -> dict[str, dict[str, int]]:
    """Each topic's kept counts by name, as stored."""
    async with db() as session:
        rows = await session.execute(
            select(Topic.name, TopicTicketCount.status, TopicTicketCount.count)
            .join(Topic, Topic.id == TopicTicketCount.topic_id)
            .where(Topic.workspace_id == workspace_id)
        )
        out: dict[str, dict[str, int]] = {}
        for name, status, n in rows:
            out.setdefault(name, {})[status] = n
        return out
