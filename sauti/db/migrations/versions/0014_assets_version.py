"""assets version: a counter on each workspace, moved whenever what the flow engine reads of it changes

Revision ID: 0014_assets_version
Revises: 0013_classifiers_archives
Create Date: 2026-12-02 04:10:00

Every process keeps the engine's view of a workspace (its flows as read, fields, groups, labels, sending
channels, globals, triggers) in memory, keyed by this counter: a write to any of those rows moves it in the
same transaction (``sauti/db/versioning.py``), so a process that reads the workspace row knows whether what it
holds is still current.

And contacts get a timezone (an IANA name), which flows set with ``set_contact_timezone``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_assets_version"
down_revision = "0013_classifiers_archives"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("assets_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("timezone")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("assets_version")
