"""resthooks: slugs, subscribers, events, signing keys; resthook deliveries ride on webhook_deliveries

Revision ID: 0011_resthooks
Revises: 0010_flow_webhook_calls
Create Date: 2026-12-02 04:00:00

Resthooks are a workspace's slugs (one active per slug), subscribers the URLs subscribed to one, events the
payload of every call_resthook. A delivery to a subscriber that failed its first attempt is a webhook_deliveries
row retried by the worker, so those rows learn their subscriber and how they are signed. signing_keys holds the
per-workspace secret every delivery to a subscriber is signed with.

Flows saved before this revision that call resthooks get them now, as saving them would have made them: one
active resthook per workspace and slug their dependency rows name.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import sauti.db.base

revision = "0011_resthooks"
down_revision = "0010_flow_webhook_calls"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"], ["workspaces.id"], name=op.f(f"fk_{table}_workspace_id_workspaces"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "resthooks",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("slug", sa.String(length=1000), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        _workspace_fk("resthooks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resthooks")),
    )
    op.create_index(
        "uq_resthooks_ws_slug_active",
        "resthooks",
        ["workspace_id", "slug"],
        unique=True,
        postgresql_where=sa.column("is_active"),
        sqlite_where=sa.column("is_active"),
    )
    op.create_index("ix_resthooks_ws_modified", "resthooks", ["workspace_id", "is_active", "modified_on", "id"])
    op.create_table(
        "resthook_subscribers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("resthook_id", ID, nullable=False),
        sa.Column("target_url", sa.String(length=2048), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        _workspace_fk("resthook_subscribers"),
        sa.ForeignKeyConstraint(
            ["resthook_id"],
            ["resthooks.id"],
            name=op.f("fk_resthook_subscribers_resthook_id_resthooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resthook_subscribers")),
    )
    op.create_index(
        "ix_resthook_subscribers_ws_created",
        "resthook_subscribers",
        ["workspace_id", "is_active", "created_on", "id"],
    )
    op.create_index("ix_resthook_subscribers_hook", "resthook_subscribers", ["resthook_id", "is_active"])
    op.create_table(
        "resthook_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("resthook_id", ID, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        _workspace_fk("resthook_events"),
        sa.ForeignKeyConstraint(
            ["resthook_id"], ["resthooks.id"], name=op.f("fk_resthook_events_resthook_id_resthooks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resthook_events")),
    )
    op.create_index("ix_resthook_events_ws_created", "resthook_events", ["workspace_id", "created_on", "id"])
    op.create_table(
        "signing_keys",
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        _workspace_fk("signing_keys"),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_signing_keys")),
    )
    _resthooks_of_saved_flows()
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("subscriber_id", ID, nullable=True))
        batch.add_column(sa.Column("signing", sa.String(length=16), nullable=True))
        batch.create_foreign_key(
            op.f("fk_webhook_deliveries_subscriber_id_resthook_subscribers"),
            "resthook_subscribers",
            ["subscriber_id"],
            ["id"],
            ondelete="CASCADE",
        )


def _resthooks_of_saved_flows() -> None:
    deps = sa.table("flow_dependencies", sa.column("flow_id"), sa.column("type"), sa.column("identity"))
    flows = sa.table("flows", sa.column("id"), sa.column("workspace_id"), sa.column("is_active"))
    rows = op.get_bind().execute(
        sa.select(flows.c.workspace_id, deps.c.identity)
        .join(flows, flows.c.id == deps.c.flow_id)
        .where(deps.c.type == "resthook", flows.c.is_active.is_(True))
    )
    wanted = sorted({(ws, slug.strip().lower()) for ws, slug in rows if slug and slug.strip()})
    if not wanted:
        return
    now = datetime.now(UTC)
    resthooks = sa.table(
        "resthooks",
        sa.column("workspace_id", ID),
        sa.column("slug", sa.String()),
        sa.column("is_active", sa.Boolean()),
        sa.column("created_on", sauti.db.base.UTCDateTime()),
        sa.column("modified_on", sauti.db.base.UTCDateTime()),
    )
    op.bulk_insert(
        resthooks,
        [
            {"workspace_id": ws, "slug": slug, "is_active": True, "created_on": now, "modified_on": now}
            for ws, slug in wanted
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_constraint(op.f("fk_webhook_deliveries_subscriber_id_resthook_subscribers"), type_="foreignkey")
        batch.drop_column("signing")
        batch.drop_column("subscriber_id")
    op.drop_table("signing_keys")
    op.drop_index("ix_resthook_events_ws_created", table_name="resthook_events")
    op.drop_table("resthook_events")
    op.drop_index("ix_resthook_subscribers_hook", table_name="resthook_subscribers")
    op.drop_index("ix_resthook_subscribers_ws_created", table_name="resthook_subscribers")
    op.drop_table("resthook_subscribers")
    op.drop_index("ix_resthooks_ws_modified", table_name="resthooks")
    op.drop_index("uq_resthooks_ws_slug_active", table_name="resthooks")
    op.drop_table("resthooks")
