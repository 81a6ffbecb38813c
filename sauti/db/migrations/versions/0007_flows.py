"""flows: definitions, sessions, runs, triggers, starts and the timers of waiting sessions

Revision ID: 0007_flows
Revises: 0006
Create Date: 2026-12-02 00:30:30

New tables only; ``contacts.current_flow_id`` and ``messages.flow_id`` already exist. Flow starts and flow timers
are due work (``worker/claims.py``): each has a partial index on its waiting rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sauti.db.base
from sauti.models.flow import start_waiting, timer_waiting

revision = "0007_flows"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flows",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=12), nullable=False),
        sa.Column("spec_version", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("expires", sa.Integer(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("parent_refs", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("ignore_triggers", sa.Boolean(), nullable=False),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("runs_active", sa.Integer(), nullable=False),
        sa.Column("runs_waiting", sa.Integer(), nullable=False),
        sa.Column("runs_completed", sa.Integer(), nullable=False),
        sa.Column("runs_interrupted", sa.Integer(), nullable=False),
        sa.Column("runs_expired", sa.Integer(), nullable=False),
        sa.Column("runs_failed", sa.Integer(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_flows_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flows")),
        sa.UniqueConstraint("workspace_id", "uuid", name=op.f("uq_flows_workspace_id")),
    )
    op.create_index("ix_flows_ws_created", "flows", ["workspace_id", "created_on", "id"])

    op.create_table(
        "flow_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("current_flow_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("sprint_uuid", sa.String(length=36), nullable=True),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("ended_on", sauti.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_flow_sessions_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_flow_sessions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_sessions")),
        sa.UniqueConstraint("uuid", name=op.f("uq_flow_sessions_uuid")),
    )
    op.create_index("ix_flow_sessions_contact_status", "flow_sessions", ["contact_id", "status"])
    op.create_index("ix_flow_sessions_ws_modified", "flow_sessions", ["workspace_id", "modified_on", "id"])

    op.create_table(
        "flow_starts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("flow_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("start_type", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("contact_ids", sa.JSON(), nullable=False),
        sa.Column("group_ids", sa.JSON(), nullable=False),
        sa.Column("urns", sa.JSON(), nullable=False),
        sa.Column("urn_contact_ids", sa.JSON(), nullable=False),
        sa.Column("restart_participants", sa.Boolean(), nullable=False),
        sa.Column("exclude_active", sa.Boolean(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("contact_count", sa.Integer(), nullable=False),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("expand_cursor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_on", sauti.db.base.UTCDateTime(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_flow_starts_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flows.id"], name=op.f("fk_flow_starts_flow_id_flows"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_flow_starts_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_starts")),
        sa.UniqueConstraint("workspace_id", "uuid", name=op.f("uq_flow_starts_workspace_id")),
    )
    op.create_index("ix_flow_starts_flow", "flow_starts", ["flow_id"])
    op.create_index(
        "ix_flow_starts_waiting",
        "flow_starts",
        ["workspace_id", "created_on", "id"],
        postgresql_where=start_waiting(),
        sqlite_where=start_waiting(),
    )
    op.create_index("ix_flow_starts_ws_modified", "flow_starts", ["workspace_id", "modified_on", "id"])

    op.create_table(
        "flow_triggers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("trigger_type", sa.String(length=12), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("match_type", sa.String(length=12), nullable=False),
        sa.Column("flow_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("include_group_ids", sa.JSON(), nullable=False),
        sa.Column("exclude_group_ids", sa.JSON(), nullable=False),
        sa.Column("channel_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_flow_triggers_channel_id_channels"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flows.id"], name=op.f("fk_flow_triggers_flow_id_flows"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_flow_triggers_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_triggers")),
        sa.UniqueConstraint("workspace_id", "uuid", name=op.f("uq_flow_triggers_workspace_id")),
    )
    op.create_index("ix_flow_triggers_ws_type", "flow_triggers", ["workspace_id", "trigger_type", "is_archived"])

    op.create_table(
        "flow_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("flow_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("start_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("parent_uuid", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("responded", sa.Boolean(), nullable=False),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("current_node_uuid", sa.String(length=36), nullable=True),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("exited_on", sauti.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_flow_runs_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["flow_id"], ["flows.id"], name=op.f("fk_flow_runs_flow_id_flows"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["flow_sessions.id"], name=op.f("fk_flow_runs_session_id_flow_sessions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["start_id"], ["flow_starts.id"], name=op.f("fk_flow_runs_start_id_flow_starts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_flow_runs_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_runs")),
        sa.UniqueConstraint("uuid", name=op.f("uq_flow_runs_uuid")),
    )
    op.create_index("ix_flow_runs_contact_modified", "flow_runs", ["contact_id", "modified_on", "id"])
    op.create_index("ix_flow_runs_flow_contact", "flow_runs", ["flow_id", "contact_id"])
    op.create_index("ix_flow_runs_flow_modified", "flow_runs", ["flow_id", "modified_on", "id"])
    op.create_index("ix_flow_runs_session", "flow_runs", ["session_id"])
    op.create_index("ix_flow_runs_start", "flow_runs", ["start_id"])
    op.create_index("ix_flow_runs_ws_modified", "flow_runs", ["workspace_id", "modified_on", "id"])

    op.create_table(
        "flow_timers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sprint_uuid", sa.String(length=36), nullable=True),
        sa.Column("due_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_on", sauti.db.base.UTCDateTime(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["flow_sessions.id"],
            name=op.f("fk_flow_timers_session_id_flow_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_flow_timers_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_timers")),
    )
    op.create_index("ix_flow_timers_session", "flow_timers", ["session_id"])
    op.create_index(
        "ix_flow_timers_waiting",
        "flow_timers",
        ["workspace_id", "due_on", "id"],
        postgresql_where=timer_waiting(),
        sqlite_where=timer_waiting(),
    )


def downgrade() -> None:
    for table in ("flow_timers", "flow_runs", "flow_triggers", "flow_starts", "flow_sessions", "flows"):
        op.drop_table(table)
