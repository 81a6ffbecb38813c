"""flow dependencies: the fields, groups, flows ... each saved flow uses

Revision ID: 0008_flow_dependencies
Revises: 0007_flows
Create Date: 2026-12-02 00:50:00

Written when a flow is saved, read by fields.json (how many flows use a field) and definitions.json (what a
flow needs beside it). Existing flows get their rows from their stored definitions.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008_flow_dependencies"
down_revision = "0007_flows"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "flow_dependencies",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("flow_id", ID, nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("identity", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_flow_dependencies_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flows.id"], name=op.f("fk_flow_dependencies_flow_id_flows"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_dependencies")),
    )
    op.create_index("ix_flow_dependencies_flow", "flow_dependencies", ["flow_id"])
    op.create_index("ix_flow_dependencies_asset", "flow_dependencies", ["workspace_id", "type", "identity"])
    _backfill()


def _backfill() -> None:
    from sauti.engine.definition import DefinitionError, inspect_flow, read_flow

    conn = op.get_bind()
    flows = sa.table("flows", sa.column("id"), sa.column("workspace_id"), sa.column("definition", sa.JSON))
    deps = sa.table(
        "flow_dependencies",
        sa.column("workspace_id"),
        sa.column("flow_id"),
        sa.column("type"),
        sa.column("identity"),
        sa.column("name"),
    )
    rows: list[dict[str, Any]] = []
    for flow in conn.execute(sa.select(flows.c.id, flows.c.workspace_id, flows.c.definition)):
        try:
            info = inspect_flow(read_flow(flow.definition))
        except DefinitionError:
            continue
        for dep in info.dependencies:
            rows.append(
                {
                    "workspace_id": flow.workspace_id,
                    "flow_id": flow.id,
                    "type": dep.type[:16],
                    "identity": dep.identity[:255],
                    "name": (dep.name or "")[:255],
                }
            )
    if rows:
        conn.execute(deps.insert(), rows)


def downgrade() -> None:
    op.drop_index("ix_flow_dependencies_asset", table_name="flow_dependencies")
    op.drop_index("ix_flow_dependencies_flow", table_name="flow_dependencies")
    op.drop_table("flow_dependencies")
