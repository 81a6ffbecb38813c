"""Channels (the ways a workspace reaches people) and the log of every exchange with their providers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.models.types import BigID


class Channel(Base):
    __tablename__ = "channels"
    __table_args__ = (Index("ix_channels_ws_created", "workspace_id", "is_active", "created_on", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    channel_type: Mapped[str] = mapped_column(String(8))  # registry code: TST, EX, T, TG ...
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(255), default="")
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    schemes: Mapped[list[str]] = mapped_column(JSON, default=list)
    role: Mapped[str] = mapped_column(String(4), default="SR")  # S send, R receive
    tps: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the default rate
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ChannelLog(Base):
    """One exchange with a provider (a send, a callback, a received message), secrets masked."""

    __tablename__ = "channel_logs"
    __table_args__ = (Index("ix_channel_logs_channel_created", "channel_id", "created_on"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigID, nullable=True, index=True)
    log_type: Mapped[str] = mapped_column(String(20))  # msg_send, msg_status, msg_receive, event_receive ...
    http_logs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    is_error: Mapped[bool] = mapped_column(Boolean, default=False)
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
