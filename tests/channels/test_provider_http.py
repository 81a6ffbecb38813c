"""ProviderHTTP on Sauti's own client (``kit/http.Client``) takes a shorter road than httpx's request and send:
what reaches the provider, what the channel type reads of the answer and what the channel log shows must be
what httpx's own road gives, call for call."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest

from sauti.channels.base import HTTPLog, ProviderHTTP, SendError
from sauti.kit import http
from tests.support.fake_provider import FakeProvider

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Token s3cret"}
CALLS: list[tuple[str, str, Mapping[str, str] | None, bytes | None]] = [
    ("POST", "/send?to=%2B250788123123", FORM, "text=Muraho é".encode()),
    ("POST", "/send?to=%2B250788123123", FORM, b"text=the+same+headers+and+a+body+of+another+length"),
    ("PUT", "/put", {"Content-Type": "application/json"}, b'{"a": 1}'),
    ("POST", "/empty", {}, b""),  # no body: httpx's own Content-Length: 0
    ("post", "/lower", None, b"x"),
    ("GET", "/get?q=x y&z=é", None, None),  # quoted by httpx
    ("POST", "/twice", {"X-A": "1", "x-a": "2"}, b"y"),  # a repeated name: both on the wire, joined in the log
]


def _httpx_road() -> httpx.AsyncClient:
    """httpx's own request and send over the same transport, as the worker's client was before the shorter road."""
    return httpx.AsyncClient(timeout=5, transport=http.AiohttpTransport(), cookies=http.NoCookies())


@pytest.fixture
async def roads() -> AsyncIterator[tuple[http.Client, httpx.AsyncClient]]:
    own, plain = http.client(timeout=5), _httpx_road()
    try:
        yield own, plain
    finally:
        await own.aclose()
        await plain.aclose()


def _shown(log: HTTPLog) -> tuple[Any, ...]:
    """A log without what differs between two calls of the same: the time taken, the server's Date header."""
    response = "".join(line for line in log.response.splitlines(keepends=True) if not line.startswith("date:"))
    return (log.url, log.method, log.status_code, log.request, response)


async def test_the_shorter_road_sends_reads_and_logs_what_httpx_does(
    provider: FakeProvider, roads: tuple[http.Client, httpx.AsyncClient]
) -> None:
    own, plain = roads
    for method, path, headers, content in CALLS:
        assert own.prepare(method, provider.url(path), headers, content) is not None  # the shorter road is taken
        answers = []
        logs = []
        for client in (own, plain):
            provider.respond(201, '{"id": "é1"}', "application/json; charset=utf-8", **{"X-Provider": "yes"})
            call = ProviderHTTP(client, ["s3cret"])
            kwargs: dict[str, Any] = {} if headers is None else {"headers": headers}
            if content is not None:
                kwargs["content"] = content
            response = await call.request(method, provider.url(path), **kwargs)
            answers.append((response.status_code, response.text, response.json(), response.headers["x-provider"]))
            (log,) = call.logs
            logs.append(_shown(log))
        first, second = provider.requests[-2:]
        assert (first.method, first.path, first.headers, first.body) == (
            second.method,
            second.path,
            second.headers,
            second.body,
        )
        assert answers[0] == answers[1] and answers[0][2] == {"id": "é1"}
        assert logs[0] == logs[1]
        assert "s3cret" not in logs[0][3]
        if content:  # each body's own length, also where the headers were worked out for another body
            assert f"content-length: {len(content)}\r\n" in logs[0][3]
    assert "x-a: 1, 2\r\n" in logs[0][3]


async def test_a_failed_call_is_logged_alike_on_both_roads(roads: tuple[http.Client, httpx.AsyncClient]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    logs = []
    for client in roads:
        call = ProviderHTTP(client)
        with pytest.raises(SendError) as caught:
            await call.request("POST", f"http://127.0.0.1:{port}/send", headers=FORM, content=b"text=hi")
        assert caught.value.code == "connection_failed" and caught.value.retryable
        (log,) = call.logs
        logs.append(_shown(log))
    assert logs[0] == logs[1] and logs[0][4].startswith("ConnectError: ")


async def test_what_the_shorter_road_does_not_know_goes_httpxs_way(provider: FakeProvider) -> None:
    """A form given as ``data``, headers httpx or aiohttp set themselves, or a client given a base URL: no
    shortcut, and the call still goes out whole."""
    own = http.client(timeout=5)
    try:
        assert own.prepare("POST", provider.url("/a"), {"Content-Length": "3"}, b"abc") is None
        assert own.prepare("POST", provider.url("/a"), {"Host": "elsewhere"}, b"abc") is None
        assert own.prepare("GET", "/relative") is None
        provider.respond(200, "ok")
        call = ProviderHTTP(own)
        response = await call.request("POST", provider.url("/form"), data={"text": "Muraho é"})
        assert response.text == "ok" and provider.requests[-1].form_dict() == {"text": "Muraho é"}
        assert call.logs[0].request.endswith("text=Muraho+%C3%A9")
        own.base_url = httpx.URL(provider.url("/base/"))
        assert own.prepare("GET", provider.url("/a")) is None
    finally:
        await own.aclose()
