"""Use cases for contact groups."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain import limits
from sauti.domain.campaigns import queries as campaign_queries
from sauti.domain.contacts import service as contacts
from sauti.domain.errors import BadParameter, ErrorCollector, Forbidden, Invalid, NotFound
from sauti.domain.groups import queries, smart
from sauti.domain.names import check_name, deleted_name
from sauti.kit import clock
from sauti.models import Contact, ContactGroup, GroupMember, Workspace

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


def _locked(group: ContactGroup) -> bool:
    """Smart and system groups: their members come from a query, so nobody edits them by hand."""
    return group.is_system or group.group_type != "manual"


async def edit(
    session: AsyncSession,
    workspace: Workspace,
    uuid: str,
    *,
    name: str | None,
    query: str | None = None,
    manual_only: bool = False,
) -> ContactGroup:
    """Rename a group; for a smart group, a new ``query`` re-evaluates its members. ``manual_only``: a smart
    group is refused too (``group_locked``), as TextUs treats them."""
    group = await get(session, workspace, uuid)
    if manual_only and _locked(group):
        raise Invalid.general("group_locked")
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


async def delete_group(
    session: AsyncSession, workspace: Workspace, uuid: str, *, manual_only: bool = False, with_contacts: bool = False
) -> None:
    """Soft delete: the group is deactivated and renamed (its name is free again); memberships go.
    ``with_contacts``: its members are deleted too. ``manual_only``: see :func:`edit`. A group a live (not
    archived) campaign is on is refused (``group_used_by_campaigns``)."""
    group = await get(session, workspace, uuid)
    if manual_only and _locked(group):
        raise Invalid.general("group_locked")
    if group.is_system:
        raise Forbidden("system_object", action="delete")
    if await campaign_queries.live_on_group(session, workspace, group.id):
        raise BadParameter("uuid", "group_used_by_campaigns")
    if with_contacts:
        members = await session.execute(
            select(Contact)
            .join(GroupMember, GroupMember.contact_id == Contact.id)
            .where(GroupMember.group_id == group.id, Contact.is_active)
        )
        await contacts.delete_contacts(session, workspace, list(members.scalars()))
    await session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    group.is_active = False
    group.member_count = 0
    group.name = deleted_name(clock.new_uuid(), group.name)
    group.modified_on = clock.now()
    await session.flush()


async def get_by_id(session: AsyncSession, workspace: Workspace, group_id: int) -> ContactGroup:
    group = await queries.by_id(session, workspace, group_id)
    if group is None:
        raise NotFound("group", str(group_id))
    return group


async def set_member(
    session: AsyncSession, workspace: Workspace, group: ContactGroup, contact: Contact, member: bool
) -> ContactGroup:
    """Add a contact to a manual group, or take it out (each idempotent); a smart group is ``group_locked``."""
    if _locked(group):
        raise Invalid.general("group_locked")
    await contacts.change_group(session, workspace, [contact], group, add=member)
    await session.refresh(group)
    return group
