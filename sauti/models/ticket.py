"""Tickets: a conversation with a contact that a person (an agent) takes over, filed under a topic.

Every workspace has one system topic, "General" (``is_system`` and ``is_default``): the topic of a ticket opened
without one. A contact has at most one open ticket (the partial unique index ``ix_tickets_one_open``, on both
databases). Every change to a ticket is a :class:`TicketEvent`; the open and closed tickets of each topic are
kept in :class:`TopicTicketCount` (two rows per topic, written with the topic), changed in the same transaction
as the tickets, so ``topics.json`` never counts tickets.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ColumnElement, ForeignKey, Index, Integer, String, Text, and_
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.models.message import _columns, _constant
from sauti.models.types import BigID

TICKET_STATUSES = ("open", "closed")


def ticket_open(table: object = None) -> ColumnElement[bool]:
    """Open tickets: the predicate of the one-open-ticket-per-contact index."""
    (status,) = _columns(table, "status")
    return and_(status == _constant("open"))


class Topic(Base):
    __tablename__ = "topics"
    __table_args__ = (Index("ix_topics_ws_created", "workspace_id", "is_active", "created_on", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class TopicTicketCount(Base):
    """How many tickets of a topic have a status (``open`` or ``closed``): kept, never counted."""

    __tablename__ = "topic_ticket_counts"

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(8), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_ws_modified", "workspace_id", "modified_on", "id"),
        Index("ix_tickets_contact_modified", "contact_id", "modified_on", "id"),
        Index(
            "ix_tickets_one_open",
            "contact_id",
            unique=True,
            postgresql_where=ticket_open(),
            sqlite_where=ticket_open(),
        ),
        Index("ix_tickets_topic", "topic_id"),
        Index("ix_tickets_assignee", "assignee_id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    status: Mapped[str] = mapped_column(String(8))  # open | closed
    opened_on: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_in_id: Mapped[int | None] = mapped_column(ForeignKey("flows.id", ondelete="SET NULL"), nullable=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    closed_on: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)
    last_activity_on: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketEvent(Base):
    """One change to a ticket: ``event_type`` is opened, assigned, note_added, topic_changed, closed or reopened;
    ``note``, ``topic_id`` and ``assignee_id`` say what it changed to (when it has one), ``created_by_id`` who did
    it (null: a flow), ``origin`` where from (``flow``, ``api``)."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "created_on", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"), nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    origin: Mapped[str] = mapped_column(String(8))
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
