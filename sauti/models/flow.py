"""Flows and what running them leaves behind: sessions, runs, triggers, starts and the timers of waiting sessions.

- ``flows``: a flow definition at the current spec version (as the engine reads it), with what the API lists
  about it computed when it is saved (results, parent refs, expiry, type) and per-status run counters that are
  kept in step as runs change status (``flows.json`` never counts rows).
- ``flow_sessions``: one contact's conversation; ``state`` is the engine's Session JSON, ``sprint_uuid`` the
  last sprint, so a timer scheduled for an older sprint is recognised as stale.
- ``flow_runs``: one row per flow entered (the API's run), with its path and results kept from every sprint.
- ``flow_triggers``: keyword and catch-all triggers, matched against inbound messages.
- ``flow_starts``: a start of a flow for many contacts; the row is the job, expanded by a worker in batches
  (``expand_cursor`` is the last contact id handled, so a restart resumes).
- ``flow_timers``: wait timeouts, wait expirations and session expirations as rows with a due time.
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
    UniqueConstraint,
    and_,
    column,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.models.types import BigID

FLOW_TYPES = ("message", "voice", "background", "survey")
RUN_STATUSES = ("active", "waiting", "completed", "interrupted", "expired", "failed")
ENDED_STATUSES = ("completed", "interrupted", "expired", "failed")
START_TYPES = ("api", "zapier", "trigger", "flow", "campaign", "manual")
TIMER_KINDS = ("wait_timeout", "wait_expiration", "session_expiration")


def _constant(value: str) -> ColumnElement[str]:
    """A constant written into the SQL (not bound), so SQLite matches the partial index's WHERE."""
    return literal_column("'" + value.replace("'", "''") + "'")


def _columns(table: Any, *names: str) -> list[Any]:
    return [getattr(table, n) if table is not None else column(n) for n in names]


def start_waiting(table: Any = None) -> ColumnElement[bool]:
    """Flow starts waiting to be expanded: the predicate of their partial index, and of every claim."""
    status, claimed_by = _columns(table, "status", "claimed_by")
    return and_(
        status.in_([_constant("pending"), _constant("queued"), _constant("started")]),
        claimed_by.is_(None),
    )


def timer_waiting(table: Any = None) -> ColumnElement[bool]:
    """Flow timers waiting to fire: the predicate of their partial index, and of every claim."""
    status, claimed_by = _columns(table, "status", "claimed_by")
    return and_(status == _constant("waiting"), claimed_by.is_(None))


class Flow(Base):
    __tablename__ = "flows"
    __table_args__ = (
        UniqueConstraint("workspace_id", "uuid"),
        Index("ix_flows_ws_created", "workspace_id", "created_on", "id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36))
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(12))  # message | voice | background | survey (the API's words)
    spec_version: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)  # the whole definition at the current spec version
    expires: Mapped[int] = mapped_column(Integer, default=0)  # minutes a waiting run may sit (0: never waits)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{key,name,categories,node_uuids}]
    parent_refs: Mapped[list[str]] = mapped_column(JSON, default=list)
    labels: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # [{uuid, name}]
    # a waiting session of this flow is not interrupted by keyword triggers (RapidPro's flow setting)
    ignore_triggers: Mapped[bool] = mapped_column(Boolean, default=False)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)  # False once deleted
    # run counters by status, kept in step as runs change status (never a COUNT)
    runs_active: Mapped[int] = mapped_column(Integer, default=0)
    runs_waiting: Mapped[int] = mapped_column(Integer, default=0)
    runs_completed: Mapped[int] = mapped_column(Integer, default=0)
    runs_interrupted: Mapped[int] = mapped_column(Integer, default=0)
    runs_expired: Mapped[int] = mapped_column(Integer, default=0)
    runs_failed: Mapped[int] = mapped_column(Integer, default=0)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class FlowSession(Base):
    __tablename__ = "flow_sessions"
    __table_args__ = (
        # a contact's waiting session (inbound messages, interruption, exclusions)
        Index("ix_flow_sessions_contact_status", "contact_id", "status"),
        Index("ix_flow_sessions_ws_modified", "workspace_id", "modified_on", "id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # waiting | completed | failed | interrupted | expired (active only while a sprint is being processed)
    status: Mapped[str] = mapped_column(String(12))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)  # the engine's Session JSON
    current_flow_id: Mapped[int | None] = mapped_column(BigID, nullable=True)  # the waiting run's flow
    sprint_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)  # the last sprint
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_on: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FlowRun(Base):
    __tablename__ = "flow_runs"
    __table_args__ = (
        # runs.json's order (-modified_on, -id): per workspace, per flow and per contact
        Index("ix_flow_runs_ws_modified", "workspace_id", "modified_on", "id"),
        Index("ix_flow_runs_flow_modified", "flow_id", "modified_on", "id"),
        Index("ix_flow_runs_contact_modified", "contact_id", "modified_on", "id"),
        Index("ix_flow_runs_session", "session_id"),
        Index("ix_flow_runs_start", "start_id"),
        # "started previously": has this contact run this flow
        Index("ix_flow_runs_flow_contact", "flow_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("flow_sessions.id", ondelete="CASCADE"))
    start_id: Mapped[int | None] = mapped_column(ForeignKey("flow_starts.id", ondelete="SET NULL"), nullable=True)
    parent_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)  # the parent run (subflows)
    status: Mapped[str] = mapped_column(String(12))  # active|waiting|completed|interrupted|expired|failed
    responded: Mapped[bool] = mapped_column(Boolean, default=False)
    path: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{uuid, node_uuid, arrived_on ...}]
    # keyed by result key: {name, value, category, node_uuid, input, created_on}
    results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    current_node_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)
    exited_on: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FlowTrigger(Base):
    __tablename__ = "flow_triggers"
    __table_args__ = (
        UniqueConstraint("workspace_id", "uuid"),
        Index("ix_flow_triggers_ws_type", "workspace_id", "trigger_type", "is_archived"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36))
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    trigger_type: Mapped[str] = mapped_column(String(12))  # keyword | catch_all
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)  # casefolded
    match_type: Mapped[str] = mapped_column(String(12), default="first_word")  # first_word | only_word
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    include_group_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    exclude_group_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), nullable=True)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class FlowStart(Base):
    """A flow started for many contacts. The request only records it; a worker resolves the recipients
    (``pending`` -> ``queued`` with ``contact_count``), then starts them in batches (``started``) until
    ``completed``."""

    __tablename__ = "flow_starts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "uuid"),
        Index("ix_flow_starts_ws_modified", "workspace_id", "modified_on", "id"),
        Index("ix_flow_starts_flow", "flow_id"),
        # what expansion claims: a workspace's waiting starts in creation order
        Index(
            "ix_flow_starts_waiting",
            "workspace_id",
            "created_on",
            "id",
            postgresql_where=start_waiting(),
            sqlite_where=start_waiting(),
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36))
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    start_type: Mapped[str] = mapped_column(String(12))  # api | zapier | trigger | flow | campaign | manual
    status: Mapped[str] = mapped_column(String(12), default="pending")
    contact_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # as requested
    group_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    urns: Mapped[list[str]] = mapped_column(JSON, default=list)  # as requested (normalised)
    urn_contact_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # the URNs' contacts, once resolved
    restart_participants: Mapped[bool] = mapped_column(Boolean, default=True)
    exclude_active: Mapped[bool] = mapped_column(Boolean, default=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # what the sessions' trigger carries beyond params: a flow action's run_summary and history, a campaign's
    # event; merged into the trigger of every session the start begins
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    contact_count: Mapped[int] = mapped_column(Integer, default=-1)  # -1 until known
    run_count: Mapped[int] = mapped_column(Integer, default=0)  # sessions started so far (progress.started)
    expand_cursor: Mapped[int] = mapped_column(BigID, default=0)  # the last contact id handled
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_on: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it failed, in words, for operators
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class FlowTimer(Base):
    """A waiting session's timer: it fires at ``due_on`` unless the session moved on (another sprint)."""

    __tablename__ = "flow_timers"
    __table_args__ = (
        Index("ix_flow_timers_session", "session_id"),
        Index(
            "ix_flow_timers_waiting",
            "workspace_id",
            "due_on",
            "id",
            postgresql_where=timer_waiting(),
            sqlite_where=timer_waiting(),
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("flow_sessions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # wait_timeout | wait_expiration | session_expiration
    sprint_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)  # null: any sprint
    due_on: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="waiting")  # waiting | fired | skipped | failed
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_on: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)
