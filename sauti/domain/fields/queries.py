"""Every select for contact fields."""

from __future__ import annotations

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import ContactField, Workspace


def listing(workspace: Workspace) -> Select[ContactField]:
    """Active custom fields (never the hidden proxy fields)."""
    return scoped(ContactField, workspace).where(ContactField.is_active, ~ContactField.is_system)


def select_fields(workspace: Workspace, key: str | None = None) -> Select[ContactField]:
    """The listing, or the one field with that key."""
    stmt = listing(workspace)
    return stmt if key is None else stmt.where(ContactField.key == key)


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


async def by_key(session: AsyncSession, workspace: Workspace, key: str) -> ContactField | None:
    rows = await session.execute(listing(workspace).where(ContactField.key == key))
    return rows.scalar_one_or_none()
