"""Every select for message templates."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import MessageTemplate, Workspace


@dataclass(frozen=True)
class TemplateFilter:
    """``text``: a case-insensitive part of the title or the content. Ordered by title."""

    text: str | None = None


def select_templates(workspace: Workspace, f: TemplateFilter) -> Select[MessageTemplate]:
    stmt = scoped(MessageTemplate, workspace)
    if f.text:
        low = f.text.lower()
        stmt = stmt.where(
            or_(
                func.lower(MessageTemplate.title).contains(low, autoescape=True),
                func.lower(MessageTemplate.content).contains(low, autoescape=True),
            )
        )
    return stmt.order_by(MessageTemplate.title, MessageTemplate.id)


async def by_id(session: AsyncSession, workspace: Workspace, template_id: int) -> MessageTemplate | None:
    found: MessageTemplate | None = (
        await session.execute(scoped(MessageTemplate, workspace).where(MessageTemplate.id == template_id))
    ).scalar_one_or_none()
    return found
