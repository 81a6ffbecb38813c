"""textus: contacts' TextUs attributes and tags, opt outs, blocked numbers, auto replies, signatures,
templates, web hooks and their deliveries; messages and broadcasts learn who sent them and when they are due

Revision ID: 0005_textus
Revises: 0004
Create Date: 2026-12-01 21:05:11

Contacts get first/last names (split from ``name`` at the first space), and the region and line type of their
first phone number, computed here for the rows that exist.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sauti.db.base
from sauti.kit.phones import describe

revision = "0005_textus"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auto_replies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_auto_replies_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auto_replies")),
    )
    with op.batch_alter_table("auto_replies", schema=None) as batch_op:
        batch_op.create_index("ix_auto_replies_ws_created", ["workspace_id", "created_on", "id"], unique=False)

    op.create_table(
        "blocked_numbers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_blocked_numbers_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocked_numbers")),
        sa.UniqueConstraint("workspace_id", "phone", name=op.f("uq_blocked_numbers_workspace_id")),
    )
    with op.batch_alter_table("blocked_numbers", schema=None) as batch_op:
        batch_op.create_index("ix_blocked_numbers_ws_created", ["workspace_id", "created_on", "id"], unique=False)

    op.create_table(
        "message_signatures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_message_signatures_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_signatures")),
    )
    with op.batch_alter_table("message_signatures", schema=None) as batch_op:
        batch_op.create_index("ix_message_signatures_ws_created", ["workspace_id", "created_on", "id"], unique=False)

    op.create_table(
        "message_templates",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("owner_type", sa.String(length=16), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_message_templates_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
    )
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.create_index("ix_message_templates_ws_title", ["workspace_id", "title", "id"], unique=False)

    op.create_table(
        "opt_outs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("opt_in", sa.Boolean(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_opt_outs_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opt_outs")),
        sa.UniqueConstraint("workspace_id", "phone", name=op.f("uq_opt_outs_workspace_id")),
    )
    with op.batch_alter_table("opt_outs", schema=None) as batch_op:
        batch_op.create_index("ix_opt_outs_ws_created", ["workspace_id", "created_on", "id"], unique=False)

    op.create_table(
        "web_hooks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("version", sa.String(length=2), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_web_hooks_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_hooks")),
    )
    with op.batch_alter_table("web_hooks", schema=None) as batch_op:
        batch_op.create_index("ix_web_hooks_ws_created", ["workspace_id", "created_on", "id"], unique=False)

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hook_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=True),
        sa.Column("signature_header", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("modified_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.Column("delivered_on", sauti.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_webhook_deliveries_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("uuid", name=op.f("uq_webhook_deliveries_uuid")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_claims",
            ["claimed_by"],
            unique=False,
            postgresql_where=sa.text("claimed_by IS NOT NULL"),
            sqlite_where=sa.text("claimed_by IS NOT NULL"),
        )
        batch_op.create_index("ix_webhook_deliveries_subject", ["hook_id", "message_id"], unique=False)
        batch_op.create_index(
            "ix_webhook_deliveries_waiting",
            ["workspace_id", "next_attempt", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'pending' AND claimed_by IS NULL"),
            sqlite_where=sa.text("status = 'pending' AND claimed_by IS NULL"),
        )

    op.create_table(
        "contact_tags",
        sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_contact_tags_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_contact_tags_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "name", name=op.f("pk_contact_tags")),
    )
    with op.batch_alter_table("contact_tags", schema=None) as batch_op:
        batch_op.create_index("ix_contact_tags_ws_name", ["workspace_id", "name"], unique=False)

    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
        sa.Column("created_on", sauti.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_webhook_attempts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_attempts_delivery", ["delivery_id", "id"], unique=False)

    # plain ALTER TABLE ... ADD COLUMN and CREATE INDEX, which SQLite does in place: a batch "move and copy" of
    # these tables would drop the old table, and the ON DELETE CASCADE of their children with it
    false = sa.false()
    op.add_column("broadcasts", sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")))
    op.add_column("broadcasts", sa.Column("from_template", sa.Boolean(), nullable=False, server_default=false))
    op.add_column("broadcasts", sa.Column("templated", sa.Boolean(), nullable=False, server_default=false))
    op.create_index("ix_broadcasts_ws_group", "broadcasts", ["workspace_id", "group_id", "due_on", "id"])
    for name, kind in (
        ("first_name", sa.String(128)),
        ("last_name", sa.String(128)),
        ("business_name", sa.String(128)),
    ):
        op.add_column("contacts", sa.Column(name, kind, nullable=True))
    op.add_column("contacts", sa.Column("notes", sa.Text(), nullable=True))
    op.add_column("contacts", sa.Column("flagged", sa.Boolean(), nullable=False, server_default=false))
    op.add_column("contacts", sa.Column("country", sa.String(length=2), nullable=True))
    op.add_column("contacts", sa.Column("line_type", sa.String(length=10), nullable=True))
    op.create_index("ix_contacts_ws_active_created", "contacts", ["workspace_id", "is_active", "created_on", "id"])
    op.add_column("messages", sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")))
    op.add_column("messages", sa.Column("is_read", sa.Boolean(), nullable=False, server_default=false))
    op.add_column("messages", sa.Column("from_autoresponse", sa.Boolean(), nullable=False, server_default=false))
    op.add_column("messages", sa.Column("deliver_at", sauti.db.base.UTCDateTime(), nullable=True))
    _backfill()


def _backfill() -> None:
    """Names split at the first space; each contact's first phone described; a broadcast's first group."""
    conn = op.get_bind()
    contacts = sa.table(
        "contacts",
        sa.column("id"),
        sa.column("name"),
        sa.column("first_name"),
        sa.column("last_name"),
        sa.column("country"),
        sa.column("line_type"),
    )
    for cid, name in conn.execute(sa.select(contacts.c.id, contacts.c.name).where(contacts.c.name.is_not(None))).all():
        first, _, last = name.strip().partition(" ")
        conn.execute(
            contacts.update()
            .where(contacts.c.id == cid)
            .values(first_name=first or None, last_name=last.strip() or None)
        )
    urns = sa.table(
        "contact_urns", sa.column("contact_id"), sa.column("scheme"), sa.column("path"), sa.column("priority")
    )
    seen: set[int] = set()
    rows = conn.execute(
        sa.select(urns.c.contact_id, urns.c.path)
        .where(urns.c.scheme == "tel", urns.c.contact_id.is_not(None))
        .order_by(urns.c.contact_id, urns.c.priority.desc())
    ).all()
    for cid, path in rows:
        if cid in seen:
            continue
        seen.add(cid)
        region, line = describe(path)
        conn.execute(contacts.update().where(contacts.c.id == cid).values(country=region, line_type=line))
    broadcasts = sa.table("broadcasts", sa.column("id"), sa.column("group_ids", sa.JSON()), sa.column("group_id"))
    for bid, group_ids in conn.execute(sa.select(broadcasts.c.id, broadcasts.c.group_ids)).all():
        if group_ids:
            conn.execute(broadcasts.update().where(broadcasts.c.id == bid).values(group_id=group_ids[0]))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN in place on both databases (SQLite 3.35+), for the reason upgrade() gives
    op.drop_index("ix_contacts_ws_active_created", table_name="contacts")
    op.drop_index("ix_broadcasts_ws_group", table_name="broadcasts")
    for table, columns in (
        ("messages", ("deliver_at", "from_autoresponse", "is_read", "created_by_id")),
        ("contacts", ("line_type", "country", "flagged", "notes", "business_name", "last_name", "first_name")),
        ("broadcasts", ("templated", "from_template", "group_id")),
    ):
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")

    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_attempts_delivery")

    op.drop_table("webhook_attempts")
    with op.batch_alter_table("contact_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_tags_ws_name")

    op.drop_table("contact_tags")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_webhook_deliveries_waiting",
            postgresql_where=sa.text("status = 'pending' AND claimed_by IS NULL"),
            sqlite_where=sa.text("status = 'pending' AND claimed_by IS NULL"),
        )
        batch_op.drop_index("ix_webhook_deliveries_subject")
        batch_op.drop_index(
            "ix_webhook_deliveries_claims",
            postgresql_where=sa.text("claimed_by IS NOT NULL"),
            sqlite_where=sa.text("claimed_by IS NOT NULL"),
        )

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("web_hooks", schema=None) as batch_op:
        batch_op.drop_index("ix_web_hooks_ws_created")

    op.drop_table("web_hooks")
    with op.batch_alter_table("opt_outs", schema=None) as batch_op:
        batch_op.drop_index("ix_opt_outs_ws_created")

    op.drop_table("opt_outs")
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.drop_index("ix_message_templates_ws_title")

    op.drop_table("message_templates")
    with op.batch_alter_table("message_signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_message_signatures_ws_created")

    op.drop_table("message_signatures")
    with op.batch_alter_table("blocked_numbers", schema=None) as batch_op:
        batch_op.drop_index("ix_blocked_numbers_ws_created")

    op.drop_table("blocked_numbers")
    with op.batch_alter_table("auto_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_auto_replies_ws_created")

    op.drop_table("auto_replies")
