"""Web hooks: subscriptions to message events, and the deliveries (with every attempt) made for them.

A delivery is generic (a URL, headers, a body, an optional signing secret, attempts): the subscription type
decides the body when the event happens, the worker only posts it. The database row is the job: a delivery
waits with a due time (``next_attempt``) until a worker claims it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, Integer, String, Text, and_, column
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.models.message import _columns, _constant
from sauti.models.types import BigID


def delivery_waiting(table: Any = None) -> ColumnElement[bool]:
    """Deliveries waiting for a worker: the predicate of their partial index, and of every claim."""
    status, claimed_by = _columns(table, "status", "claimed_by")
    return and_(status == _constant("pending"), claimed_by.is_(None))


class WebHook(Base):
    """A subscription to every message sent or received in a workspace (the TextUs web hook)."""

    __tablename__ = "web_hooks"
    __table_args__ = (Index("ix_web_hooks_ws_created", "workspace_id", "created_on", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    version: Mapped[str] = mapped_column(String(2), default="2")  # payload version: 1 | 2
    secret: Mapped[str] = mapped_column(String(64))  # signs version 2 payloads
    scope: Mapped[str] = mapped_column(String(16), default="account")  # account | organization
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One body to POST to one URL, tried until a 2xx answer or the last attempt.

    pending (waiting for ``next_attempt``) -> delivered | failed. ``signature_header`` carries the hex
    HMAC-SHA256 of the body keyed with ``secret`` when both are set."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(
            "ix_webhook_deliveries_waiting",
            "workspace_id",
            "next_attempt",
            "id",
            postgresql_where=delivery_waiting(),
            sqlite_where=delivery_waiting(),
        ),
        Index(
            "ix_webhook_deliveries_claims",
            "claimed_by",
            postgresql_where=column("claimed_by").is_not(None),
            sqlite_where=column("claimed_by").is_not(None),
        ),
        Index("ix_webhook_deliveries_subject", "hook_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # what it was made for (for logs and tests; the body is self-contained)
    hook_id: Mapped[int | None] = mapped_column(BigID, nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigID, nullable=True)
    # a resthook delivery: its subscriber (a 410 answer deactivates it); NULL for TextUs web hooks
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("resthook_subscribers.id", ondelete="CASCADE"), nullable=True
    )
    # how the body is signed: NULL the TextUs way (signature_header = hex HMAC of the body), "sauti" the
    # resthook way (X-Sauti-Timestamp and X-Sauti-Signature: sha256=HMAC of "<timestamp>.<body>", fresh each try)
    signing: Mapped[str | None] = mapped_column(String(16), nullable=True)
    url: Mapped[str] = mapped_column(String(2048))
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signature_header: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    next_attempt: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)  # why the last attempt failed, in words
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_on: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebhookAttempt(Base):
    """The log of one POST of a delivery: what was sent, what came back (or why nothing did), how long."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    request: Mapped[str] = mapped_column(Text)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
