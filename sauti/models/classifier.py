"""NLU classifiers: a workspace's records of external natural-language services flows may call.

``config`` holds what the call needs (the access token, an optional base URL and API version); it is a secret
and never rendered by an API. ``intents`` are the names the service reported, kept sorted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.models.types import BigID


class Classifier(Base):
    __tablename__ = "classifiers"
    __table_args__ = (Index("ix_classifiers_ws_created", "workspace_id", "is_active", "created_on", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    classifier_type: Mapped[str] = mapped_column(String(16))  # wit | luis | bothub
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    intents: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
