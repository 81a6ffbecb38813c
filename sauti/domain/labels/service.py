"""Use cases for message labels."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain import limits
from sauti.domain.errors import ErrorCollector, NotFound
from sauti.domain.labels import queries
from sauti.domain.names import check_name, deleted_name
from sauti.kit import clock
from sauti.models import Label, MessageLabel, Workspace


async def _check(
    session: AsyncSession,
    workspace: Workspace,
    name: str,
    errors: ErrorCollector,
    exclude_id: int | None = None,
    field: str = "name",
) -> None:
    if check_name(name, errors, field) and await queries.name_taken(session, workspace, name, exclude_id):
        errors.add(field, "unique")


async def create(session: AsyncSession, workspace: Workspace, *, name: str, field: str = "name") -> Label:
    """A new label. Name problems are reported under ``field``; 409 once the workspace has its limit."""
    errors = ErrorCollector()
    await _check(session, workspace, name, errors, field=field)
    errors.raise_if_any()
    await limits.check(session, workspace, "labels", Label)
    now = clock.now()
    label = Label(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        name=name,
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    session.add(label)
    await session.flush()
    return label


async def get_or_create(session: AsyncSession, workspace: Workspace, name: str, *, field: str = "name") -> Label:
    """The active label of that name (case-insensitive), created when there is none."""
    found = await queries.by_name(session, workspace, name)
    if found is not None:
        return found
    return await create(session, workspace, name=name, field=field)


async def get(session: AsyncSession, workspace: Workspace, uuid: str) -> Label:
    label = await queries.by_uuid(session, workspace, uuid)
    if label is None:
        raise NotFound("label", uuid)
    return label


async def rename(session: AsyncSession, workspace: Workspace, uuid: str, *, name: str) -> Label:
    """Rename a label."""
    label = await get(session, workspace, uuid)
    errors = ErrorCollector()
    await _check(session, workspace, name, errors, exclude_id=label.id)
    errors.raise_if_any()
    label.name = name
    label.modified_on = clock.now()
    await session.flush()
    return label


async def delete_label(session: AsyncSession, workspace: Workspace, uuid: str) -> None:
    """Soft delete: the label is deactivated and renamed (its name is free again) and taken off every message;
    the messages themselves stay."""
    label = await get(session, workspace, uuid)
    await session.execute(delete(MessageLabel).where(MessageLabel.label_id == label.id))
    label.is_active = False
    label.name = deleted_name(clock.new_uuid(), label.name)
    label.modified_on = clock.now()
    await session.flush()
