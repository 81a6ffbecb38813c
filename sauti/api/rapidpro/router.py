"""Mounting the API v2 dialect: JSON endpoints, documentation pages, the root, the explorer and OpenAPI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import Response

from sauti.api import routes as mounting
from sauti.api.explorer import DOCUMENTS
from sauti.api.explorer import page as explorer_page
from sauti.api.rapidpro import (
    archives,
    broadcasts,
    campaign_events,
    campaigns,
    channels,
    classifiers,
    contact_actions,
    contacts,
    definitions,
    fields,
    flow_starts,
    flows,
    globals,
    groups,
    labels,
    media,
    message_actions,
    messages,
    resthook_events,
    resthook_subscribers,
    resthooks,
    runs,
    ticket_actions,
    tickets,
    topics,
    users,
    workspace,
)
from sauti.api.rapidpro.docs import endpoint_page, root_page
from sauti.api.rapidpro.endpoint import ALL_METHODS, Endpoint, run
from sauti.api.rapidpro.errors import method_not_allowed
from sauti.api.render import JSONResponse
from sauti.api.throttle import Throttle

# root listing order follows the dialect; endpoints of later issues are added here as they land
ENDPOINTS: list[Endpoint] = [
    archives.endpoint,
    broadcasts.endpoint,
    campaigns.endpoint,
    campaign_events.endpoint,
    channels.endpoint,
    classifiers.endpoint,
    messages.endpoint,
    contacts.endpoint,
    contact_actions.endpoint,
    fields.endpoint,
    globals.endpoint,
    groups.endpoint,
    users.endpoint,
    workspace.endpoint,
    workspace.org_endpoint,
    labels.endpoint,
    message_actions.endpoint,
    media.endpoint,
    flows.endpoint,
    flow_starts.endpoint,
    runs.endpoint,
    definitions.endpoint,
    resthooks.endpoint,
    resthook_events.endpoint,
    resthook_subscribers.endpoint,
    tickets.endpoint,
    ticket_actions.endpoint,
    topics.endpoint,
]

ROOT_ORDER = (
    "archives broadcasts campaigns campaign_events channels classifiers contacts contact_actions fields flow_starts "
    "flows "
    "globals groups labels media messages message_actions resthooks resthook_events resthook_subscribers runs "
    "tickets ticket_actions topics users workspace"
).split()


def _api_handler(ep: Endpoint, verb: str | None) -> Callable[[Request], Awaitable[Response]]:
    """The route function for one method (``None``: any method the endpoint lacks, answered 405)."""

    async def handler(request: Request) -> Response:
        return await run(request, ep, verb or request.method)

    return handler


def _docs_handler(page: str) -> Callable[[Request], Awaitable[Response]]:
    async def docs_page(request: Request) -> Response:
        # anyone may read the documentation; any other method on a documentation URL is refused (403)
        status = 200 if request.method in ("GET", "HEAD") else 403
        return HTMLResponse(page, status_code=status)

    return docs_page


def _mount_endpoint(router: mounting.Table, ep: Endpoint, brand: str) -> None:
    # the OpenAPI document is written by api/rapidpro/openapi.py from the declarations, not from these routes
    for path in (f"/api/v2/{ep.name}.json", f"/api/v2/{ep.name}.json/"):
        for verb in ep.handlers:
            mounting.add(router, path, _api_handler(ep, verb), methods=[verb])
        others = [m for m in ALL_METHODS if m not in ep.handlers]
        mounting.add(router, path, _api_handler(ep, None), methods=others)
    mounting.add(
        router,
        f"/api/v2/{ep.name}",
        _docs_handler(endpoint_page(ep, brand)),
        methods=list(ALL_METHODS),
    )


def mount(app: FastAPI, brand: str, throttle: Throttle) -> None:
    router = mounting.table(app)
    for ep in ENDPOINTS:
        _mount_endpoint(router, ep, brand)
    in_root = [e for e in ENDPOINTS if e.listed and e.in_root]
    known = {e.name for e in in_root}
    listed = sorted(in_root, key=lambda e: ROOT_ORDER.index(e.name))
    root_html = root_page(listed, brand, throttle)

    async def root(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return JSONResponse(method_not_allowed(request.method).body, status_code=405)
        return HTMLResponse(root_html)

    async def root_json(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return JSONResponse({name: f"{base}/api/v2/{name}" for name in ROOT_ORDER if name in known})

    # an archive's file: behind the API's own checks (its token), not a public link
    archive_file = "/api/v2/archives/{uuid}.jsonl.gz"
    mounting.add(router, archive_file, _api_handler(archives.download, "GET"), methods=["GET"])
    mounting.add(router, archive_file, _api_handler(archives.download, None), methods=list(ALL_METHODS[1:]))
    mounting.add(router, "/api/v2/", root, methods=list(ALL_METHODS))
    mounting.add(router, "/api/v2/.json", root_json, methods=["GET"])

    # Swagger UI 5 (it reads OpenAPI 3.1) as shipped inside the fastapi-offline wheel: no CDN at run time
    assets = Path(str(resources.files("fastapi_offline") / "static"))
    app.mount("/api/v2/explorer/static", StaticFiles(directory=assets), name="explorer-static")

    explorer_html = explorer_page(brand, DOCUMENTS, 0)

    async def explorer(request: Request) -> Response:
        return HTMLResponse(explorer_html)

    async def explorer_redirect(request: Request) -> Response:
        return RedirectResponse("/api/v2/explorer/", status_code=301)

    mounting.add(router, "/api/v2/explorer/", explorer, methods=["GET"])
    mounting.add(router, "/api/v2/explorer", explorer_redirect, methods=["GET"])
