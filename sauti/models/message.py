"""Messages in and out, their labels, broadcasts (one message to many) and uploaded media.

The database row is the job: an outgoing message to send is a row in status ``queued`` whose ``next_attempt``
(if set) says when it may go; workers claim rows and move them through the statuses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.models.types import BigID


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_ws_created", "workspace_id", "created_on", "id"),
        Index("ix_messages_ws_sent", "workspace_id", "sent_on", "id"),
        Index("ix_messages_contact_created", "contact_id", "created_on"),
        Index("ix_messages_broadcast", "broadcast_id"),
        # what the outbox claims: due outgoing rows of one channel, replies first
        Index("ix_messages_outbox", "status", "channel_id", "high_priority", "next_attempt"),
        Index("ix_messages_claims", "claimed_by"),
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
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # not before this
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
        Index("ix_broadcasts_due", "status", "due_on"),
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
    high_priority: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int] = mapped_column(Integer, default=-1)  # recipient count, -1 until known
    started: Mapped[int] = mapped_column(Integer, default=0)  # messages created so far
    expand_cursor: Mapped[int] = mapped_column(BigID, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    due_on: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # not before this
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
