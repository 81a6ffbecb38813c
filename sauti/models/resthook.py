"""Resthooks: a workspace's named events (slugs) that flows fire, the URLs subscribed to them, the payloads each
firing recorded, and the key that signs every delivery Sauti makes to a subscriber.

A resthook is created when a flow that calls it is imported or saved, or from the CLI; subscribers come and go
through ``resthook_subscribers.json`` (deleting one, or a ``410 Gone`` answer, deactivates it). A delivery that
failed its first attempt waits as a ``webhook_deliveries`` row (``subscriber_id`` set) for the worker's retries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, column
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.models.types import BigID


class Resthook(Base):
    __tablename__ = "resthooks"
    __table_args__ = (
        # one active resthook per slug in a workspace
        Index(
            "uq_resthooks_ws_slug_active",
            "workspace_id",
            "slug",
            unique=True,
            postgresql_where=column("is_active"),
            sqlite_where=column("is_active"),
        ),
        Index("ix_resthooks_ws_modified", "workspace_id", "is_active", "modified_on", "id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(1000))  # lower case, trimmed
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)  # bumped when a subscriber comes or goes


class ResthookSubscriber(Base):
    __tablename__ = "resthook_subscribers"
    __table_args__ = (
        Index("ix_resthook_subscribers_ws_created", "workspace_id", "is_active", "created_on", "id"),
        Index("ix_resthook_subscribers_hook", "resthook_id", "is_active"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    resthook_id: Mapped[int] = mapped_column(ForeignKey("resthooks.id", ondelete="CASCADE"))
    target_url: Mapped[str] = mapped_column(String(2048))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class ResthookEvent(Base):
    """One ``call_resthook`` a run made: the payload as it was sent to every subscriber (even to none)."""

    __tablename__ = "resthook_events"
    __table_args__ = (Index("ix_resthook_events_ws_created", "workspace_id", "created_on", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    resthook_id: Mapped[int] = mapped_column(ForeignKey("resthooks.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)


class SigningKey(Base):
    """The secret that signs a workspace's deliveries to subscribers (made on first use)."""

    __tablename__ = "signing_keys"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
