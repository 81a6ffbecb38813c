"""Mounting the TextUs dialect: every resource's routes under ``/api/``, the root page and the OpenAPI document.

Each path is one route whatever the method: a method the path does not have is a 405 before anything else (no
CORS preflight either: the dialect does not support CORS). Every answer carries ``X-Request-Id`` (the caller's,
or a new one) and ``X-Runtime``; a successful read an ``ETag`` and ``Cache-Control``.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.requests import Request
from starlette.responses import Response

from sauti import __version__
from sauti.api import routes as mounting
from sauti.api.explorer import DOCUMENTS
from sauti.api.explorer import page as explorer_page
from sauti.api.render import JSONResponse
from sauti.api.textus import (
    auto_replies,
    blocked_numbers,
    broadcasts,
    contacts,
    errors,
    groups,
    message_signatures,
    message_templates,
    messages,
    openapi,
    opt_outs,
    tags,
    users,
    web_hooks,
)
from sauti.api.textus.resource import Resource, Route, run

# in the order of the TextUs documentation
RESOURCES: list[Resource] = [
    auto_replies.resource,
    blocked_numbers.resource,
    broadcasts.resource,
    contacts.resource,
    groups.resource,
    message_signatures.resource,
    message_templates.resource,
    messages.resource,
    opt_outs.resource,
    tags.resource,
    users.resource,
    web_hooks.resource,
]
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
_REQUEST_ID = re.compile(r"[A-Za-z0-9\-_.:]{1,128}")


def routes() -> list[tuple[Resource, Route]]:
    return [(r, route) for r in RESOURCES for route in r.routes]


def _finish(request: Request, response: Response, started: float) -> Response:
    given = request.headers.get("x-request-id", "")
    response.headers["X-Request-Id"] = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    response.headers["X-Runtime"] = f"{time.monotonic() - started:.6f}"
    if request.method == "GET" and response.status_code == 200:
        body = bytes(getattr(response, "body", b""))
        response.headers["ETag"] = f'W/"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
        response.headers["Cache-Control"] = "max-age=0, private, must-revalidate"
    return response


def _dispatcher(by_method: dict[str, Route]) -> Callable[[Request], Awaitable[Response]]:
    allowed = sorted(by_method)

    async def dispatch(request: Request) -> Response:
        started = time.monotonic()
        route = by_method.get(request.method)
        if route is None:
            response: Response = errors.response(errors.method_not_allowed(allowed))
        else:
            response = await run(request, route)
        return _finish(request, response, started)

    return dispatch


def _root_page(brand: str) -> str:
    items = []
    for r in RESOURCES:
        lines = "".join(
            f"<li><code>{escape(route.method)} {escape(route.path)}</code> {escape(route.doc.summary)}</li>"
            for route in r.routes
            if route.method != "PATCH"
        )
        first = r.routes[0].path
        items.append(
            f"<section><h2><a href='{escape(first)}'>{escape(r.title)}</a></h2><p>{escape(r.description)}</p>"
            f"<ul>{lines}</ul></section>"
        )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(brand)} TextUs API v2</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:24px auto;padding:0 24px;"
        "color:#1d2733}code{background:#f1f3f5;border-radius:4px;padding:1px 4px}li{margin:2px 0}</style>"
        f"</head><body><h1>{escape(brand)}: the TextUs API v2</h1>"
        "<p>HTTP Basic with your email and API token (<code>curl -u EMAIL:TOKEN</code>); JSON or form "
        "parameters; lists are pages of 25 (<code>page</code>, <code>per_page</code> up to 100, "
        "<code>offset</code>) with <code>X-Total</code>, <code>X-Total-Pages</code>, <code>X-Page</code>, "
        "<code>X-Per-Page</code>, <code>X-Offset</code> and <code>X-Next-Page</code> headers. Errors are "
        '<code>{"error": "..."}</code>. Broadcasts may be sent once a minute, other requests 1,000 times an '
        "hour. The RapidPro API v2 is at <a href='/api/v2/'>/api/v2/</a>; both are in the "
        "<a href='/api/explorer/'>explorer</a> (<a href='/api/openapi.json'>OpenAPI</a>).</p>"
        + "".join(items)
        + "</body></html>"
    )


def mount(app: FastAPI, brand: str) -> None:
    router = mounting.table(app)
    by_path: dict[str, dict[str, Route]] = {}
    for _, route in routes():
        by_path.setdefault(route.path, {})[route.method] = route
    # literal paths first, so /api/users/current is not taken for /api/users/{id}
    for path in sorted(by_path, key=lambda p: ("{" in p, p)):
        mounting.add(router, path, _dispatcher(by_path[path]), methods=ALL_METHODS)
    page = _root_page(brand)

    async def root(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return errors.response(errors.method_not_allowed(["GET"]))
        return HTMLResponse(page)

    mounting.add(router, "/api/", root, methods=ALL_METHODS)
    mounting.add(router, "/api", root, methods=["GET", "HEAD"])
    cached: dict[str, object] = {}

    async def openapi_json(request: Request) -> Response:
        if not cached:
            cached.update(openapi.document(f"{brand} TextUs API v2", __version__, RESOURCES))
        return JSONResponse(cached)

    explorer_html = explorer_page(brand, DOCUMENTS, 1)

    async def explorer(request: Request) -> Response:
        return HTMLResponse(explorer_html)

    async def explorer_redirect(request: Request) -> Response:
        return RedirectResponse("/api/explorer/", status_code=301)

    mounting.add(router, "/api/openapi.json", openapi_json, methods=["GET"])
    mounting.add(router, "/api/explorer/", explorer, methods=["GET"])
    mounting.add(router, "/api/explorer", explorer_redirect, methods=["GET"])
