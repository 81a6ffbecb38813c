"""The HTTP log of the webhooks flows called: one row per ``call_webhook`` a sprint made.

Written from the sprint's ``webhook_called`` events (``domain/flows/webhooks.py``): the raw request and response
as the engine kept them (each cut at 10000 characters), ``status`` the engine's word for the outcome
(``success``, ``response_error``, ``connection_error``), ``status_code`` 0 when no response came. The flow is
``NULL`` once it is deleted; the session and contact rows take their calls with them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.models.types import BigID


class FlowWebhookCall(Base):
    __tablename__ = "flow_webhook_calls"
    __table_args__ = (
        # a flow's calls, newest first (what an admin reads)
        Index("ix_flow_webhook_calls_flow", "workspace_id", "flow_id", "created_on"),
        Index("ix_flow_webhook_calls_session", "session_id"),
        Index("ix_flow_webhook_calls_contact", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    flow_id: Mapped[int | None] = mapped_column(ForeignKey("flows.id", ondelete="SET NULL"), nullable=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("flow_sessions.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    node_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)
    url: Mapped[str] = mapped_column(String(2048))
    status: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int] = mapped_column(Integer, default=0)
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    request: Mapped[str] = mapped_column(Text)
    response: Mapped[str] = mapped_column(Text)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
