"""Use cases for web hook subscriptions.

DECISIONS: the URL must be absolute ``http``/``https`` (at most 2048 characters); the payload version is ``1``
or ``2`` (the default); a subscription covers the account (the workspace) or, for administrators only, the
organization, which in Sauti is the same workspace; linked accounts do not exist here. Two subscriptions to the
same URL are two deliveries. The secret is made at creation and never changes (delete and create again).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import ErrorCollector, Forbidden, NotFound
from sauti.domain.webhooks import queries
from sauti.kit import clock
from sauti.models import WebHook, Workspace

VERSIONS = ("1", "2")
SCOPES = ("account", "organization")
MAX_URL = 2048
SCOPE_ROLES = {"account": ("administrator", "editor", "agent"), "organization": ("administrator",)}


def valid_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and len(url) <= MAX_URL and " " not in url


async def get(session: AsyncSession, workspace: Workspace, hook_id: int) -> WebHook:
    row = await queries.by_id(session, workspace, hook_id)
    if row is None:
        raise NotFound("web_hook", str(hook_id))
    return row


def _check(url: str | None, version: str | None, scope: str | None, errors: ErrorCollector) -> None:
    if url is not None and not valid_url(url.strip()):
        errors.add("url", "invalid_url", value=url)
    if version is not None and version not in VERSIONS:
        errors.add("version", "invalid_choice", value=version, choices=VERSIONS)
    if scope is not None and scope not in SCOPES:
        errors.add("scope", "invalid_choice", value=scope, choices=SCOPES)
    errors.raise_if_any()


async def create(
    session: AsyncSession,
    workspace: Workspace,
    *,
    url: str,
    version: str | None,
    scope: str | None,
    workspace_id: int | None,
    role: str,
) -> WebHook:
    """``workspace_id``: the account the caller means (``None``: theirs); another one is refused."""
    _check(url, version, scope, ErrorCollector())
    if workspace_id is not None and workspace_id != workspace.id:
        raise Forbidden("other_workspace", ref=str(workspace_id))
    if role not in SCOPE_ROLES[scope or "account"]:
        raise Forbidden("administrators_only", action="subscribe for the organization")
    now = clock.now()
    row = WebHook(
        workspace_id=workspace.id,
        url=url.strip(),
        version=version or "2",
        secret=secrets.token_urlsafe(24),
        scope=scope or "account",
        created_on=now,
        modified_on=now,
    )
    session.add(row)
    await session.flush()
    return row


async def update(session: AsyncSession, row: WebHook, *, url: str | None, version: str | None) -> WebHook:
    _check(url, version, None, ErrorCollector())
    if url is not None:
        row.url = url.strip()
    if version is not None:
        row.version = version
    row.modified_on = clock.now()
    await session.flush()
    return row


async def remove(session: AsyncSession, row: WebHook) -> None:
    await session.delete(row)
    await session.flush()
