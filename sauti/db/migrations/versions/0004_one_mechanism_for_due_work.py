"""one mechanism for due work: partial indexes that serve each claim, and a due time on every waiting row

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:30:00

Every waiting outgoing message now has its due time in ``next_attempt`` (its creation time unless it was
scheduled or is waiting for a retry) and every broadcast its ``due_on``, so one index range serves the claim.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sauti.models.message import broadcast_waiting, message_waiting

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE messages SET next_attempt = created_on "
        "WHERE next_attempt IS NULL AND direction = 'out' AND status IN ('queued', 'errored')"
    )
    op.execute("UPDATE broadcasts SET due_on = created_on WHERE due_on IS NULL")
    with op.batch_alter_table("broadcasts") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.drop_index("ix_broadcasts_due")
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_outbox")
        batch.drop_index("ix_messages_claims")
    claimed = sa.column("claimed_by").is_not(None)
    op.create_index(
        "ix_messages_waiting",
        "messages",
        ["channel_id", "high_priority", "next_attempt", "id"],
        postgresql_where=message_waiting(),
        sqlite_where=message_waiting(),
    )
    op.create_index("ix_messages_claims", "messages", ["claimed_by"], postgresql_where=claimed, sqlite_where=claimed)
    op.create_index(
        "ix_broadcasts_waiting",
        "broadcasts",
        ["workspace_id", "due_on", "id"],
        postgresql_where=broadcast_waiting(),
        sqlite_where=broadcast_waiting(),
    )


def downgrade() -> None:
    op.drop_index("ix_broadcasts_waiting", table_name="broadcasts")
    op.drop_index("ix_messages_claims", table_name="messages")
    op.drop_index("ix_messages_waiting", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.create_index("ix_messages_claims", ["claimed_by"])
        batch.create_index("ix_messages_outbox", ["status", "channel_id", "high_priority", "next_attempt"])
    with op.batch_alter_table("broadcasts") as batch:
        batch.create_index("ix_broadcasts_due", ["status", "due_on"])
        batch.drop_column("claimed_by")
