"""Use cases for contact groups."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain import limits
from sauti.domain.errors import ErrorCollector, Forbidden, NotFound
from sauti.domain.groups import queries, smart
from sauti.domain.names import check_name, deleted_name
from sauti.kit import clock
from sauti.models import ContactGroup, GroupMember, Workspace

MAX_QUERY_LENGTH = 10_000


async def _check(
    session: AsyncSession,
    workspace: Workspace,
    name: str,
    errors: ErrorCollector,
    exclude_id: int | None = None,
) -> None:
    if check_name(name, errors) and await queries.name_taken(session, workspace, name, exclude_id):
        errors.add("name", "unique")


async def create(session: AsyncSession, workspace: Workspace, *, name: str, query: str | None = None) -> ContactGroup:
    """A manual group, or a smart group when ``query`` is given (its members are evaluated at once)."""
    errors = ErrorCollector()
    await _check(session, workspace, name, errors)
    parsed = None
    if query is not None:
        parsed = await smart.parse_for_group(session, workspace, query, errors)
    errors.raise_if_any()
    await limits.check(session, workspace, "groups", ContactGroup, ~ContactGroup.is_system)
    now = clock.now()
    group = ContactGroup(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        name=name,
        group_type="smart" if parsed is not None else "manual",
        query=parsed.canonical if parsed is not None else None,
        status="ready",
        is_system=False,
        member_count=0,
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    session.add(group)
    await session.flush()
    if parsed is not None:
        await smart.populate(session, workspace, group, parsed)
    return group


async def get(session: AsyncSession, workspace: Workspace, uuid: str) -> ContactGroup:
    group = await queries.by_uuid(session, workspace, uuid)
    if group is None:
        raise NotFound("group", uuid)
    return group


async def edit(
    session: AsyncSession, workspace: Workspace, uuid: str, *, name: str | None, query: str | None = None
) -> ContactGroup:
    """Rename a group; for a smart group, a new ``query`` re-evaluates its members."""
    group = await get(session, workspace, uuid)
    if group.is_system:
        raise Forbidden("system_object", action="modify")
    errors = ErrorCollector()
    if name is not None:
        await _check(session, workspace, name, errors, exclude_id=group.id)
    parsed = None
    if query is not None:
        if group.group_type != "smart":
            errors.add("query", "query_on_manual_group")
        else:
            parsed = await smart.parse_for_group(session, workspace, query, errors)
    errors.raise_if_any()
    if name is not None:
        group.name = name
    if parsed is not None and parsed.canonical != group.query:
        group.query = parsed.canonical
        await smart.populate(session, workspace, group, parsed)
    group.modified_on = clock.now()
    await session.flush()
    return group


async def delete_group(session: AsyncSession, workspace: Workspace, uuid: str) -> None:
    """Soft delete: the group is deactivated and renamed (its name is free again); memberships go."""
    group = await get(session, workspace, uuid)
    if group.is_system:
        raise Forbidden("system_object", action="delete")
    await session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    group.is_active = False
    group.member_count = 0
    group.name = deleted_name(clock.new_uuid(), group.name)
    group.modified_on = clock.now()
    await session.flush()
