"""Every select for message labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import Label, Message, MessageLabel, Workspace


def listing(workspace: Workspace) -> Select[Label]:
    """The labels the API shows: every active one (labels have no system objects)."""
    return scoped(Label, workspace).where(Label.is_active)


@dataclass(frozen=True)
class LabelFilter:
    """What a label listing may be narrowed by; ``name`` matches case-insensitively."""

    uuid: str | None = None
    name: str | None = None


def select_labels(workspace: Workspace, f: LabelFilter) -> Select[Label]:
    stmt = listing(workspace)
    if f.uuid is not None:
        stmt = stmt.where(Label.uuid == f.uuid)
    if f.name is not None:
        stmt = stmt.where(func.lower(Label.name) == f.name.lower())
    return stmt


async def by_uuid(session: AsyncSession, workspace: Workspace, uuid: str) -> Label | None:
    rows = await session.execute(scoped(Label, workspace).where(Label.is_active, Label.uuid == uuid))
    return rows.scalar_one_or_none()


async def by_name(session: AsyncSession, workspace: Workspace, name: str) -> Label | None:
    """An active label by name, case-insensitively."""
    rows = await session.execute(
        scoped(Label, workspace).where(Label.is_active, func.lower(Label.name) == name.lower()).order_by(Label.id)
    )
    return rows.scalars().first()


async def by_reference(session: AsyncSession, workspace: Workspace, ref: str) -> Label | None:
    """A label referenced in a body: by UUID, or by name case-insensitively."""
    rows = await session.execute(
        scoped(Label, workspace)
        .where(Label.is_active, (Label.uuid == ref) | (func.lower(Label.name) == ref.lower()))
        .order_by(Label.id)
    )
    return rows.scalars().first()


async def name_taken(session: AsyncSession, workspace: Workspace, name: str, exclude_id: int | None = None) -> bool:
    stmt = scoped(Label, workspace, Label.id).where(Label.is_active, func.lower(Label.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(Label.id != exclude_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def visible_counts(session: AsyncSession, labels: Sequence[Label]) -> dict[int, int]:
    """How many visible messages carry each label, for a whole page of labels in one grouped query.

    ``labels`` were selected through :func:`listing` (or another scoped query), so their memberships need no
    further workspace filter. Archived and deleted messages do not count.
    """
    ids = [label.id for label in labels]
    counts = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    rows = await session.execute(
        select(MessageLabel.label_id, func.count())
        .join(Message, Message.id == MessageLabel.message_id)
        .where(MessageLabel.label_id.in_(ids), Message.visibility == "visible")
        .group_by(MessageLabel.label_id)
    )
    for label_id, n in rows:
        counts[label_id] = int(n)
    return counts
