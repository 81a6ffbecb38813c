"""The route table answers as a list of routes tried in order would, with fixed paths found by lookup."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from sauti.api import routes


def answer(text: str) -> routes.Endpoint:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(f"{text} {dict(request.path_params)}")

    return endpoint


def build() -> FastAPI:
    app = FastAPI()
    table = routes.table(app)
    routes.add(table, "/things/{id}", answer("pattern"), ["GET"])
    routes.add(table, "/things/mine", answer("fixed"), ["GET", "POST"])
    routes.add(table, "/others/mine", answer("other fixed"), ["GET"])
    routes.add(table, "/others/{id}", answer("other pattern"), ["GET"])
    routes.add(table, "/posts", answer("posts"), ["POST"])
    return app


async def get(app: FastAPI, method: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.request(method, path)


async def test_an_earlier_pattern_still_wins_over_a_fixed_path() -> None:
    app = build()
    assert (await get(app, "GET", "/things/mine")).text == "pattern {'id': 'mine'}"
    # the pattern does not take POST, so the later fixed route does
    assert (await get(app, "POST", "/things/mine")).text == "fixed {}"


async def test_a_fixed_path_added_first_wins_and_patterns_take_the_rest() -> None:
    app = build()
    assert (await get(app, "GET", "/others/mine")).text == "other fixed {}"
    assert (await get(app, "GET", "/others/7")).text == "other pattern {'id': '7'}"
    assert (await get(app, "GET", "/things/9")).text == "pattern {'id': '9'}"


async def test_a_method_no_route_takes_is_refused_and_an_unknown_path_is_not_found() -> None:
    app = build()
    refused = await get(app, "GET", "/posts")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"
    assert (await get(app, "GET", "/nowhere")).status_code == 404


async def test_routes_added_after_the_first_request_are_found() -> None:
    app = build()
    assert (await get(app, "GET", "/late")).status_code == 404
    routes.add(next(r for r in app.router.routes if isinstance(r, routes.Table)), "/late", answer("late"), ["GET"])
    assert (await get(app, "GET", "/late")).text == "late {}"
