"""Many rows in one statement (COPY on PostgreSQL, or one prepared INSERT for a few rows; executemany on SQLite)
read back exactly as the ORM writes them: JSON values, aware datetimes stored as UTC, nulls. One ORM row written
with a Core statement (``insert_object``, ``update_object``) is in the session as a flush would have left it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from sauti.db import bulk
from sauti.db.base import table_of
from sauti.kit import clock
from sauti.models import Message
from tests.api.rapidpro.helpers import create_contact
from tests.conftest import Backend, Tenant

pytestmark = pytest.mark.usefixtures("app")


@pytest.mark.parametrize("count", [3, 20])  # PostgreSQL: a prepared INSERT, then COPY
async def test_rows_read_back_as_written(client: Any, backend: Backend, tenant: Tenant, count: int) -> None:
    contact_id = await _contact_id(client, backend, "tel:+250788123123")
    kigali = timezone(timedelta(hours=2))
    when = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=kigali)
    shared = ["image/jpeg:https://example.com/a.jpg"]
    async with backend.sessionmaker() as session:
        rows = [
            {
                "uuid": u,
                "workspace_id": tenant.workspace.id,
                "contact_id": contact_id,
                "direction": "out",
                "status": "queued",
                "text": f"héllo {i} 'quoted' \\ back\\slash",
                "attachments": shared,
                "quick_replies": [{"type": "text", "text": "Yes"}] if i else [],
                "high_priority": bool(i % 2),
                "next_attempt": when,
                "external_id": None,
                "created_on": when,
                "modified_on": when,
            }
            for i, u in enumerate(clock.new_uuids(count))
        ]
        await bulk.insert_rows(session, table_of(Message), rows)
        await session.commit()
    async with backend.sessionmaker() as session:
        stored = (await session.execute(select(Message).order_by(Message.id))).scalars().all()
    assert [m.uuid for m in stored] == [r["uuid"] for r in rows]
    for m, r in zip(stored, rows, strict=True):
        assert (m.text, m.attachments, m.quick_replies, m.high_priority) == (
            r["text"],
            shared,
            r["quick_replies"],
            r["high_priority"],
        )
        assert m.next_attempt == when.astimezone(UTC) and m.external_id is None and m.channel_id is None


async def test_one_row_written_without_a_flush(client: Any, backend: Backend, tenant: Tenant) -> None:
    from sqlalchemy import event

    from sauti.models import Contact

    joe = await create_contact(client, urns=["tel:+250788123123"])
    when = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    async with backend.sessionmaker() as session:
        contact = (await session.execute(select(Contact).where(Contact.uuid == joe["uuid"]))).scalar_one()
        message = Message(
            uuid=clock.new_uuid(),
            workspace_id=tenant.workspace.id,
            contact_id=contact.id,
            direction="in",
            status="handled",
            text="hi",
            created_on=when,
            modified_on=when,
        )
        for engine in backend.engines:
            event.listen(engine, "before_cursor_execute", record)
        try:
            await bulk.insert_object(session, message)
            await bulk.update_object(session, contact, {"last_seen_on": when, "modified_on": when})
            # in the session as persistent rows with nothing to write: the flush and the commit issue nothing
            assert message in session and not session.new and not session.dirty
            await session.flush()
        finally:
            for engine in backend.engines:
                event.remove(engine, "before_cursor_execute", record)
        assert len(statements) == 2, statements
        # the columns it left out took their defaults, on the object too
        assert (message.msg_type, message.visibility, message.attachments, message.msg_count) == (
            "text",
            "visible",
            [],
            1,
        )
        assert await session.get(Message, message.id) is message
        await session.commit()
    async with backend.sessionmaker() as session:
        stored = await session.get(Message, message.id)
        assert stored is not None and (stored.text, stored.msg_type, stored.attachments, stored.created_on) == (
            "hi",
            "text",
            [],
            when,
        )
        seen = await session.get(Contact, contact.id)
        assert seen is not None and (seen.last_seen_on, seen.modified_on) == (when, when)


@pytest.mark.parametrize("count", [3, 20])  # PostgreSQL: a prepared INSERT, then COPY
async def test_rows_written_first_in_a_session_are_in_its_transaction(
    client: Any, backend: Backend, tenant: Tenant, count: int
) -> None:
    """The session's first statement may be the bulk write: it is still inside the session's transaction, so a
    rollback undoes it (on PostgreSQL the driver is called directly, and asyncpg alone would have committed it)."""
    contact_id = await _contact_id(client, backend, "tel:+250788123124")
    now = clock.now()
    rows = [
        {
            "uuid": u,
            "workspace_id": tenant.workspace.id,
            "contact_id": contact_id,
            "direction": "out",
            "status": "queued",
            "text": "undone",
            "created_on": now,
            "modified_on": now,
        }
        for u in clock.new_uuids(count)
    ]
    async with backend.sessionmaker() as session:
        await bulk.insert_rows(session, table_of(Message), rows)  # nothing before it in this session
        await session.rollback()
    async with backend.sessionmaker() as session:
        assert (await session.execute(select(Message.id).where(Message.text == "undone"))).all() == []
        await bulk.insert_rows(session, table_of(Message), rows)
        await session.commit()
    async with backend.sessionmaker() as session:
        assert len((await session.execute(select(Message.id).where(Message.text == "undone"))).all()) == count


async def _contact_id(client: Any, backend: Backend, urn: str) -> int:
    from sauti.models import Contact

    made = await create_contact(client, urns=[urn])
    async with backend.sessionmaker() as session:
        found: int = (await session.execute(select(Contact.id).where(Contact.uuid == made["uuid"]))).scalar_one()
    return found
