"""Every select for broadcasts."""

from __future__ import annotations

from sqlalchemy import Select

from sauti.domain.scope import scoped
from sauti.models import Broadcast, Workspace


def listing(workspace: Workspace) -> Select[Broadcast]:
    """Active broadcasts that are not waiting for a future due time."""
    return scoped(Broadcast, workspace).where(Broadcast.is_active)
