"""a contact's and a broadcast's messages read in index order: the id joins both indexes

Revision ID: 0006
Revises: 0005_textus
Create Date: 2026-12-01 22:50:00

Without the id, SQLite (which has no statistics until ANALYZE runs) preferred the workspace's index for
``messages.json?contact=`` and walked the whole workspace's messages to find one contact's; a broadcast's
messages were sorted after reading them all.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005_textus"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_contact_created")
        batch.drop_index("ix_messages_broadcast")
    op.create_index("ix_messages_contact_created", "messages", ["contact_id", "created_on", "id"])
    op.create_index("ix_messages_broadcast", "messages", ["broadcast_id", "created_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_messages_broadcast", table_name="messages")
    op.drop_index("ix_messages_contact_created", table_name="messages")
    op.create_index("ix_messages_broadcast", "messages", ["broadcast_id"])
    op.create_index("ix_messages_contact_created", "messages", ["contact_id", "created_on"])
