"""What a workspace keeps to compose messages with: auto replies, signatures and message templates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.models.types import BigID


class AutoReply(Base):
    """The text sent back to a contact whose message nothing else answered, while it is active (at most one
    per workspace is active)."""

    __tablename__ = "auto_replies"
    __table_args__ = (Index("ix_auto_replies_ws_created", "workspace_id", "created_on", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageSignature(Base):
    """A line appended to what users send, while it is active (at most one per workspace is active)."""

    __tablename__ = "message_signatures"
    __table_args__ = (Index("ix_message_signatures_ws_created", "workspace_id", "created_on", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageTemplate(Base):
    """A saved text with {{ placeholders }}, for one account or (``owner_type`` organization) all of them."""

    __tablename__ = "message_templates"
    __table_args__ = (Index("ix_message_templates_ws_title", "workspace_id", "title", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    owner_type: Mapped[str] = mapped_column(String(16), default="account")  # account | organization
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)
