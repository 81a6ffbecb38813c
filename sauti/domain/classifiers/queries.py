"""Every select for classifiers."""

from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import Classifier, Workspace


def listing(workspace: Workspace) -> Select[Classifier]:
    return scoped(Classifier, workspace).where(Classifier.is_active)


def select_classifiers(workspace: Workspace, uuid: str | None = None) -> Select[Classifier]:
    stmt = listing(workspace)
    if uuid is not None:
        stmt = stmt.where(Classifier.uuid == uuid)
    return stmt


async def by_uuid(session: AsyncSession, workspace: Workspace, uuid: str) -> Classifier | None:
    found: Classifier | None = (await session.execute(listing(workspace).where(Classifier.uuid == uuid))).scalar()
    return found


async def active(session: AsyncSession, workspace: Workspace | int) -> list[Classifier]:
    """Every active classifier of the workspace, oldest first (what a flow sprint may call)."""
    stmt = scoped(Classifier, workspace).where(Classifier.is_active).order_by(Classifier.id)
    return list((await session.execute(stmt)).scalars())
