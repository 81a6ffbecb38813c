"""The outbound client (httpx's API over aiohttp's connections) against real local servers: what is sent, what
comes back, compressed bodies, redirects left to the caller, and failures as httpx's own exceptions."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from sauti.kit import http
from tests.support.fake_provider import FakeProvider


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    p = FakeProvider()
    p.start()
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    c = http.client(timeout=2.0)
    try:
        yield c
    finally:
        await c.aclose()


async def test_a_form_post_and_its_answer(provider: FakeProvider, client: httpx.AsyncClient) -> None:
    provider.respond(201, '{"id": "abc"}', "application/json", **{"X-Provider": "yes"})
    response = await client.post(
        provider.url("/send?channel=1"),
        data={"to": "+250788123123", "text": "Muraho é"},
        headers={"Authorization": "Bearer s3cret"},
    )
    assert response.status_code == 201 and response.json() == {"id": "abc"}
    assert response.headers["x-provider"] == "yes" and response.reason_phrase == "Created"
    [got] = provider.requests
    assert (got.method, got.path) == ("POST", "/send?channel=1")
    assert got.form_dict() == {"to": "+250788123123", "text": "Muraho é"}
    assert got.headers["authorization"] == "Bearer s3cret"
    assert got.headers["content-type"] == "application/x-www-form-urlencoded"
    assert got.headers["content-length"] == str(len(got.body))  # written once, by the transport
    assert got.headers["host"] == provider.base_url.split("//")[1]


async def test_json_get_and_a_gzipped_answer(provider: FakeProvider, client: httpx.AsyncClient) -> None:
    provider.respond(200, gzip.compress(b'{"ok": true}'), "application/json", **{"Content-Encoding": "gzip"})
    provider.respond(200, "")
    response = await client.post(provider.url("/j"), json={"a": [1, 2]})
    assert response.json() == {"ok": True}  # decoded by httpx from the raw bytes
    assert provider.requests[0].json() == {"a": [1, 2]}
    empty = await client.get(provider.url("/g"), params={"q": "x y"})
    assert empty.status_code == 200 and empty.content == b""
    assert provider.requests[1].path == "/g?q=x+y" and provider.requests[1].body == b""


async def test_redirects_are_the_callers(provider: FakeProvider, client: httpx.AsyncClient) -> None:
    provider.respond(302, "", Location=provider.url("/elsewhere"))
    response = await client.get(provider.url("/moved"))
    assert response.status_code == 302 and len(provider.requests) == 1


async def test_a_refused_connection_is_a_connect_error(client: httpx.AsyncClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    with pytest.raises(httpx.ConnectError):
        await client.get(f"http://127.0.0.1:{port}/")


async def test_a_silent_server_is_a_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    quick = http.client(timeout=0.3)
    try:
        with pytest.raises(httpx.TimeoutException):
            await quick.get(f"http://127.0.0.1:{port}/")
    finally:
        await quick.aclose()
        server.close()


async def test_a_cookie_set_by_one_answer_never_rides_on_the_next_call(
    provider: FakeProvider, client: httpx.AsyncClient
) -> None:
    """One client serves every workspace's channels: what a provider sets while answering one call is not sent on
    any other."""
    provider.respond(200, "{}", "application/json", **{"Set-Cookie": "session=abc123; Path=/"})
    provider.respond(200, "{}")
    first = await client.post(provider.url("/send"), data={"to": "+250788123123"})
    assert first.headers["set-cookie"].startswith("session=abc123")  # the answer is still read whole
    await client.post(provider.url("/send"), data={"to": "+250788123124"})
    assert [r.headers.get("cookie") for r in provider.requests] == [None, None]
    assert list(client.cookies.jar) == []


async def test_the_workers_clients_keep_no_cookies_either(provider: FakeProvider) -> None:
    """The worker's provider client and its web hook client (user-configured URLs of every workspace) alike."""
    from sauti.settings import Settings
    from sauti.worker import Worker

    worker = Worker(None, Settings())  # type: ignore[arg-type]  # no database: only its clients are used
    try:
        for http_client in (worker.http, worker.hooks_http):
            provider.respond(200, "{}", "application/json", **{"Set-Cookie": "who=workspace-1; Path=/"})
            await http_client.get(provider.url("/hook"))
        await worker.hooks_http.get(provider.url("/hook"))
    finally:
        await worker.http.aclose()
        await worker.hooks_http.aclose()
    assert [r.headers.get("cookie") for r in provider.requests] == [None, None, None]
