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

from sauti.api.boundary import Ctx as Ctx
from sauti.api.boundary import Door, serve
from sauti.api.rapidpro import auth, params
from sauti.api.rapidpro.errors import APIError, method_not_allowed, render
from sauti.api.rapidpro.pagination import Ordering, paginate
from sauti.api.render import JSONResponse
from sauti.api.throttle import Throttled
from sauti.domain.errors import DomainError
from sauti.domain.workspaces.service import Caller
from sauti.models import Workspace

if TYPE_CHECKING:
    pass

ALL_METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH")


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
    listed: bool = True  # in the root listing, the root page and the OpenAPI document
    in_root: bool = True  # false: documented and in OpenAPI, but left out of the root listing (definitions)
    paging: str = "cursor"  # how its list is paged: "cursor", or "offset" (limit and offset: archives)

    def method(self, verb: str, doc: Doc) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers[verb] = fn
            self.docs[verb] = doc
            return fn

        return register


def _door(endpoint: Endpoint, verb: str) -> Door:
    async def authenticate(request: Request, session: AsyncSession) -> Caller:
        caller = await auth.identify(request, session)  # bad credentials are a 403 at once
        if verb not in endpoint.handlers:
            raise method_not_allowed(verb)
        return auth.require(caller)

    def finish(response: Response, workspace_uuid: str | None) -> None:
        if workspace_uuid is not None:
            response.headers["X-Temba-Workspace"] = workspace_uuid

    return Door(
        authenticate=authenticate,
        scope=lambda request: endpoint.scope,
        render=render,
        errors=(APIError, DomainError, Throttled),
        finish=finish,
    )


async def run(request: Request, endpoint: Endpoint, verb: str) -> Response:
    """Serve one API request through the shared boundary: the dialect's checks in its order (authentication,
    405, anonymous or role 403, 429), then the handler in one transaction."""
    handler = endpoint.handlers.get(verb)

    async def handle(ctx: Ctx) -> Response:
        assert handler is not None  # a missing handler was refused as 405 by authenticate
        params.refuse_nul(ctx.request)
        return await handler(ctx)

    return await serve(request, _door(endpoint, verb), handle)


def json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def no_content() -> Response:
    return Response(status_code=204)


async def list_page(
    ctx: Ctx,
    stmt: Any,
    ordering: Ordering,
    serialize: Callable[[AsyncSession, Workspace, Sequence[Any]], Awaitable[list[dict[str, Any]]]],
    params: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """Page ``stmt`` by the request's cursor and render the ``{next, previous, results}`` envelope.

    ``serialize`` turns one page of rows into dicts with a fixed number of queries (never one per row).
    ``params``: ``stmt`` is a kept shape's (``db.shapes``), run with these values.
    """
    page_size: int = ctx.request.app.state.settings.page_size
    page = await paginate(ctx.session, stmt, ordering, ctx.request, page_size, params)
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
