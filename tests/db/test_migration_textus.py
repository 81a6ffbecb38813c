"""Migration 0005_textus on a database that already holds rows: contacts' children survive (SQLite's batch
"move and copy" would have dropped them through ON DELETE CASCADE), existing rows are backfilled, and the
downgrade keeps them too."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from sauti.db.migrate import alembic_config, blocking, upgrade
from tests.conftest import Backend

ROWS = [
    "INSERT INTO workspaces (id, uuid, name, languages, timezone, date_style, anon, api_rates, limits, "
    "opt_out_keywords, is_active, created_on, modified_on) VALUES (1, 'w', 'W', '[]', 'UTC', 'day_first', false, "
    "'{}', '{}', '[]', true, '2020-01-01', '2020-01-01')",
    "INSERT INTO contacts (id, uuid, workspace_id, name, status, is_active, tickets, created_on, modified_on) "
    "VALUES (1, 'c', 1, 'Ben  van Haggerty', 'active', true, 0, '2020-01-01', '2020-01-01')",
    "INSERT INTO contact_urns (workspace_id, contact_id, scheme, path, identity, priority) "
    "VALUES (1, 1, 'tel', '+250788123123', 'tel:+250788123123', 1000)",
    "INSERT INTO contact_groups (id, uuid, workspace_id, name, group_type, status, is_system, member_count, "
    "is_active, created_on, modified_on) VALUES (7, 'g', 1, 'G', 'manual', 'ready', false, 1, true, '2020-01-01', "
    "'2020-01-01')",
    "INSERT INTO contact_group_members (group_id, contact_id) VALUES (7, 1)",
    "INSERT INTO messages (uuid, workspace_id, contact_id, direction, msg_type, status, visibility, text, "
    "attachments, quick_replies, high_priority, error_count, msg_count, created_on, modified_on) VALUES ('m', 1, 1, "
    "'in', 'text', 'handled', 'visible', 'hi', '[]', '[]', false, 0, 1, '2020-01-01', '2020-01-01')",
    "INSERT INTO broadcasts (uuid, workspace_id, status, translations, base_language, urns, contact_ids, "
    "urn_contact_ids, group_ids, high_priority, total, started, expand_cursor, is_active, created_on, modified_on) "
    "VALUES ('b', 1, 'completed', '{}', 'eng', '[]', '[]', '[]', '[7]', false, 0, 0, 0, true, '2020-01-01', "
    "'2020-01-01')",
]


@pytest.fixture
def fresh_url(backend: Backend) -> str:
    """An empty database of the backend's kind."""
    if backend.name == "sqlite":
        return f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='sauti-mig-')) / 'm.db'}"
    name = f"mig_{uuid.uuid4().hex[:12]}"

    async def make() -> None:
        engine = create_async_engine(backend.url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(sa.text(f"CREATE DATABASE {name}"))
        await engine.dispose()

    blocking(make)
    return backend.url.rsplit("/", 1)[0] + "/" + name


def _query(url: str, *statements: str) -> list[list[tuple[object, ...]]]:
    async def run() -> list[list[tuple[object, ...]]]:
        engine = create_async_engine(url)
        out: list[list[tuple[object, ...]]] = []
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(sa.text(statement))
                out.append([tuple(r) for r in result] if result.returns_rows else [])
        await engine.dispose()
        return out

    return blocking(run)


def test_existing_rows_survive_and_are_backfilled(fresh_url: str) -> None:
    upgrade(fresh_url, "0004")
    _query(fresh_url, *ROWS)
    upgrade(fresh_url, "0005_textus")
    counts = "SELECT (SELECT count(*) FROM contact_urns), (SELECT count(*) FROM messages), " \
        "(SELECT count(*) FROM contact_group_members)"  # fmt: skip
    (contact,), (children,), (broadcast,) = _query(
        fresh_url,
        "SELECT first_name, last_name, country, line_type, flagged FROM contacts",
        counts,
        "SELECT group_id, from_template, templated FROM broadcasts",
    )
    assert contact == ("Ben", "van Haggerty", "RW", "mobile", False)
    assert children == (1, 1, 1)
    assert broadcast == (7, False, False)
    command.downgrade(alembic_config(fresh_url), "0004")
    assert _query(fresh_url, counts)[0] == [(1, 1, 1)]
    upgrade(fresh_url)
    assert _query(fresh_url, "SELECT first_name FROM contacts")[0] == [("Ben",)]
