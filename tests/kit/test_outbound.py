"""The one outbound HTTP service against a real local server: SSRF attempts refused before anything is sent,
redirects re-checked, the call pinned to the checked address, bodies and time capped; both flavours."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sauti.kit import outbound


class _DualStack(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # 127.0.0.x and ::1 both reach it
        super().server_bind()


class Receiver:
    """Listens on every loopback address (IPv4 and IPv6), so a call that is not refused *would* reach it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size) if size else b""
                receiver.seen.append((self.command, self.path, dict(self.headers.items()), body))
                if self.path.startswith("/to/"):  # /to/<url>: a redirect there
                    self.send_response(int(self.headers.get("X-Status") or 302))
                    self.send_header("Location", self.path[len("/to/") :])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == "/slow":
                    receiver.release.wait(5)
                payload = b"x" * (outbound.MAX_BODY + 10) if self.path == "/big" else json.dumps({"ok": True}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _answer

        self.server = _DualStack(("::", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        return [p for _, p, _, _ in self.seen]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


STRICT = outbound.Policy()
LOCAL = outbound.Policy(allow=("127.0.0.1/32",))  # only 127.0.0.1: 127.0.0.2 and ::1 stay refused

SSRF = [
    ("http://127.0.0.1:{port}/x", "127.0.0.1 is a loopback address"),
    ("http://[::1]:{port}/x", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]:{port}/x", "127.0.0.1 is a loopback address"),
    ("http://localhost:{port}/x", "127.0.0.1 is a loopback address"),
    ("http://10.1.2.3:{port}/x", "10.1.2.3 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://[fe80::1]:{port}/x", "fe80::1 is a link-local address"),
    ("http://0.0.0.0:{port}/x", "0.0.0.0 is a unspecified address"),
    ("http://224.0.0.1:{port}/x", "224.0.0.1 is a multicast address"),
    ("http://100.64.0.1:{port}/x", "100.64.0.1 is not a public address"),
]


@pytest.mark.parametrize(("url", "reason"), SSRF)
def test_refused_addresses_are_never_reached(receiver: Receiver, url: str, reason: str) -> None:
    made = outbound.call_sync(outbound.Request("GET", url.format(port=receiver.port)), budget=2, policy=STRICT)
    assert (made.status_code, made.refused, made.error) == (None, True, f"refused: {reason}")
    assert receiver.seen == []


@pytest.mark.parametrize(("url", "reason"), SSRF[:5])
async def test_the_async_flavour_refuses_them_too(receiver: Receiver, url: str, reason: str) -> None:
    made = await outbound.call(outbound.Request("GET", url.format(port=receiver.port)), budget=2, policy=STRICT)
    assert (made.status_code, made.refused, made.error) == (None, True, f"refused: {reason}")
    assert receiver.seen == []


def test_a_refusal_is_logged_with_its_reason(receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="sauti.outbound"):
        outbound.call_sync(outbound.Request("GET", f"http://[::1]:{receiver.port}/x"), budget=2, policy=STRICT)
    assert f"call to http://[::1]:{receiver.port}/x refused: ::1 is a loopback address" in caplog.text


def test_allowed_networks_and_allow_private_open_the_door(receiver: Receiver) -> None:
    """The control case: the same server is reachable once the operator (here the test) allows it."""
    made = outbound.call_sync(outbound.Request("GET", f"http://[::1]:{receiver.port}/a"), budget=2, policy=LOCAL)
    assert made.refused is True
    made = outbound.call_sync(
        outbound.Request("GET", f"http://[::1]:{receiver.port}/a"), budget=2, policy=outbound.Policy(allow_private=True)
    )
    assert (made.status_code, made.body) == (200, b'{"ok": true}')
    made = outbound.call_sync(outbound.Request("GET", f"http://127.0.0.1:{receiver.port}/b"), budget=2, policy=LOCAL)
    assert made.status_code == 200
    assert receiver.paths() == ["/a", "/b"]


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_a_redirect_to_a_refused_address_is_not_followed(receiver: Receiver, flavour: str) -> None:
    hop = f"http://127.0.0.2:{receiver.port}/secret"
    request = outbound.Request("GET", f"http://127.0.0.1:{receiver.port}/to/{hop}")
    if flavour == "sync":
        made = outbound.call_sync(request, budget=2, policy=LOCAL)
    else:
        made = await outbound.call(request, budget=2, policy=LOCAL)
    assert (made.status_code, made.refused, made.url, made.redirects) == (None, True, hop, 1)
    assert made.error == "refused: 127.0.0.2 is a loopback address"
    assert receiver.paths() == [f"/to/{hop}"]  # /secret never asked


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_redirects_are_followed_by_the_decision(receiver: Receiver, flavour: str) -> None:
    base = f"http://127.0.0.1:{receiver.port}"

    async def go(method: str, status: int) -> outbound.Response:
        request = outbound.Request(
            method,
            f"{base}/to/{base}/end",
            (("X-Status", str(status)), ("Authorization", "Token t"), ("Content-Type", "text/plain")),
            b"hello",
        )
        if flavour == "sync":
            return outbound.call_sync(request, budget=2, policy=LOCAL)
        return await outbound.call(request, budget=2, policy=LOCAL)

    made = await go("POST", 302)
    assert (made.status_code, made.url, made.redirects) == (200, f"{base}/end", 1)
    method, path, headers, body = receiver.seen[-1]
    assert (method, path, body, headers.get("Authorization")) == ("GET", "/end", b"", "Token t")  # same origin
    await go("PUT", 307)
    method, path, headers, body = receiver.seen[-1]
    assert (method, path, body) == ("PUT", "/end", b"hello")


def test_too_many_redirects_end_with_the_last_answer(receiver: Receiver) -> None:
    base = f"http://127.0.0.1:{receiver.port}"
    url = f"{base}/end"
    for _ in range(7):
        url = f"{base}/to/{url}"
    made = outbound.call_sync(outbound.Request("GET", url), budget=2, policy=LOCAL)
    assert (made.status_code, made.redirects) == (302, 5)
    assert len(receiver.seen) == 6


def test_authorization_is_dropped_when_a_redirect_leaves_the_origin(receiver: Receiver) -> None:
    other = f"http://localhost:{receiver.port}/end"  # another host name: another origin
    made = outbound.call_sync(
        outbound.Request("GET", f"http://127.0.0.1:{receiver.port}/to/{other}", (("Authorization", "Token t"),)),
        budget=2,
        policy=outbound.Policy(allow=("127.0.0.1/32", "::1/128")),
    )
    assert made.status_code == 200
    _, _, headers, _ = receiver.seen[-1]
    assert "Authorization" not in headers and headers["Host"] == f"localhost:{receiver.port}"


def test_the_call_is_pinned_to_the_checked_address_and_keeps_its_host(receiver: Receiver) -> None:
    made = outbound.call_sync(
        outbound.Request("GET", f"http://localhost:{receiver.port}/h"),
        budget=2,
        policy=outbound.Policy(allow=("127.0.0.0/8", "::1/128")),
    )
    assert made.status_code == 200
    _, _, headers, _ = receiver.seen[-1]
    assert headers["Host"] == f"localhost:{receiver.port}"


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_bodies_and_time_are_capped(receiver: Receiver, flavour: str) -> None:
    base = f"http://127.0.0.1:{receiver.port}"
    if flavour == "sync":
        big = outbound.call_sync(outbound.Request("GET", f"{base}/big"), budget=2, policy=LOCAL)
        slow = outbound.call_sync(outbound.Request("GET", f"{base}/slow"), budget=0.3, policy=LOCAL)
    else:
        big = await outbound.call(outbound.Request("GET", f"{base}/big"), budget=2, policy=LOCAL)
        slow = await outbound.call(outbound.Request("GET", f"{base}/slow"), budget=0.3, policy=LOCAL)
    assert (big.status_code, big.too_large, len(big.body)) == (200, True, outbound.MAX_BODY)
    assert (slow.status_code, slow.refused, slow.error) == (None, False, "no answer within 0.3 seconds")


def test_a_host_that_does_not_resolve_is_a_connection_error() -> None:
    made = outbound.call_sync(outbound.Request("GET", "http://nowhere.invalid/x"), budget=2, policy=STRICT)
    assert (made.status_code, made.refused, made.error) == (None, False, "nowhere.invalid does not resolve")


def test_only_http_urls_are_called() -> None:
    made = outbound.call_sync(outbound.Request("GET", "file:///etc/passwd"), budget=2, policy=STRICT)
    assert (made.status_code, made.refused) == (None, True)
