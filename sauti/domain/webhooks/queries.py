"""Every select for web hook subscriptions."""

from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

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
