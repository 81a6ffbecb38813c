"""Use cases for ticket topics.

Rules (API v2 ``topics.json``): a name follows the label and group name rules, at most 64 characters, unique
in the workspace whatever its case; the system topic "General" can't be renamed; a workspace may have 50
topics besides it (``limits``, ``topics``). A topic is written with its two ticket counters (open and closed),
so counting a topic's tickets never reads a ticket.
"""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain import limits
from sauti.domain.errors import ErrorCollector, Forbidden, NotFound
from sauti.domain.names import check_name
from sauti.domain.topics import queries
from sauti.kit import clock
from sauti.models import Topic, TopicTicketCount, Workspace
from sauti.models.ticket import TICKET_STATUSES

SYSTEM_TOPIC = "General"


async def _add(session: AsyncSession, workspace: Workspace, name: str, *, system: bool) -> Topic:
    now = clock.now()
    topic = Topic(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        name=name,
        is_system=system,
        is_default=system,
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    session.add(topic)
    await session.flush()
    await session.execute(
        insert(TopicTicketCount),
        [{"topic_id": topic.id, "status": s, "workspace_id": workspace.id, "count": 0} for s in TICKET_STATUSES],
    )
    return topic


async def create_system_topic(session: AsyncSession, workspace: Workspace) -> Topic:
    """The workspace's "General" topic (called once, when the workspace is created)."""
    return await _add(session, workspace, SYSTEM_TOPIC, system=True)


async def _check(
    session: AsyncSession, workspace: Workspace, name: str, errors: ErrorCollector, exclude_id: int | None = None
) -> None:
    if check_name(name, errors) and await queries.name_taken(session, workspace, name, exclude_id):
        errors.add("name", "unique")


async def create(session: AsyncSession, workspace: Workspace, *, name: str) -> Topic:
    """A new topic; 409 once the workspace has its limit of topics (the system topic not counted)."""
    errors = ErrorCollector()
    await _check(session, workspace, name, errors)
    errors.raise_if_any()
    await limits.check(session, workspace, "topics", Topic, Topic.is_system.is_(False))
    return await _add(session, workspace, name, system=False)


async def get(session: AsyncSession, workspace: Workspace, uuid: str) -> Topic:
    topic = await queries.by_uuid(session, workspace, uuid)
    if topic is None:
        raise NotFound("topic", uuid)
    return topic


async def get_editable(session: AsyncSession, workspace: Workspace, uuid: str) -> Topic:
    """A topic that may be changed: 404 when there is none, 403 for the system topic."""
    topic = await get(session, workspace, uuid)
    if topic.is_system:
        raise Forbidden("system_object", action="modify")
    return topic


async def rename(session: AsyncSession, workspace: Workspace, uuid: str, *, name: str) -> Topic:
    topic = await get_editable(session, workspace, uuid)
    errors = ErrorCollector()
    await _check(session, workspace, name, errors, exclude_id=topic.id)
    errors.raise_if_any()
    topic.name = name
    topic.modified_on = clock.now()
    await session.flush()
    return topic


async def count_change(session: AsyncSession, topic_id: int, status: str, delta: int) -> None:
    """Move a topic's kept count of tickets with ``status`` by ``delta``, in the caller's transaction (one
    UPDATE, so concurrent changes add up instead of overwriting each other)."""
    await session.execute(
        update(TopicTicketCount)
        .where(TopicTicketCount.topic_id == topic_id, TopicTicketCount.status == status)
        .values(count=TopicTicketCount.count + delta)
    )
