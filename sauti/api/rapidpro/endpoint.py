"""How an API v2 endpoint is declared and mounted.

An endpoint module builds one :class:`Endpoint` (its name, throttle scope, handlers per method and the text of its
documentation page) and the router mounts it at ``/api/v2/<name>.json`` (the API) and ``/api/v2/<name>`` (its
HTML documentation). Every request runs the same checks in the dialect's order: authentication (bad credentials
are a 403 at once), 405 for a method the endpoint lacks, 403 for anonymous callers or a role without access,
429 when throttled, then the handler inside one database transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from sauti.api.rapidpro import auth, params
from sauti.api.rapidpro.errors import APIError, method_not_allowed, render
from sauti.api.rapidpro.pagination import Ordering, paginate
from sauti.api.render import JSONResponse
from sauti.domain.errors import DomainError
from sauti.domain.workspaces.service import Caller
from sauti.models import Workspace

if TYPE_CHECKING:
    from sauti.api.rapidpro.throttle import Throttle

ALL_METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH")


@dataclass
class Ctx:
    """What a handler gets: the request, its transaction and the authenticated caller."""

    request: Request
    session: AsyncSession
    caller: Caller

    @property
    def workspace(self) -> Workspace:
        return self.caller.workspace

    @property
    def page_size(self) -> int:
        size: int = self.request.app.state.settings.page_size
        return size


Handler = Callable[[Ctx], Awaitable[Response]]


@dataclass(frozen=True)
class Param:
    """A documented query-string parameter."""

    name: str
    help: str
    required: bool = False


PAGE = "page"  # a page of the endpoint's result objects
RESULT = "result"  # one result object

# what a method answers when its Doc says nothing else: success statuses, then the errors it can give
DEFAULT_OK: dict[str, dict[int, Any]] = {"GET": {200: PAGE}, "POST": {201: RESULT}, "DELETE": {204: None}}
DEFAULT_ERRORS: dict[str, tuple[int, ...]] = {
    "GET": (400, 403, 404, 429),  # 404: an invalid page cursor, as DRF answers it
    "POST": (400, 403, 415, 429),
    "DELETE": (400, 403, 404, 429),
}
LOOKUPS = frozenset({"uuid", "urn", "key"})


@dataclass(frozen=True)
class Doc:
    """The text of an endpoint's documentation page and OpenAPI entry, per method.

    ``ok`` maps each success status to what it carries (``PAGE``, ``RESULT``, another model, or ``None`` for
    no body) and ``errors`` lists the error statuses; both default by method, and a POST that takes a lookup
    parameter also answers 200 (the update) and 404 (nothing to update).
    """

    summary: str
    description: str = ""
    params: Sequence[Param] = ()
    body: type[BaseModel] | None = None
    example: str = ""
    ok: Mapping[int, Any] | None = None
    errors: Sequence[int] | None = None
    media_type: str = "application/json"

    def statuses(self, verb: str) -> tuple[dict[int, Any], tuple[int, ...]]:
        ok = dict(self.ok if self.ok is not None else DEFAULT_OK.get(verb, {200: RESULT}))
        errors = set(self.errors if self.errors is not None else DEFAULT_ERRORS.get(verb, (400, 403, 429)))
        if verb == "POST" and self.ok is None and any(p.name in LOOKUPS for p in self.params):
            ok.setdefault(200, RESULT)
            errors.add(404)
        return ok, tuple(sorted(errors))


@dataclass
class Endpoint:
    name: str
    title: str
    description: str
    scope: str = "v2"
    handlers: dict[str, Handler] = field(default_factory=dict)
    docs: dict[str, Doc] = field(default_factory=dict)
    result: type[BaseModel] | None = None  # the object it returns: its fields feed the docs page and OpenAPI
    listed: bool = True  # in the root listing

    def method(self, verb: str, doc: Doc) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers[verb] = fn
            self.docs[verb] = doc
            return fn

        return register


async def run(request: Request, endpoint: Endpoint, verb: str) -> Response:
    """Serve one API request: checks in the dialect's order, then the handler in one transaction."""
    state = request.app.state
    workspace_uuid: str | None = None
    async with state.sessionmaker() as session:
        try:
            caller = await auth.identify(request, session)
            handler = endpoint.handlers.get(verb)
            if handler is None:
                raise method_not_allowed(verb)
            caller = auth.require(caller)
            workspace_uuid = caller.workspace.uuid
            throttle: Throttle = state.throttle
            await throttle.check(caller.workspace, endpoint.scope)
            params.refuse_nul(request)
            response = await handler(Ctx(request=request, session=session, caller=caller))
            await session.commit()
        except (APIError, DomainError) as exc:
            await session.rollback()
            response = render(exc)
    if workspace_uuid:
        response.headers["X-Temba-Workspace"] = workspace_uuid
    return response


def json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def no_content() -> Response:
    return Response(status_code=204)


async def list_page(
    ctx: Ctx,
    stmt: Any,
    ordering: Ordering,
    serialize: Callable[[AsyncSession, Workspace, Sequence[Any]], Awaitable[list[dict[str, Any]]]],
) -> JSONResponse:
    """Page ``stmt`` by the request's cursor and render the ``{next, previous, results}`` envelope.

    ``serialize`` turns one page of rows into dicts with a fixed number of queries (never one per row).
    """
    page = await paginate(ctx.session, stmt, ordering, ctx.request, ctx.page_size)
    results = await serialize(ctx.session, ctx.workspace, page.rows)
    return json({"next": page.next, "previous": page.previous, "results": results})


def empty_page() -> JSONResponse:
    return json({"next": None, "previous": None, "results": []})


async def guarded_list(build: Callable[[], Awaitable[JSONResponse]]) -> JSONResponse:
    """Run a listing whose filters may be unsatisfiable (e.g. an unparseable date): then the page is empty."""
    try:
        return await build()
    except params.Unsatisfiable:
        return empty_page()
