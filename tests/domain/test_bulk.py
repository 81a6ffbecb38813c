"""Many rows in one statement (COPY on PostgreSQL, executemany on SQLite) read back exactly as the ORM writes
them: JSON values, aware datetimes stored as UTC, nulls."""

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


async def test_rows_read_back_as_written(client: Any, backend: Backend, tenant: Tenant) -> None:
    joe = await create_contact(client, urns=["tel:+250788123123"])
    from sauti.models import Contact

    kigali = timezone(timedelta(hours=2))
    when = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=kigali)
    shared = ["image/jpeg:https://example.com/a.jpg"]
    async with backend.sessionmaker() as session:
        contact_id = (await session.execute(select(Contact.id).where(Contact.uuid == joe["uuid"]))).scalar_one()
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
            for i, u in enumerate(clock.new_uuids(3))
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
