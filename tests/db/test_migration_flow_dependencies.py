"""Migration 0008_flow_dependencies fills the rows of flows saved before it from their stored definitions, and
leaves a definition the engine cannot read without rows instead of failing the upgrade."""

from __future__ import annotations

import json

from alembic import command

from sauti.db.migrate import alembic_config, upgrade
from tests.api.rapidpro.flow_helpers import registration
from tests.db.test_migration_textus import _query, fresh_url  # noqa: F401 (the fixture)

WORKSPACE = (
    "INSERT INTO workspaces (id, uuid, name, languages, timezone, date_style, anon, api_rates, limits, "
    "opt_out_keywords, is_active, created_on, modified_on) VALUES (1, 'w', 'W', '[]', 'UTC', 'day_first', false, "
    "'{}', '{}', '[]', true, '2020-01-01', '2020-01-01')"
)


def _flow(flow_id: int, uuid: str, definition: str) -> str:
    quoted = definition.replace("'", "''")
    return (
        "INSERT INTO flows (id, uuid, workspace_id, name, type, spec_version, revision, definition, expires, "
        "results, parent_refs, labels, ignore_triggers, is_archived, is_active, runs_active, runs_waiting, "
        "runs_completed, runs_interrupted, runs_expired, runs_failed, created_on, modified_on) VALUES "
        f"({flow_id}, '{uuid}', 1, 'F', 'message', '14.4.2', 1, '{quoted}', 0, '[]', '[]', '[]', false, false, "
        "true, 0, 0, 0, 0, 0, 0, '2020-01-01', '2020-01-01')"
    )


def test_existing_flows_get_their_dependencies(fresh_url: str) -> None:  # noqa: F811
    upgrade(fresh_url, "0007_flows")
    _query(fresh_url, WORKSPACE, _flow(1, "f1", json.dumps(registration())), _flow(2, "f2", '{"broken": true}'))
    upgrade(fresh_url, "0008_flow_dependencies")
    (rows,) = _query(fresh_url, "SELECT flow_id, type, identity FROM flow_dependencies ORDER BY id")
    assert rows == [
        (1, "field", "age"),
        (1, "field", "district"),
        (1, "group", "c2e4a6b8-0d1f-4a3c-9e5b-7f9a1b3c5d01"),
    ]
    command.downgrade(alembic_config(fresh_url), "0007_flows")
    assert _query(fresh_url, "SELECT count(*) FROM flows")[0] == [(2,)]
    upgrade(fresh_url)
