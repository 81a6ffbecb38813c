"""Migration 0011_resthooks gives flows saved before it the resthooks their call_resthook actions name, and
downgrades cleanly."""

from __future__ import annotations

import json

from alembic import command

from sauti.db.migrate import alembic_config, upgrade
from tests.db.test_migration_flow_dependencies import WORKSPACE, _flow
from tests.db.test_migration_textus import _query, fresh_url  # noqa: F401 (the fixture)


def test_saved_flows_get_their_resthooks(fresh_url: str) -> None:  # noqa: F811
    upgrade(fresh_url, "0010_flow_webhook_calls")
    _query(
        fresh_url,
        WORKSPACE,
        _flow(1, "f1", json.dumps({"nodes": []})),
        "INSERT INTO flow_dependencies (workspace_id, flow_id, type, identity, name) VALUES "
        "(1, 1, 'resthook', 'New-Mother', 'New-Mother'), (1, 1, 'field', 'age', 'Age')",
    )
    upgrade(fresh_url, "0011_resthooks")
    (rows,) = _query(fresh_url, "SELECT workspace_id, slug, is_active FROM resthooks")
    assert [(w, s, bool(a)) for w, s, a in rows] == [(1, "new-mother", True)]
    command.downgrade(alembic_config(fresh_url), "0010_flow_webhook_calls")
    (tables,) = _query(fresh_url, "SELECT count(*) FROM flow_dependencies")
    assert tables == [(2,)]
