"""Every select for contact groups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from sqlalchemy import Select, func
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import shapes
from sauti.domain.errors import BadParameter
from sauti.domain.scope import scoped
from sauti.models import ContactGroup, Workspace


def listing(workspace: Workspace | int) -> Select[ContactGroup]:
    """Active groups the API shows: manual and smart, including the visible system group, never initializing."""
    return scoped(ContactGroup, workspace).where(ContactGroup.is_active, ContactGroup.status != "initializing")


@dataclass(frozen=True)
class GroupFilter:
    """What a group listing may be narrowed by; ``name`` matches case-insensitively."""

    uuid: str | None = None
    name: str | None = None
    manual_only: bool = False
    text: str | None = None  # a case-insensitive part of the name
    # the select comes ordered by one of ORDERS (a leading "-": descending), ties by id
    order: str | None = None


ORDERS = ("name", "created", "modified", "size")


def select_groups(workspace: Workspace | int, f: GroupFilter) -> Select[ContactGroup]:
    stmt = listing(workspace)
    if f.uuid is not None:
        stmt = stmt.where(ContactGroup.uuid == f.uuid)
    if f.name is not None:
        stmt = stmt.where(func.lower(ContactGroup.name) == f.name.lower())
    if f.manual_only:
        stmt = stmt.where(ContactGroup.group_type == "manual")
    if f.text:
        stmt = stmt.where(func.lower(ContactGroup.name).contains(f.text.lower(), autoescape=True))
    if f.order is not None:
        key = f.order.removeprefix("-")
        if key not in ORDERS:
            raise BadParameter("order", "invalid_choice", value=f.order, choices=ORDERS)
        column: Any = {
            "name": func.lower(ContactGroup.name),
            "created": ContactGroup.created_on,
            "modified": ContactGroup.modified_on,
            "size": ContactGroup.member_count,
        }[key]
        if f.order.startswith("-"):
            stmt = stmt.order_by(column.desc(), ContactGroup.id.desc())
        else:
            stmt = stmt.order_by(column, ContactGroup.id)
    return stmt


async def by_id(session: AsyncSession, workspace: Workspace, group_id: int) -> ContactGroup | None:
    """A listed group by its integer id."""
    found: ContactGroup | None = (
        await session.execute(listing(workspace).where(ContactGroup.id == group_id))
    ).scalar_one_or_none()
    return found


async def by_uuid(session: AsyncSession, workspace: Workspace, uuid: str) -> ContactGroup | None:
    rows = await session.execute(
        scoped(ContactGroup, workspace).where(ContactGroup.is_active, ContactGroup.uuid == uuid)
    )
    return rows.scalar_one_or_none()


async def by_reference(session: AsyncSession, workspace: Workspace, ref: str) -> ContactGroup | None:
    """A group referenced in a body: by UUID, or by name case-insensitively."""
    rows = await session.execute(
        scoped(ContactGroup, workspace)
        .where(
            ContactGroup.is_active,
            (ContactGroup.uuid == ref) | (func.lower(ContactGroup.name) == ref.lower()),
        )
        .order_by(ContactGroup.id)
    )
    return rows.scalars().first()


async def by_references(session: AsyncSession, workspace: Workspace, refs: Sequence[str]) -> dict[str, ContactGroup]:
    """Groups referenced in a body, in one query: each reference by UUID, or by name case-insensitively (the
    oldest group of that name). References that name nothing are absent from the result."""
    wanted = [r for r in dict.fromkeys(refs) if r]
    if not wanted:
        return {}
    lowered = {r.lower() for r in wanted}
    rows = await session.execute(
        scoped(ContactGroup, workspace)
        .where(ContactGroup.is_active, ContactGroup.uuid.in_(wanted) | func.lower(ContactGroup.name).in_(lowered))
        .order_by(ContactGroup.id)
    )
    by_uuid: dict[str, ContactGroup] = {}
    by_name: dict[str, ContactGroup] = {}
    for group in rows.scalars():
        by_uuid[group.uuid] = group
        by_name.setdefault(group.name.lower(), group)
    out: dict[str, ContactGroup] = {}
    for ref in wanted:
        found = by_uuid.get(ref) or by_name.get(ref.lower())
        if found is not None:
            out[ref] = found
    return out


async def name_taken(session: AsyncSession, workspace: Workspace, name: str, exclude_id: int | None = None) -> bool:
    stmt = scoped(ContactGroup, workspace, ContactGroup.id).where(
        ContactGroup.is_active, func.lower(ContactGroup.name) == name.lower()
    )
    if exclude_id is not None:
        stmt = stmt.where(ContactGroup.id != exclude_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def smart_groups(session: AsyncSession, workspace: Workspace) -> list[ContactGroup]:
    rows = await session.execute(
        scoped(ContactGroup, workspace)
        .where(ContactGroup.is_active, ContactGroup.group_type == "smart", ContactGroup.status == "ready")
        .order_by(ContactGroup.id)
    )
    return list(rows.scalars())


_SHAPES: Final = shapes.Shapes()


def listed_groups(workspace: Workspace, f: GroupFilter) -> tuple[Select[ContactGroup], dict[str, Any] | None]:
    """:func:`select_groups` kept per shape (``db.shapes``): the statement and the values to run it with (``None``:
    the statement holds them)."""
    shape, values = shapes.split(f, ("uuid", "name", "text"))

    def build(v: Mapping[str, Any]) -> Select[ContactGroup]:
        return select_groups(v["ws"], replace(f, **{k: v[k] for k in values}))

    return _SHAPES.statement(shape, build, {**values, "ws": workspace.id})
