"""Every select for message signatures."""

from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import MessageSignature, Workspace


def select_signatures(workspace: Workspace) -> Select[MessageSignature]:
    """Ordered by creation."""
    return scoped(MessageSignature, workspace).order_by(MessageSignature.created_on, MessageSignature.id)


async def by_id(session: AsyncSession, workspace: Workspace, signature_id: int) -> MessageSignature | None:
    found: MessageSignature | None = (
        await session.execute(scoped(MessageSignature, workspace).where(MessageSignature.id == signature_id))
    ).scalar_one_or_none()
    return found


async def active(session: AsyncSession, workspace: Workspace) -> MessageSignature | None:
    found: MessageSignature | None = (
        await session.execute(
            scoped(MessageSignature, workspace).where(MessageSignature.is_active).order_by(MessageSignature.id)
        )
    ).scalar()
    return found
