"""Campaigns: events on the members of a group, each at a time relative to a date of the contact, and the
fires (one contact, one event, one due time) that carry them out.

The database row is the job twice over. An event whose schedule changed waits with status ``scheduling`` until
a worker has written every fire of its group (``event_waiting``); a fire waits until its ``fire_on``
(``fire_waiting``). A fire carries the event's ``fire_version`` of when it was computed: a fire whose version
is no longer the event's is stale and skipped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ColumnElement, ForeignKey, Index, Integer, String, Text, and_, column
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.models.message import _columns, _constant
from sauti.models.types import BigID


def event_waiting(table: Any = None) -> ColumnElement[bool]:
    """Events whose fires are to be (re)computed: the predicate of their partial index, and of every claim."""
    status, claimed_by = _columns(table, "status", "claimed_by")
    return and_(status == _constant("scheduling"), claimed_by.is_(None))


def fire_waiting(table: Any = None) -> ColumnElement[bool]:
    """Fires waiting for their time: the predicate of their partial index, and of every claim."""
    status, claimed_by = _columns(table, "status", "claimed_by")
    return and_(status == _constant("pending"), claimed_by.is_(None))


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_ws_created", "workspace_id", "is_active", "created_on", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[int] = mapped_column(ForeignKey("contact_groups.id", ondelete="CASCADE"), index=True)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class CampaignEvent(Base):
    """One event of a campaign: ``offset`` ``unit`` (M H D W) after the contact's ``relative_to`` date, at
    ``delivery_hour`` (-1: the computed time of day), sending ``translations`` ({lang: {"text": ...}}, picked by
    the contact's language, else ``base_language``) or starting flow ``flow_id`` with ``start_mode`` (I S P)."""

    __tablename__ = "campaign_events"
    __table_args__ = (
        Index("ix_campaign_events_ws_created", "workspace_id", "is_active", "created_on", "id"),
        Index("ix_campaign_events_campaign", "campaign_id", "is_active"),
        Index("ix_campaign_events_field", "field_id", "is_active"),
        Index(
            "ix_campaign_events_waiting",
            "workspace_id",
            "modified_on",
            "id",
            postgresql_where=event_waiting(),
            sqlite_where=event_waiting(),
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # the datetime field the event is relative to (the system fields created_on and last_seen_on included)
    field_id: Mapped[int] = mapped_column(ForeignKey("contact_fields.id", ondelete="CASCADE"))
    offset: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(1))  # M | H | D | W
    delivery_hour: Mapped[int] = mapped_column(Integer, default=-1)
    event_type: Mapped[str] = mapped_column(String(1))  # M (message) | F (flow)
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    base_language: Mapped[str | None] = mapped_column(String(3), nullable=True)
    flow_id: Mapped[int | None] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), nullable=True)
    start_mode: Mapped[str] = mapped_column(String(1), default="I")  # I (interrupt) | S (skip) | P (passive)
    status: Mapped[str] = mapped_column(String(10), default="scheduling")  # scheduling | ready | failed
    fire_version: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the worker scheduling it
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)  # why scheduling failed, in words
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class CampaignFire(Base):
    """One contact's fire of one event: pending (waiting for ``fire_on``) -> fired | skipped (stale) | failed.

    Written in bulk (plain rows, never an ORM object per fire); fired rows stay as the record of what happened,
    so a contact gets an event once per (event, version, anchor)."""

    __tablename__ = "campaign_fires"
    __table_args__ = (
        Index(
            "ix_campaign_fires_waiting",
            "workspace_id",
            "fire_on",
            "id",
            postgresql_where=fire_waiting(),
            sqlite_where=fire_waiting(),
        ),
        Index("ix_campaign_fires_event_contact", "event_id", "contact_id"),
        Index("ix_campaign_fires_contact", "contact_id"),
        Index(
            "ix_campaign_fires_claims",
            "claimed_by",
            postgresql_where=column("claimed_by").is_not(None),
            sqlite_where=column("claimed_by").is_not(None),
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("campaign_events.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    fire_version: Mapped[int] = mapped_column(Integer)
    fire_on: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending | fired | skipped | failed
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)
    fired_on: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
