"""Use cases for globals."""

from __future__ import annotations

import regex
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain import limits
from sauti.domain.errors import ErrorCollector, NotFound, Problem
from sauti.domain.fields.keys import is_valid_key, key_from_name
from sauti.domain.globals import queries
from sauti.kit import clock
from sauti.models import Global, Workspace

_NAME_RE = regex.compile(r"^[A-Za-z0-9_\- ]+$")


def check_name(name: str, errors: ErrorCollector) -> str | None:
    """Validate a global's name; returns the key it generates, or ``None`` after recording an error."""
    if not _NAME_RE.match(name):
        errors.add("name", "global_name_characters")
        return None
    key = key_from_name(name)
    if not is_valid_key(key):
        errors.add("name", "global_key_invalid", key=key)
        return None
    return key


def name_problems(name: str) -> list[Problem]:
    errors = ErrorCollector()
    check_name(name, errors)
    return errors.problems


async def create(session: AsyncSession, workspace: Workspace, *, name: str, value: str) -> Global:
    errors = ErrorCollector()
    key = check_name(name, errors)
    if key is not None and await queries.name_or_key_taken(session, workspace, name, key):
        errors.add("name", "unique")
    errors.raise_if_any()
    assert key is not None
    await limits.check(session, workspace, "globals", Global)
    now = clock.now()
    row = Global(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        key=key,
        name=name,
        value=value,
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    session.add(row)
    await session.flush()
    return row


async def set_value(
    session: AsyncSession, workspace: Workspace, key: str, value: str, name: str | None = None
) -> Global:
    """Change a global's value. Its name (and so its key) never changes: a ``name`` given with the new value
    must still be a valid name, and is otherwise ignored."""
    row = await queries.by_key(session, workspace, key)
    if row is None:
        raise NotFound("global", key)
    if name is not None:
        errors = ErrorCollector()
        check_name(name, errors)
        errors.raise_if_any()
    row.value = value
    row.modified_on = clock.now()
    await session.flush()
    return row
