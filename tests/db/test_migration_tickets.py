"""Migration 0012_tickets gives every existing workspace its system topic General with its two kept counters,
and enforces one open ticket per contact on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from sauti.db.migrate import alembic_config, upgrade
from tests.db.test_migration_flow_dependencies import WORKSPACE
from tests.db.test_migration_textus import _query, fresh_url  # noqa: F401 (the fixture)

CONTACT = (
    "INSERT INTO contacts (id, uuid, workspace_id, name, status, tickets, is_active, created_on, modified_on) "
    "VALUES (1, 'c', 1, 'C', 'active', 0, true, '2020-01-01', '2020-01-01')"
)


def _ticket(ticket_id: int, status: str) -> str:
    return (
        "INSERT INTO tickets (id, uuid, workspace_id, contact_id, topic_id, status, opened_on, modified_on, "
        f"last_activity_on) VALUES ({ticket_id}, 't{ticket_id}', 1, 1, (SELECT id FROM topics), '{status}', "
        "'2020-01-01', '2020-01-01', '2020-01-01')"
    )


def test_existing_workspaces_get_general(fresh_url: str) -> None:  # noqa: F811
    upgrade(fresh_url, "0010_flow_webhook_calls")
    _query(fresh_url, WORKSPACE)
    upgrade(fresh_url, "0012_tickets")
    (topics,) = _query(fresh_url, "SELECT workspace_id, name, is_system, is_default FROM topics")
    assert [(w, n, bool(s), bool(d)) for w, n, s, d in topics] == [(1, "General", True, True)]
    (counts,) = _query(fresh_url, "SELECT status, count FROM topic_ticket_counts ORDER BY status")
    assert counts == [("closed", 0), ("open", 0)]
    _query(fresh_url, CONTACT, _ticket(1, "closed"), _ticket(2, "open"), _ticket(3, "closed"))
    with pytest.raises(sa.exc.IntegrityError):
        _query(fresh_url, _ticket(4, "open"))
    command.downgrade(alembic_config(fresh_url), "0010_flow_webhook_calls")
    upgrade(fresh_url)
