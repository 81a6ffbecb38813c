"""Messages in and out, their labels, broadcasts (one message to many) and uploaded media.

The database row is the job: an outgoing message to send is a row in status ``queued`` whose ``next_attempt``
(if set) says when it may go; workers claim rows and move them through the statuses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    column,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.kit import clock
from sauti.models.types import BigID


def _constant(value: str) -> ColumnElement[str]:
    """A string constant written into the SQL itself, not bound: SQLite uses a partial index only for a query
    whose WHERE repeats the index's terms with the same constants."""
    return literal_column("'" + value.replace("'", "''") + "'")


def _columns(table: Any, *names: str) -> list[Any]:
    """The table's own columns (for queries), or bare column names (for an index's WHERE)."""
    return [getattr(table, n) if table is not None else column(n) for n in names]


def message_waiting(table: Any = None) -> ColumnElement[bool]:
    """Outgoing messages waiting for the outbox: the predicate of its partial index, and of every claim."""
    direction, status, claimed_by = _columns(table, "direction", "status", "claimed_by")
    return and_(
        direction == _constant("out"),
        status.in_([_constant("queued"), _constant("errored")]),
        claimed_by.is_(None),
    )


def broadcast_waiting(table: Any = None) -> ColumnElement[bool]:
    """Broadcasts waiting to be expanded: the predicate of their partial index, and of every claim."""
    status, claimed_by = _columns(table, "status", "claimed_by")
    return and_(
        status.in_([_constant("pending"), _constant("queued"), _constant("started")]),
        claimed_by.is_(None),
    )


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_ws_created", "workspace_id", "created_on", "id"),
        Index("ix_messages_ws_sent", "workspace_id", "sent_on", "id"),
        # a contact's or a broadcast's messages, newest first, read in the index's order: with the id in it the
        # planner takes it over the workspace's index even where it has no statistics
        Index("ix_messages_contact_created", "contact_id", "created_on", "id"),
        Index("ix_messages_broadcast", "broadcast_id", "created_on", "id"),
        # what the outbox claims: one channel's waiting rows, one priority lane at a time, in due order
        Index(
            "ix_messages_waiting",
            "channel_id",
            "high_priority",
            "next_attempt",
            "id",
            postgresql_where=message_waiting(),
            sqlite_where=message_waiting(),
        ),
        Index(
            "ix_messages_claims",
            "claimed_by",
            postgresql_where=column("claimed_by").is_not(None),
            sqlite_where=column("claimed_by").is_not(None),
        ),
        # a provider's duplicate delivery of an incoming message is recognised by this key
        Index(
            "uq_messages_incoming_external",
            "channel_id",
            "contact_urn_id",
            "direction",
            "external_id",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    contact_urn_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_urns.id", ondelete="SET NULL"), nullable=True
    )
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"), nullable=True)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"), nullable=True)
    flow_id: Mapped[int | None] = mapped_column(BigID, nullable=True)
    # the user who sent it (a single send or a broadcast part), if a user did (users are deactivated, never
    # deleted, so this is a plain column: SQLite cannot add a foreign key to an existing table in place)
    created_by_id: Mapped[int | None] = mapped_column(BigID, nullable=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    msg_type: Mapped[str] = mapped_column(String(8), default="text")
    # in: pending -> handled; out: initializing -> queued -> sending -> wired -> sent -> delivered -> read,
    # or errored (will retry at next_attempt) -> failed
    status: Mapped[str] = mapped_column(String(12))
    visibility: Mapped[str] = mapped_column(String(8), default="visible")  # visible | archived | deleted
    text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)  # "content/type:url"
    quick_replies: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    high_priority: Mapped[bool] = mapped_column(Boolean, default=False)
    is_read: Mapped[bool] = mapped_column(Boolean, default=False)  # marked read by a user
    from_autoresponse: Mapped[bool] = mapped_column(Boolean, default=False)  # an auto reply's answer
    # when a scheduled message is to go (null: as soon as possible); its first ``next_attempt``
    deliver_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # not before this: set when a message is queued (its due time) and when an error schedules a retry
    next_attempt: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # RapidPro's one-letter codes (S C L E O D R), plus X: Sauti could not process the row (see ``failure``)
    failed_reason: Mapped[str | None] = mapped_column(String(1), nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it failed, in words, for operators
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    msg_count: Mapped[int] = mapped_column(Integer, default=1)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the worker sending it
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_on: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Label(Base):
    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_ws_created", "workspace_id", "is_active", "created_on", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageLabel(Base):
    __tablename__ = "message_labels"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True)


class Broadcast(Base):
    """A message to many. The request only records it; a worker resolves recipients and creates messages in
    batches, remembering the last contact id it handled (``expand_cursor``) so a restart resumes."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        Index("ix_broadcasts_ws_created", "workspace_id", "is_active", "created_on", "id"),
        Index("ix_broadcasts_ws_group", "workspace_id", "group_id", "due_on", "id"),
        # what expansion claims: a workspace's waiting broadcasts in due order
        Index(
            "ix_broadcasts_waiting",
            "workspace_id",
            "due_on",
            "id",
            postgresql_where=broadcast_waiting(),
            sqlite_where=broadcast_waiting(),
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # pending | queued | started | completed | failed | interrupted
    status: Mapped[str] = mapped_column(String(12), default="pending")
    # {lang: {"text": str, "attachments": [...], "quick_replies": [...]}}
    translations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    base_language: Mapped[str] = mapped_column(String(3))
    urns: Mapped[list[str]] = mapped_column(JSON, default=list)  # as requested (normalised)
    contact_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # as requested
    urn_contact_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # the requested URNs' contacts
    group_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # the first of ``group_ids`` (a broadcast to one group, as TextUs sends them), indexed for listings by group
    group_id: Mapped[int | None] = mapped_column(BigID, nullable=True)
    from_template: Mapped[bool] = mapped_column(Boolean, default=False)  # informational, as the caller said
    # the text holds {{ placeholders }} rendered per contact at expansion (see domain/templates/render.py)
    templated: Mapped[bool] = mapped_column(Boolean, default=False)
    high_priority: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int] = mapped_column(Integer, default=-1)  # recipient count, -1 until known
    started: Mapped[int] = mapped_column(Integer, default=0)  # messages created so far
    expand_cursor: Mapped[int] = mapped_column(BigID, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # not before this; every broadcast has one (its creation time unless scheduled), so the claim's index serves it
    due_on: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=clock.now)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the worker expanding it
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it failed, in words, for operators
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class Media(Base):
    __tablename__ = "media"

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(1024))  # relative to the data directory
    url: Mapped[str] = mapped_column(String(2048))  # absolute public URL, fixed at upload
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)


class Worker(Base):
    """A live worker process: claims of one whose heartbeat went stale are recovered by the others."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_on: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_on: Mapped[datetime] = mapped_column(UTCDateTime)
