"""Every select for web hook subscriptions."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import versioning
from sauti.domain.scope import scoped
from sauti.models import WebHook, Workspace


def select_hooks(workspace: Workspace) -> Select[WebHook]:
    """Ordered by creation."""
    return scoped(WebHook, workspace).order_by(WebHook.created_on, WebHook.id)


async def by_id(session: AsyncSession, workspace: Workspace, hook_id: int) -> WebHook | None:
    found: WebHook | None = (
        await session.execute(scoped(WebHook, workspace).where(WebHook.id == hook_id))
    ).scalar_one_or_none()
    return found


async def of_workspace(session: AsyncSession, workspace_id: int) -> list[WebHook]:
    return list((await session.execute(scoped(WebHook, workspace_id).order_by(WebHook.id))).scalars())


# whether each workspace has a web hook at all, read again when its assets version moves (web hooks move it):
# most workspaces have none, and every message asks
_ANY: Final[versioning.Kept[bool]] = versioning.Kept()


async def any_for(session: AsyncSession, workspace_id: int) -> bool:
    """Whether the workspace has any web hook (kept per process; no statement while nothing changed)."""

    async def read() -> bool:
        found = await session.execute(select(WebHook.id).where(WebHook.workspace_id == workspace_id).limit(1))
        return found.first() is not None

    return await _ANY.get(session, workspace_id, read)
