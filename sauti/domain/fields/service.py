"""Use cases for custom contact fields."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import regex
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain import limits
from sauti.domain.campaigns import queries as campaign_queries
from sauti.domain.errors import ErrorCollector, Invalid, NotFound, Problem
from sauti.domain.fields import queries, values
from sauti.domain.fields.keys import RESERVED_FIELD_KEYS, is_valid_key, key_from_name
from sauti.domain.fields.values import FIELD_TYPES
from sauti.domain.groups import smart
from sauti.domain.scope import scoped
from sauti.kit import clock
from sauti.models import ContactField, ContactValue, Workspace

MAX_NAME_LENGTH = 36
_NAME_RE = regex.compile(r"^[A-Za-z0-9\- ]+$")


async def check_name(
    session: AsyncSession,
    workspace: Workspace,
    name: str,
    errors: ErrorCollector,
    exclude_id: int | None = None,
) -> str | None:
    """Validate a field name (problems under ``name``); returns the key it generates, or ``None`` after
    recording a problem."""
    if name != name.strip() or not _NAME_RE.match(name):
        errors.add("name", "field_name_characters")
        return None
    key = key_from_name(name)
    if not is_valid_key(key, RESERVED_FIELD_KEYS):
        errors.add("name", "field_key_invalid", key=key)
        return None
    # names are unique case-insensitively, and so are the keys they generate ("Nick Name" vs "Nick-Name")
    stmt = scoped(ContactField, workspace, ContactField.id).where(
        ContactField.is_active,
        (func.lower(ContactField.name) == name.lower()) | (ContactField.key == key),
    )
    if exclude_id is not None:
        stmt = stmt.where(ContactField.id != exclude_id)
    if (await session.execute(stmt.limit(1))).first() is not None:
        errors.add("name", "unique")
        return None
    return key


async def name_problems(
    session: AsyncSession, workspace: Workspace, name: str, exclude_id: int | None = None
) -> list[Problem]:
    """What is wrong with ``name`` for a new field (or for the field ``exclude_id`` being renamed)."""
    errors = ErrorCollector()
    await check_name(session, workspace, name, errors, exclude_id)
    return errors.problems


async def create(session: AsyncSession, workspace: Workspace, *, name: str, value_type: str) -> ContactField:
    """Create a field; its key is generated from the name."""
    errors = ErrorCollector()
    key = await check_name(session, workspace, name, errors)
    errors.raise_if_any()
    assert key is not None
    await limits.check(session, workspace, "fields", ContactField, ~ContactField.is_system)
    now = clock.now()
    field = ContactField(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        key=key,
        name=name,
        value_type=value_type,
        featured=False,
        priority=0,
        agent_access="view",
        is_system=False,
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    session.add(field)
    await session.flush()
    return field


async def edit(
    session: AsyncSession,
    workspace: Workspace,
    key: str,
    *,
    name: str,
    value_type: str,
) -> ContactField:
    """Rename a field and/or change its type (stored values are re-read for the new type). The key stays."""
    field = await queries.by_key(session, workspace, key)
    if field is None:
        raise NotFound("field", key)
    errors = ErrorCollector()
    await check_name(session, workspace, name, errors, exclude_id=field.id)
    if value_type != field.value_type and field.value_type == "datetime":
        used = (await campaign_queries.field_usage(session, workspace, [field.id])).get(field.id, 0)
        if used:
            errors.add("type", "field_type_in_use")
    errors.raise_if_any()
    field.name = name
    if value_type != field.value_type:
        field.value_type = value_type
        await _reparse(session, workspace, field)
    field.modified_on = clock.now()
    await session.flush()
    return field


async def _reparse(session: AsyncSession, workspace: Workspace, field: ContactField) -> None:
    """Re-derive every value's typed columns from its text after a change of type, then re-evaluate the smart
    groups whose query uses the field (their membership depends on the typed values)."""
    tz = ZoneInfo(workspace.timezone)
    rows = (
        await session.execute(
            select(ContactValue.contact_id, ContactValue.text_value).where(ContactValue.field_id == field.id)
        )
    ).all()
    for contact_id, text in rows:
        parsed = values.parse(text, field.value_type, tz, workspace.date_style)
        await session.execute(
            sql_update(ContactValue)
            .where(ContactValue.contact_id == contact_id, ContactValue.field_id == field.id)
            .values(text_key=parsed.text_key, number_value=parsed.number, datetime_value=parsed.datetime)
        )
    await smart.repopulate_using_field(session, workspace, field.key)


async def _refuse_if_used(session: AsyncSession, workspace: Workspace, field: ContactField, name: str) -> None:
    """A field that active campaign events are relative to keeps its dates: it is neither deleted nor retyped."""
    used = (await campaign_queries.field_usage(session, workspace, [field.id])).get(field.id, 0)
    if used:
        raise Invalid.field(name, "field_in_use", key=field.key, events=used)


async def delete_field(session: AsyncSession, workspace: Workspace, key: str) -> None:
    """Deactivate a field and drop its values (its name and key are free again); smart groups that use it are
    re-evaluated. Refused (``field_in_use``) while active campaign events are relative to it."""
    field = await queries.by_key(session, workspace, key)
    if field is None:
        raise NotFound("field", key)
    await _refuse_if_used(session, workspace, field, "key")
    await session.execute(sql_delete(ContactValue).where(ContactValue.field_id == field.id))
    field.is_active = False
    field.modified_on = clock.now()
    await session.flush()
    await smart.repopulate_using_field(session, workspace, field.key)


def check_type(value_type: str) -> bool:
    return value_type in FIELD_TYPES
