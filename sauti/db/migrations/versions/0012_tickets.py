"""tickets: topics (with the system topic "General" in every workspace), tickets, their events and the kept
counts of tickets per topic and status

Revision ID: 0012_tickets
Revises: 0011_resthooks
Create Date: 2026-12-02 04:00:00

A contact has at most one open ticket: a partial unique index on both databases. Every existing workspace gets
its "General" topic and that topic's two counters here; new workspaces get them where they are created.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import sauti.db.base

revision = "0012_tickets"
down_revision = "0011_resthooks"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPEN = "status = 'open'"


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "topics",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        _fk("topics", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("uuid", name=op.f("uq_topics_uuid")),
    )
    op.create_index("ix_topics_ws_created", "topics", ["workspace_id", "is_active", "created_on", "id"])

    op.create_table(
        "topic_ticket_counts",
        sa.Column("topic_id", ID, nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _fk("topic_ticket_counts", "topic_id", "topics", "CASCADE"),
        _fk("topic_ticket_counts", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("topic_id", "status", name=op.f("pk_topic_ticket_counts")),
    )
    op.create_index("ix_topic_ticket_counts_workspace_id", "topic_ticket_counts", ["workspace_id"])

    op.create_table(
        "tickets",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("contact_id", ID, nullable=False),
        sa.Column("topic_id", ID, nullable=False),
        sa.Column("assignee_id", ID, nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("opened_in_id", ID, nullable=True),
        sa.Column("opened_by_id", ID, nullable=True),
        sa.Column("closed_on", sauti.db.base.UTCDateTime(), nullable=True),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("last_activity_on", sauti.db.base.UTCDateTime(), nullable=False),
        _fk("tickets", "workspace_id", "workspaces", "CASCADE"),
        _fk("tickets", "contact_id", "contacts", "CASCADE"),
        _fk("tickets", "topic_id", "topics", "CASCADE"),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_tickets_assignee_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["opened_in_id"], ["flows.id"], name=op.f("fk_tickets_opened_in_id_flows"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["users.id"], name=op.f("fk_tickets_opened_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("uuid", name=op.f("uq_tickets_uuid")),
    )
    op.create_index("ix_tickets_ws_modified", "tickets", ["workspace_id", "modified_on", "id"])
    op.create_index("ix_tickets_contact_modified", "tickets", ["contact_id", "modified_on", "id"])
    op.create_index(
        "ix_tickets_one_open",
        "tickets",
        ["contact_id"],
        unique=True,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.create_index("ix_tickets_topic", "tickets", ["topic_id"])
    op.create_index("ix_tickets_assignee", "tickets", ["assignee_id"])

    op.create_table(
        "ticket_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("topic_id", ID, nullable=True),
        sa.Column("assignee_id", ID, nullable=True),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        _fk("ticket_events", "workspace_id", "workspaces", "CASCADE"),
        _fk("ticket_events", "ticket_id", "tickets", "CASCADE"),
        _fk("ticket_events", "topic_id", "topics", "SET NULL"),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_ticket_events_assignee_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_ticket_events_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    op.create_index("ix_ticket_events_ticket", "ticket_events", ["ticket_id", "created_on", "id"])
    op.create_index("ix_ticket_events_workspace_id", "ticket_events", ["workspace_id"])

    # the system topic of every existing workspace, with its two counters
    conn = op.get_bind()
    topics = sa.table(
        "topics",
        sa.column("uuid", sa.String),
        sa.column("workspace_id", ID),
        sa.column("name", sa.String),
        sa.column("is_system", sa.Boolean),
        sa.column("is_default", sa.Boolean),
        sa.column("is_active", sa.Boolean),
        sa.column("created_on", sauti.db.base.UTCDateTime()),
        sa.column("modified_on", sauti.db.base.UTCDateTime()),
    )
    counts = sa.table(
        "topic_ticket_counts",
        sa.column("topic_id", ID),
        sa.column("status", sa.String),
        sa.column("workspace_id", ID),
        sa.column("count", sa.Integer),
    )
    now = datetime.now(UTC)
    for (ws_id,) in conn.execute(sa.text("SELECT id FROM workspaces ORDER BY id")).all():
        conn.execute(
            topics.insert().values(
                uuid=str(uuid.uuid4()),
                workspace_id=ws_id,
                name="General",
                is_system=True,
                is_default=True,
                is_active=True,
                created_on=now,
                modified_on=now,
            )
        )
        topic_id = conn.execute(
            sa.text("SELECT id FROM topics WHERE workspace_id = :ws AND is_system"), {"ws": ws_id}
        ).scalar_one()
        for status in ("open", "closed"):
            conn.execute(counts.insert().values(topic_id=topic_id, status=status, workspace_id=ws_id, count=0))


def downgrade() -> None:
    op.drop_table("ticket_events")
    op.drop_table("tickets")
    op.drop_table("topic_ticket_counts")
    op.drop_table("topics")
