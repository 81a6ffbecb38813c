"""Every select for auto replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import AutoReply, Message, Workspace


def select_auto_replies(workspace: Workspace) -> Select[AutoReply]:
    """Ordered by creation."""
    return scoped(AutoReply, workspace).order_by(AutoReply.created_on, AutoReply.id)


async def by_id(session: AsyncSession, workspace: Workspace, reply_id: int) -> AutoReply | None:
    found: AutoReply | None = (
        await session.execute(scoped(AutoReply, workspace).where(AutoReply.id == reply_id))
    ).scalar_one_or_none()
    return found


async def active(session: AsyncSession, workspace: Workspace) -> AutoReply | None:
    found: AutoReply | None = (
        await session.execute(scoped(AutoReply, workspace).where(AutoReply.is_active).order_by(AutoReply.id))
    ).scalar()
    return found


async def answered_since(session: AsyncSession, contact_id: int, since: datetime) -> bool:
    """Whether the contact was sent an auto reply since ``since``."""
    stmt = select(Message.id).where(
        Message.contact_id == contact_id,
        Message.created_on >= since,
        Message.direction == "out",
        Message.from_autoresponse.is_(True),
    )
    return (await session.execute(stmt.limit(1))).first() is not None
