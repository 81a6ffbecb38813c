"""campaigns: campaigns on a group, their events, and the fires that carry them out as due rows

Revision ID: 0009_campaigns
Revises: 0008_flow_dependencies
Create Date: 2026-12-02 00:30:36

An event waits (status ``scheduling``) until a worker has written the fires of its group; a fire waits for its
time. Both are claimed through partial indexes, as every kind of due work is (``worker/claims.py``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sauti.db.base

revision = "0009_campaigns"
down_revision = "0008_flow_dependencies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["contact_groups.id"], name=op.f("fk_campaigns_group_id_contact_groups"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_campaigns_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("uuid", name=op.f("uq_campaigns_uuid")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            "ix_campaigns_ws_created", ["workspace_id", "is_active", "created_on", "id"], unique=False
        )

    op.create_table(
        "campaign_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("field_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("offset", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=1), nullable=False),
        sa.Column("delivery_hour", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=1), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=True),
        sa.Column("base_language", sa.String(length=3), nullable=True),
        sa.Column("flow_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("start_mode", sa.String(length=1), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("fire_version", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flows.id"], name=op.f("fk_campaign_events_flow_id_flows"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_events_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["contact_fields.id"],
            name=op.f("fk_campaign_events_field_id_contact_fields"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_campaign_events_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_events")),
        sa.UniqueConstraint("uuid", name=op.f("uq_campaign_events_uuid")),
    )
    with op.batch_alter_table("campaign_events", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_events_campaign", ["campaign_id", "is_active"], unique=False)
        batch_op.create_index("ix_campaign_events_field", ["field_id", "is_active"], unique=False)
        batch_op.create_index(
            "ix_campaign_events_waiting",
            ["workspace_id", "modified_on", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'scheduling' AND claimed_by IS NULL"),
            sqlite_where=sa.text("status = 'scheduling' AND claimed_by IS NULL"),
        )
        batch_op.create_index(
            "ix_campaign_events_ws_created", ["workspace_id", "is_active", "created_on", "id"], unique=False
        )

    op.create_table(
        "campaign_fires",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("fire_version", sa.Integer(), nullable=False),
        sa.Column("fire_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("fired_on", sauti.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_campaign_fires_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["campaign_events.id"],
            name=op.f("fk_campaign_fires_event_id_campaign_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_campaign_fires_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_fires")),
    )
    with op.batch_alter_table("campaign_fires", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_fires_claims",
            ["claimed_by"],
            unique=False,
            postgresql_where=sa.text("claimed_by IS NOT NULL"),
            sqlite_where=sa.text("claimed_by IS NOT NULL"),
        )
        batch_op.create_index("ix_campaign_fires_contact", ["contact_id"], unique=False)
        batch_op.create_index("ix_campaign_fires_event_contact", ["event_id", "contact_id"], unique=False)
        batch_op.create_index(
            "ix_campaign_fires_waiting",
            ["workspace_id", "fire_on", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'pending' AND claimed_by IS NULL"),
            sqlite_where=sa.text("status = 'pending' AND claimed_by IS NULL"),
        )


def downgrade() -> None:
    op.drop_table("campaign_fires")
    op.drop_table("campaign_events")
    op.drop_table("campaigns")
