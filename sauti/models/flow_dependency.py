"""What each saved flow depends on, written when the flow is saved (never worked out on a request).

One row per flow and asset: ``type`` is the engine's dependency type (``field``, ``group``, ``flow``, ``label``,
``global`` ...) and ``identity`` the field or global key, or the asset's UUID. ``fields.json`` counts the flows
using each field from these rows; ``definitions.json`` follows them to export a flow with what it needs.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base
from sauti.models.types import BigID


class FlowDependency(Base):
    __tablename__ = "flow_dependencies"
    __table_args__ = (
        Index("ix_flow_dependencies_flow", "flow_id"),
        # the flows using one asset of a workspace (fields.json usages)
        Index("ix_flow_dependencies_asset", "workspace_id", "type", "identity"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    identity: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
