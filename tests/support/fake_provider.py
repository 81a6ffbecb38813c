"""A real HTTP server on a free loopback port standing in for a messaging provider.

It records every request it gets (method, path with query, headers, body) and answers each from a queue of
programmed responses, or with the default response when the queue is empty. It serves from a background
thread, so async tests can await their own HTTP client while it answers; :func:`fake_provider` stops it and
joins the thread on exit.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # with the query string, as requested
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.path).query, keep_blank_values=True)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def form(self) -> list[tuple[str, str]]:
        """The url-encoded body as (name, value) pairs, repeated names kept in order."""
        return parse_qsl(self.text, keep_blank_values=True)

    def form_dict(self) -> dict[str, str]:
        return dict(self.form())

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Response:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a slow or hanging receiver)


class _Server(ThreadingHTTPServer):
    # a sender opens many connections at once (a wave of calls): the standard backlog of 5 would drop some
    request_queue_size = 256


class FakeProvider:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.default = Response(200, b"{}", {"Content-Type": "application/json"})
        self._queue: deque[Response] = deque()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, name="fake-provider", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def respond(
        self,
        status: int = 200,
        body: str | bytes = b"",
        content_type: str = "text/plain",
        delay: float = 0.0,
        **headers: str,
    ) -> None:
        """Queue the answer to the next request not yet answered (after ``delay`` seconds)."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        self._queue_response(Response(status, raw, {"Content-Type": content_type, **headers}, delay))

    def respond_json(self, status: int, payload: Any) -> None:
        self.respond(status, json.dumps(payload), "application/json")

    def _queue_response(self, response: Response) -> None:
        with self._lock:
            self._queue.append(response)

    def _next(self, recorded: Recorded) -> Response:
        with self._lock:
            self.requests.append(recorded)
            return self._queue.popleft() if self._queue else self.default

    @property
    def pending(self) -> int:
        """Programmed responses nobody asked for (a test that queued too many expected more requests)."""
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._queue.clear()

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.02)  # a short poll makes stop() quick

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_for(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so no idle keep-alive thread outlives a test
        protocol_version = "HTTP/1.0"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorded = Recorded(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            response = provider._next(recorded)
            if response.delay:
                time.sleep(response.delay)
            try:
                self._answer(response)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout under test)

        def _answer(self, response: Response) -> None:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    provider = FakeProvider()
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


def assert_request(got: Recorded, want: Mapping[str, Any]) -> None:
    """Check a recorded request against the keys ``want`` names: ``method``, ``route`` (path without query),
    ``query``, ``content_type``, ``form`` (pairs, in order), ``form_has`` (a subset, by name), ``json``,
    ``body`` (exact text), ``headers`` (a subset, names lower-cased) and ``no_headers`` (names absent)."""
    checks: dict[str, Any] = {
        "method": lambda: got.method,
        "route": lambda: got.route,
        "query": lambda: got.query,
        "content_type": lambda: got.content_type,
        "form": lambda: got.form(),
        "form_has": lambda: {k: got.form_dict().get(k) for k in want["form_has"]},
        "json": lambda: got.json(),
        "body": lambda: got.text,
        "headers": lambda: {k: got.headers.get(k) for k in want["headers"]},
        "no_headers": lambda: [k for k in want["no_headers"] if k in got.headers],
    }
    unknown = set(want) - set(checks)
    assert not unknown, f"unknown expectation keys: {unknown}"
    for key, expected in want.items():
        actual = checks[key]()
        if key == "no_headers":
            assert actual == [], f"unexpected headers {actual} in {got}"
        else:
            assert actual == expected, f"{key}: {actual!r} != {expected!r}\nrequest: {got}"
