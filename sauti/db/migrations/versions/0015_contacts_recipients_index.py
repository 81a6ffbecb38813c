"""contacts: an index that walks a workspace's active contacts in id order

Revision ID: 0015_contacts_recipients_index
Revises: 0014_assets_version
Create Date: 2026-12-02 07:50:00

A broadcast is expanded batch by batch, each the next contacts after the last one recorded, in id order. Without
an index giving that order the database read every active contact of the workspace and sorted them for every
batch (a 100,000-contact broadcast read them 20 times). With (workspace_id, is_active, status, id) each batch
reads what it queues.
"""

from __future__ import annotations

from alembic import op

revision = "0015_contacts_recipients_index"
down_revision = "0014_assets_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_contacts_ws_status_id", "contacts", ["workspace_id", "is_active", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_contacts_ws_status_id", table_name="contacts")
