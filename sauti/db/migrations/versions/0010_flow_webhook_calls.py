"""flow webhook calls: the HTTP log of the webhooks flows call

Revision ID: 0010_flow_webhook_calls
Revises: 0009_campaigns
Create Date: 2026-12-02 01:55:00

One row per call_webhook a sprint made, written from its webhook_called events (request, response, status,
elapsed), so an admin can read later what a flow sent and got back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sauti.db.base

revision = "0010_flow_webhook_calls"
down_revision = "0009_campaigns"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "flow_webhook_calls",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("flow_id", ID, nullable=True),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("node_uuid", sa.String(length=36), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_flow_webhook_calls_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flows.id"], name=op.f("fk_flow_webhook_calls_flow_id_flows"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["flow_sessions.id"],
            name=op.f("fk_flow_webhook_calls_session_id_flow_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_flow_webhook_calls_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_webhook_calls")),
    )
    op.create_index("ix_flow_webhook_calls_flow", "flow_webhook_calls", ["workspace_id", "flow_id", "created_on"])
    op.create_index("ix_flow_webhook_calls_session", "flow_webhook_calls", ["session_id"])
    op.create_index("ix_flow_webhook_calls_contact", "flow_webhook_calls", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_flow_webhook_calls_contact", table_name="flow_webhook_calls")
    op.drop_index("ix_flow_webhook_calls_session", table_name="flow_webhook_calls")
    op.drop_index("ix_flow_webhook_calls_flow", table_name="flow_webhook_calls")
    op.drop_table("flow_webhook_calls")
