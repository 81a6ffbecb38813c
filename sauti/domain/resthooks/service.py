"""Use cases for resthooks: slugs made by flows and the CLI, subscribers through the API, the signing key.

A resthook is a workspace slug (trimmed, lower case; one active resthook per slug). Saving or importing a flow
whose ``call_resthook`` names a slug creates it (:func:`ensure`), and so does ``sauti resthook add``. Subscribing
or unsubscribing bumps the resthook's ``modified_on`` (the ``resthooks.json`` order). Removing a resthook
deactivates its subscribers too; a flow that calls it afterwards does nothing (as with an unknown slug).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import ErrorCollector, Invalid, NotFound
from sauti.domain.resthooks import queries
from sauti.kit import clock
from sauti.models import Resthook, ResthookSubscriber, SigningKey, Workspace

MAX_SLUG = 1000
MAX_URL = 2048


def _check_slug(slug: str, errors: ErrorCollector, field: str = "resthook") -> str:
    slug = queries.normal_slug(slug)
    if not slug:
        errors.add(field, "blank")
    elif len(slug) > MAX_SLUG:
        errors.add(field, "too_long", max=MAX_SLUG)
    return slug


def _workspace_id(workspace: Workspace | int) -> int:
    return workspace if isinstance(workspace, int) else workspace.id


async def ensure(session: AsyncSession, workspace: Workspace | int, slugs: Iterable[str]) -> list[Resthook]:
    """The active resthooks of these slugs, creating those missing (a flow that calls them was saved). Slugs
    that are blank or too long are passed over (the flow's call then finds no resthook and does nothing)."""
    wanted = {s for s in (queries.normal_slug(x) for x in slugs) if s and len(s) <= MAX_SLUG}
    found = await queries.by_slugs(session, workspace, wanted)
    now = clock.now()
    for slug in sorted(wanted - found.keys()):
        row = Resthook(
            workspace_id=_workspace_id(workspace), slug=slug, is_active=True, created_on=now, modified_on=now
        )
        session.add(row)
        found[slug] = row
    await session.flush()
    return [found[s] for s in sorted(wanted)]


async def add(session: AsyncSession, workspace: Workspace, slug: str) -> tuple[Resthook, bool]:
    """The resthook of ``slug``, created when there is none; and whether it was created."""
    errors = ErrorCollector()
    slug = _check_slug(slug, errors)
    errors.raise_if_any()
    found = await queries.by_slug(session, workspace, slug)
    if found is not None:
        return found, False
    (made,) = await ensure(session, workspace, [slug])
    return made, True


async def remove(session: AsyncSession, workspace: Workspace, slug: str) -> Resthook:
    """Deactivate a resthook and its subscribers."""
    found = await queries.by_slug(session, workspace, slug)
    if found is None:
        raise NotFound("resthook", slug)
    now = clock.now()
    found.is_active = False
    found.modified_on = now
    await session.execute(
        update(ResthookSubscriber)
        .where(ResthookSubscriber.resthook_id == found.id, ResthookSubscriber.is_active)
        .values(is_active=False, modified_on=now)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    return found


def valid_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url


async def subscribe(
    session: AsyncSession, workspace: Workspace, *, resthook: str, target_url: str
) -> ResthookSubscriber:
    """A new subscriber of an active resthook. One URL subscribes once to a resthook (among active ones)."""
    errors = ErrorCollector()
    hook = await queries.by_slug(session, workspace, resthook)
    if hook is None:
        errors.add("resthook", "no_resthook", slug=resthook)
    if not valid_url(target_url) or len(target_url) > MAX_URL:
        errors.add("target_url", "invalid_url", value=target_url)
    errors.raise_if_any()
    assert hook is not None
    if await queries.active_subscriber(session, workspace, hook, target_url) is not None:
        raise Invalid.general("already_subscribed")
    now = clock.now()
    row = ResthookSubscriber(
        workspace_id=workspace.id,
        resthook_id=hook.id,
        target_url=target_url,
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    session.add(row)
    hook.modified_on = now
    await session.flush()
    return row


async def get_subscriber(session: AsyncSession, workspace: Workspace, subscriber_id: int) -> ResthookSubscriber:
    rows = await session.execute(queries.select_subscribers(workspace, queries.SubscriberFilter(id=subscriber_id)))
    found = rows.scalar_one_or_none()
    if found is None:
        raise NotFound("resthook_subscriber", str(subscriber_id))
    return found


async def unsubscribe(session: AsyncSession, workspace: Workspace, subscriber_id: int) -> None:
    """Soft delete: the subscriber is deactivated and its resthook's ``modified_on`` bumped."""
    found = await get_subscriber(session, workspace, subscriber_id)
    await deactivate(session, workspace, [found.id])


async def deactivate(session: AsyncSession, workspace: Workspace | int, subscriber_ids: Iterable[int]) -> int:
    """Deactivate these subscribers (unsubscribed, or gone: a 410 answer) and bump their resthooks'
    ``modified_on``; how many were still active."""
    ids = sorted(set(subscriber_ids))
    if not ids:
        return 0
    now = clock.now()
    ws_id = _workspace_id(workspace)
    changed = await session.execute(
        update(ResthookSubscriber)
        .where(ResthookSubscriber.workspace_id == ws_id, ResthookSubscriber.id.in_(ids), ResthookSubscriber.is_active)
        .values(is_active=False, modified_on=now)
        .returning(ResthookSubscriber.resthook_id)
        .execution_options(synchronize_session=False)
    )
    touched = list(changed.scalars())
    hooks = sorted(set(touched))
    if hooks:
        await session.execute(
            update(Resthook)
            .where(Resthook.workspace_id == ws_id, Resthook.id.in_(hooks))
            .values(modified_on=now)
            .execution_options(synchronize_session=False)
        )
    await session.flush()
    return len(touched)


async def signing_secret(session: AsyncSession, workspace: Workspace | int) -> str:
    """The workspace's signing secret, made on first use (64 hex characters)."""
    ws_id = _workspace_id(workspace)
    found = await session.get(SigningKey, ws_id)
    if found is not None:
        return found.secret
    row = SigningKey(workspace_id=ws_id, secret=secrets.token_hex(32), created_on=clock.now())
    session.add(row)
    await session.flush()
    return row.secret


async def rotate_secret(session: AsyncSession, workspace: Workspace) -> str:
    """A new signing secret for the workspace (deliveries signed from now on use it)."""
    found = await session.get(SigningKey, workspace.id)
    secret = secrets.token_hex(32)
    if found is None:
        session.add(SigningKey(workspace_id=workspace.id, secret=secret, created_on=clock.now()))
    else:
        found.secret = secret
    await session.flush()
    return secret


async def subscribed(session: AsyncSession, subscriber_id: int) -> bool:
    """Whether this subscriber (of a delivery already scoped to its workspace) is still active."""
    found = await session.get(ResthookSubscriber, subscriber_id)
    return found is not None and found.is_active
