"""``create_app()``: the ASGI application serving both dialects over one database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from sauti import __version__
from sauti.api import channel_callbacks, media_files
from sauti.api.rapidpro import openapi as rapidpro_openapi
from sauti.api.rapidpro import router as rapidpro
from sauti.api.textus import router as textus
from sauti.api.throttle import Throttle
from sauti.db import inline
from sauti.db.engine import make_engine, make_read_engine, make_sessionmaker, sync_engines
from sauti.domain.flows import webhooks as flow_webhooks
from sauti.kit import gctune
from sauti.kit import http as outbound
from sauti.settings import Settings, get_settings
from sauti.worker import Worker


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    flow_webhooks.configure(
        timeout=settings.flow_webhook_timeout,
        allow_private=settings.webhook_allow_private,
        allow=settings.webhook_allow_networks,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gctune.tune()  # once per process: what start-up made is frozen, young collections rarer
        engine = make_engine(settings.resolved_database_url)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        reader = make_read_engine(settings.resolved_database_url)
        # requests that only read (GET, HEAD) take their session here
        app.state.read_sessionmaker = app.state.sessionmaker if reader is None else inline.ReadSessions(reader)
        app.state.engines = [engine.sync_engine, *sync_engines(app.state.sessionmaker)]
        if reader is not None:
            app.state.engines.append(reader)
        app.state.http_client = outbound.client(settings.send_timeout)
        stop = asyncio.Event()
        task = None
        if settings.embedded_worker:
            worker = Worker(app.state.sessionmaker, settings, app.state.http_client)
            task = asyncio.create_task(worker.run(stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            await app.state.http_client.aclose()
            await engine.dispose()
            if reader is not None:
                reader.dispose()

    app = FastAPI(
        title=f"{settings.brand} API",
        version=__version__,
        openapi_url="/api/v2/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    # the dialect answers 404 for /api/v2/<name>/ rather than redirecting to the docs page
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.throttle = Throttle(settings.api_rates, settings.redis_url)

    async def server_error(request: Request, exc: Exception) -> Response:
        # Starlette re-raises after this answer, so the server logs the traceback once
        return PlainTextResponse("Server Error. Site administrators have been notified.", status_code=500)

    app.add_exception_handler(Exception, server_error)
    rapidpro.mount(app, settings.brand, app.state.throttle)
    textus.mount(app, settings.brand)
    channel_callbacks.mount(app)
    media_files.mount(app)
    _openapi(app, settings)
    return app


def _openapi(app: FastAPI, settings: Settings) -> None:
    """The document at /api/v2/openapi.json, written once from the endpoint declarations."""
    cached: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not cached:
            cached.update(rapidpro_openapi.document(f"{settings.brand} API", __version__, rapidpro.ENDPOINTS))
        return cached

    app.openapi = openapi  # type: ignore[method-assign]
