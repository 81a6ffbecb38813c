"""How a TextUs resource is declared and served.

A resource module builds one :class:`Resource` and declares each route on it with its method, path, throttle
scope and :class:`Doc` (which feeds the root page and the OpenAPI document). Every request runs the dialect's
checks in its order through the shared boundary (``api/boundary.py``): 405 for a method the path lacks (before
anything else), 401 without valid credentials, 429 when throttled, then the handler in one transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from sauti.api.boundary import Ctx, Door, serve
from sauti.api.textus import auth, errors
from sauti.api.textus.params import Params, read
from sauti.api.throttle import Throttled
from sauti.domain.errors import DomainError

__all__ = ["LIST", "ONE", "Ctx", "Doc", "Param", "Resource", "Route"]

Handler = Callable[[Ctx, Params], Awaitable[Response]]

ONE = "one"  # one object
LIST = "list"  # a page of objects (a bare array, with the pagination headers)
DEFAULT_SCOPE = "textus"


@dataclass(frozen=True)
class Param:
    """A documented parameter. ``kind``: integer, string, boolean, datetime, strings (a list) or file."""

    name: str
    kind: str
    help: str
    required: bool = False


@dataclass(frozen=True)
class Doc:
    summary: str
    params: Sequence[Param] = ()
    status: int = 200
    returns: str = ONE  # ONE or LIST
    model: type[BaseModel] | None = None  # what it returns, when it is not the resource's own object
    errors: Sequence[int] = ()  # beyond 401 and 429, which every route can answer
    description: str = ""


@dataclass
class Route:
    method: str
    path: str
    doc: Doc
    handler: Handler
    scope: str = DEFAULT_SCOPE


@dataclass
class Resource:
    name: str
    title: str
    description: str
    result: type[BaseModel] | None = None
    routes: list[Route] = field(default_factory=list)

    def route(self, method: str, path: str, doc: Doc, scope: str = DEFAULT_SCOPE) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.routes.append(Route(method=method, path=path, doc=doc, handler=fn, scope=scope))
            return fn

        return register


def _door(route: Route) -> Door:
    return Door(
        authenticate=auth.identify,
        scope=lambda request: route.scope,
        render=errors.render,
        errors=(errors.TextUsError, DomainError, Throttled),
    )


async def run(request: Request, route: Route) -> Response:
    async def handle(ctx: Ctx) -> Response:
        return await route.handler(ctx, await read(ctx.request))

    return await serve(request, _door(route), handle)


def returned_model(resource: Resource, route: Route) -> Any:
    return route.doc.model or resource.result
