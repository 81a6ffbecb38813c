"""Mounting endpoints as plain Starlette routes, found by a dictionary lookup.

Every handler of both dialects takes the request and returns a response; the OpenAPI documents are written
from the endpoints' declarations. So FastAPI's own route machinery (dependency solving, response models) has
nothing to do, and it cost about 0.9 ms a request on this machine. A router also tries its routes one by one,
and the two dialects have about 130 of them, most with fixed paths: a :class:`Table` finds a fixed path's
routes in a dictionary and tries only the routes with parameters in order, in about a tenth of the time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
CHOSEN = "sauti.route"  # the scope key naming the route a Table matched


def route_path(scope: Scope) -> str:
    """The path routes match: the request's path below the app's root path, as Starlette's routes see it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :]
    return path


class Table(BaseRoute):
    """A group of routes that answers as if they were tried in the order they were added.

    A request's path is looked up among the fixed paths first: what is kept for a fixed path is every route
    whose pattern matches that path, in the order added, so a route with parameters added earlier still wins
    as it would in a list. Any other path tries the routes with parameters in order.
    """

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._fixed: dict[str, list[Route]] | None = None
        self._patterns: list[Route] = []

    def add(self, path: str, endpoint: Endpoint, methods: Sequence[str]) -> None:
        route = Route(path, endpoint, methods=list(methods))
        self.routes.append(route)
        if route.param_convertors:
            self._patterns.append(route)
        self._fixed = None  # what a fixed path may match is worked out again at the next request

    def _lookup(self) -> dict[str, list[Route]]:
        fixed = dict.fromkeys(r.path for r in self.routes if not r.param_convertors)
        return {p: [r for r in self.routes if r.path_regex.match(p)] for p in fixed}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        if self._fixed is None:
            self._fixed = self._lookup()
        candidates = self._fixed.get(route_path(scope), self._patterns)
        partial: tuple[Route, Scope] | None = None
        for route in candidates:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return Match.FULL, {**child, CHOSEN: route}
            if match is Match.PARTIAL and partial is None:
                partial = (route, child)
        if partial is not None:
            return Match.PARTIAL, {**partial[1], CHOSEN: partial[0]}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: Route = scope[CHOSEN]
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)


def table(app: FastAPI) -> Table:
    """A new :class:`Table` at the end of the app's routes."""
    routes = Table()
    app.router.routes.append(routes)
    return routes


def add(routes: Table, path: str, endpoint: Endpoint, methods: Sequence[str]) -> None:
    routes.add(path, endpoint, methods)
