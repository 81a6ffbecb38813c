"""classifiers and archives

Revision ID: 0013_classifiers_archives
Revises: 0012_tickets
Create Date: 2026-12-02 04:00:00

Classifiers: a workspace's records of external NLU services (Wit.ai and the like) that flows' call_classifier
actions call. Archives: one row per gzipped JSON Lines file of old messages or runs (a day or a month), which
is also the job that writes it (pending rows are claimed by workers).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sauti.db.base

revision = "0013_classifiers_archives"
down_revision = "0012_tickets"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WAITING = "status = 'pending' AND claimed_by IS NULL"


def upgrade() -> None:
    op.create_table(
        "classifiers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("classifier_type", sa.String(length=16), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_classifiers_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifiers")),
        sa.UniqueConstraint("uuid", name=op.f("uq_classifiers_uuid")),
    )
    op.create_index("ix_classifiers_ws_created", "classifiers", ["workspace_id", "is_active", "created_on", "id"])
    op.create_table(
        "archives",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("archive_type", sa.String(length=8), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=32), nullable=True),
        sa.Column("path", sa.String(length=512), nullable=True),
        sa.Column("rollup_id", ID, nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("deleted_on", sauti.db.base.UTCDateTime(), nullable=True),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_archives_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["rollup_id"], ["archives.id"], name=op.f("fk_archives_rollup_id_archives"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives")),
        sa.UniqueConstraint("uuid", name=op.f("uq_archives_uuid")),
        sa.UniqueConstraint("workspace_id", "archive_type", "period", "start_date", name="uq_archives_period"),
    )
    op.create_index("ix_archives_ws_start", "archives", ["workspace_id", "start_date", "id"])
    op.create_index(
        "ix_archives_waiting",
        "archives",
        ["workspace_id", "start_date", "id"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )
    op.create_index(
        "ix_archives_claims",
        "archives",
        ["claimed_by"],
        postgresql_where=sa.text("claimed_by IS NOT NULL"),
        sqlite_where=sa.text("claimed_by IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("archives")
    op.drop_table("classifiers")
