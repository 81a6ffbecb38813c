"""Use cases for message templates."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import ErrorCollector, Forbidden, NotFound
from sauti.domain.templates import queries
from sauti.kit import clock
from sauti.models import MessageTemplate, Workspace

OWNERS = ("account", "organization")
MAX_TITLE = 255
MAX_CONTENT = 1600
# DECISION: only administrators share a template with the whole organization
SHARING_ROLES = ("administrator",)


async def get(session: AsyncSession, workspace: Workspace, template_id: int) -> MessageTemplate:
    row = await queries.by_id(session, workspace, template_id)
    if row is None:
        raise NotFound("message_template", str(template_id))
    return row


def _check(title: str | None, content: str | None, owner: str | None, role: str, errors: ErrorCollector) -> None:
    for name, value, limit in (("title", title, MAX_TITLE), ("content", content, MAX_CONTENT)):
        if value is None:
            continue
        if not value.strip():
            errors.add(name, "blank")
        elif len(value) > limit:
            errors.add(name, "too_long", max=limit)
    if owner is not None and owner not in OWNERS:
        errors.add("owner_type", "invalid_choice", value=owner, choices=OWNERS)
    errors.raise_if_any()
    if owner == "organization" and role not in SHARING_ROLES:
        raise Forbidden("administrators_only", action="share a template with the organization")


async def create(
    session: AsyncSession, workspace: Workspace, *, title: str, content: str, owner: str | None, role: str
) -> MessageTemplate:
    _check(title, content, owner, role, ErrorCollector())
    now = clock.now()
    row = MessageTemplate(
        workspace_id=workspace.id,
        title=title.strip(),
        content=content,
        owner_type=owner or "account",
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    session.add(row)
    await session.flush()
    return row


async def update(
    session: AsyncSession,
    row: MessageTemplate,
    *,
    title: str | None,
    content: str | None,
    owner: str | None,
    is_active: bool | None,
    role: str,
) -> MessageTemplate:
    """Change what is given (``None``: leave it)."""
    _check(title, content, owner, role, ErrorCollector())
    if title is not None:
        row.title = title.strip()
    if content is not None:
        row.content = content
    if owner is not None:
        row.owner_type = owner
    if is_active is not None:
        row.is_active = is_active
    row.modified_on = clock.now()
    await session.flush()
    return row


async def remove(session: AsyncSession, row: MessageTemplate) -> None:
    await session.delete(row)
    await session.flush()
