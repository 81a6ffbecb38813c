"""Every select for contact fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import shapes, versioning
from sauti.domain.scope import scoped
from sauti.models import ContactField, Workspace


def listing(workspace: Workspace | int) -> Select[ContactField]:
    """Active custom fields (never the hidden proxy fields)."""
    return scoped(ContactField, workspace).where(ContactField.is_active, ~ContactField.is_system)


def select_fields(workspace: Workspace | int, key: str | None = None) -> Select[ContactField]:
    """The listing, or the one field with that key."""
    stmt = listing(workspace)
    return stmt if key is None else stmt.where(ContactField.key == key)


_SHAPES: Final = shapes.Shapes()


def listed_fields(workspace: Workspace, key: str | None = None) -> tuple[Select[ContactField], dict[str, Any] | None]:
    """:func:`select_fields` kept per shape (``db.shapes``): the statement and the values to run it with."""
    values: dict[str, Any] = {"ws": workspace.id} if key is None else {"ws": workspace.id, "key": key}
    return _SHAPES.statement(key is None, lambda v: select_fields(v["ws"], v.get("key")), values)


# built once (every contact page asks for it): the listing's conditions with the workspace bound per call
_USER_FIELDS = (
    select(ContactField)
    .where(ContactField.workspace_id == bindparam("workspace_id"), ContactField.is_active, ~ContactField.is_system)
    .order_by(ContactField.created_on, ContactField.id)
)


async def user_fields(session: AsyncSession, workspace: Workspace) -> list[ContactField]:
    """The workspace's active custom fields, oldest first (the order contact ``fields`` are rendered in)."""
    rows = await session.execute(_USER_FIELDS, {"workspace_id": workspace.id})
    return list(rows.scalars())


@dataclass(frozen=True, slots=True)
class Shown:
    """What a contact page needs of a field: plain values, kept per process under the assets version."""

    id: int
    key: str
    value_type: str


_SHOWN: Final[versioning.Kept[tuple[Shown, ...]]] = versioning.Kept()


async def shown_fields(session: AsyncSession, workspace: Workspace) -> tuple[Shown, ...]:
    """:func:`user_fields` as plain values, read again only when the workspace's assets version moved (every
    write to a field moves it): a page of contacts reads no field row while the fields stand still."""

    async def read() -> tuple[Shown, ...]:
        return tuple(Shown(f.id, f.key, f.value_type) for f in await user_fields(session, workspace))

    return await _SHOWN.get(session, workspace.id, read)


async def by_key(session: AsyncSession, workspace: Workspace, key: str) -> ContactField | None:
    rows = await session.execute(listing(workspace).where(ContactField.key == key))
    return rows.scalar_one_or_none()
