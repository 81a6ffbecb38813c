"""Per-workspace limits on how many objects of a kind may exist (a workspace can override each)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import Conflict
from sauti.domain.scope import scoped
from sauti.models import Workspace

DEFAULT_LIMITS = {"fields": 250, "groups": 250, "labels": 250, "globals": 250, "topics": 50}


def limit_for(workspace: Workspace, kind: str) -> int:
    override = (workspace.limits or {}).get(kind)
    return int(override) if override is not None else DEFAULT_LIMITS[kind]


async def check(session: AsyncSession, workspace: Workspace, kind: str, model: Any, *conds: Any) -> None:
    """409 when the workspace already has as many active objects of ``kind`` as it may."""
    count = (await session.execute(scoped(model, workspace, func.count()).where(model.is_active, *conds))).scalar_one()
    if count >= limit_for(workspace, kind):
        raise Conflict("limit_reached", kind=kind, limit=limit_for(workspace, kind))
