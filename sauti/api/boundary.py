"""The request boundary both dialects share: one transaction per request, authentication and throttling, the
handler, commit or rollback, and every error rendered by the dialect's own renderer.

A dialect describes itself with a :class:`Door` (how it authenticates and in what order it checks, how it
words its errors, what it adds to every answer) and calls :func:`serve` with a handler. The handler parses,
calls one domain function and renders; it never commits.

Two requests that race on the same rows can collide in the database (both insert the value of one field for
one contact, say, or SQLite answers "database is locked" to the second writer). Nothing was committed by the
loser, so the boundary runs the whole request again, up to :data:`ATTEMPTS` times, in a fresh transaction: the
second run sees what the first committed and takes the update path, or reports the conflict as the domain
words it. Throttling counts a request once, however often it is run.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from sauti.api.throttle import Throttle
from sauti.db import plain
from sauti.domain.workspaces.service import Caller

log = logging.getLogger("sauti.api")
ATTEMPTS = 3
# PostgreSQL's words for "run it again": serialization failure, deadlock
RETRY_SQLSTATES = frozenset({"40001", "40P01"})
# methods that change nothing: their requests read through the app's read sessions (see sauti.db.inline)
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass
class Ctx:
    """What a handler gets: the request, its transaction and the authenticated caller."""

    request: Request
    session: AsyncSession
    caller: Caller

    @property
    def workspace(self) -> Any:
        return self.caller.workspace


@dataclass(frozen=True)
class Door:
    """One dialect's side of the boundary.

    ``authenticate`` runs the dialect's checks in its own order (credentials, method, role...) and returns the
    caller or raises an error of ``errors``; ``render`` turns any exception of ``errors`` (the dialect's own,
    the domain's, :class:`~sauti.api.throttle.Throttled`) into its answer; ``finish`` adds what every answer of
    the dialect carries, given the caller's workspace UUID (``None`` when authentication failed; read before the
    handler ran, as a rollback leaves the caller's rows expired).
    """

    authenticate: Callable[[Request, AsyncSession], Awaitable[Caller]]
    scope: Callable[[Request], str]
    render: Callable[[Exception], Response]
    errors: tuple[type[Exception], ...]
    finish: Callable[[Response, str | None], None] = lambda response, workspace_uuid: None


def is_conflict(exc: DBAPIError) -> bool:
    """A collision with a concurrent request that a fresh run can get past."""
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower():
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return sqlstate in RETRY_SQLSTATES


async def serve(request: Request, door: Door, handler: Callable[[Ctx], Awaitable[Response]]) -> Response:
    state = request.app.state
    throttle: Throttle = state.throttle
    counted = False
    reads_only = request.method in READ_METHODS
    sessions = state.read_sessionmaker if reads_only else state.sessionmaker
    for attempt in range(1, ATTEMPTS + 1):
        workspace_uuid: str | None = None
        async with sessions() as session:
            if reads_only:
                plain.reading(session)
            try:
                caller = await door.authenticate(request, session)
                workspace_uuid = caller.workspace.uuid
                if not counted:
                    counted = True
                    await throttle.check(caller.workspace, door.scope(request))
                response = await handler(Ctx(request=request, session=session, caller=caller))
                if not reads_only:  # a read has nothing to commit: closing the session ends it
                    await session.commit()
            except door.errors as exc:
                await session.rollback()
                response = door.render(exc)
            except DBAPIError as exc:
                await session.rollback()
                if attempt == ATTEMPTS or not is_conflict(exc):
                    raise
                log.info("request collided with another (%s); running it again", type(exc.orig).__name__)
                continue
        door.finish(response, workspace_uuid)
        return response
    raise AssertionError("unreachable: the last attempt returns or raises")
