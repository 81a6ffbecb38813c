"""The one way Sauti calls a URL a user configured: flow webhooks, resthook deliveries, TextUs web hooks.

Why here (``kit``): the rules are about addresses and HTTP, not about any noun of the domain, and every caller
(the flow webhook service in ``domain/flows``, resthook deliveries in ``domain/resthooks``, the worker's web hook
rounds) sits above ``kit``. The callers keep their own logs and words; this module only says what happened.

Rules, the same for both flavours (:func:`call_sync` for a flow sprint running in a thread, :func:`call` for the
worker's event loop):

- **Addresses.** The host is resolved once; the call is refused (nothing is sent) when *any* address it resolves
  to is private, loopback, link-local, multicast, reserved, unspecified or otherwise not global (IPv4 and IPv6;
  an IPv4-mapped IPv6 address is judged as its IPv4 address), unless the policy allows private addresses
  (``SAUTI_WEBHOOK_ALLOW_PRIVATE``) or the address is in one of its allowed networks
  (``SAUTI_WEBHOOK_ALLOW_NETWORKS``; tests allow ``127.0.0.0/8`` that way). A host that doesn't resolve is a
  connection error.
- **No second lookup.** The request goes to the address that was checked: the URL carries the IP, the ``Host``
  header the original host, and for HTTPS the TLS server name (SNI and certificate check) is the original host.
  DNS rebinding between the check and the connection therefore can't move the call.
- **Redirects.** DECISION: followed for ``301 302 303 307 308`` with a ``Location``, at most
  :attr:`Policy.max_redirects` (5) hops, each new target resolved and checked again like the first. ``307`` and
  ``308`` keep the method and body; ``301``, ``302`` and ``303`` turn anything but ``GET``/``HEAD`` into a ``GET``
  without a body (what browsers and httpx do). ``Authorization`` and ``Cookie`` headers are dropped when the
  redirect leaves the origin. A refused hop ends the call as refused; too many hops end it with the last 3xx as
  the response.
- **Caps.** At most :attr:`Policy.max_body` bytes of a response body are read (a larger body is cut and marked
  ``too_large``); the whole call, redirects included, has one time budget (``budget`` seconds): the async
  flavour is cancelled at the deadline, the sync one gives each read only the time left.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from sauti.kit.http import NoCookies

log = logging.getLogger("sauti.outbound")

__all__ = [
    "MAX_BODY",
    "REDIRECTS",
    "Policy",
    "Request",
    "Response",
    "call",
    "call_sync",
    "check_host",
    "refusal",
    "with_headers",
]

MAX_BODY: Final = 256 * 1024
REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_ORIGIN_BOUND: Final = frozenset({"authorization", "cookie"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Policy:
    """Which addresses a call may reach, and its caps."""

    allow_private: bool = False
    allow: tuple[str, ...] = ()  # networks allowed even though they are not global, e.g. "127.0.0.0/8"
    max_redirects: int = 5
    max_body: int = MAX_BODY

    def networks(self) -> tuple[Network, ...]:
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.allow)


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    """What happened. ``status_code`` ``None``: no response (``error`` says why; ``refused`` too when the policy
    stopped the call before anything was sent). ``url`` is the last URL called (after redirects)."""

    status_code: int | None
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed_ms: int = 0
    error: str | None = None
    refused: bool = False
    too_large: bool = False
    redirects: int = 0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def refusal(address: str, policy: Policy) -> str | None:
    """Why ``address`` may not be called under ``policy``, or ``None`` when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if policy.allow_private or any(ip in net for net in policy.networks()):
        return None
    for kind, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if flag:
            return f"{ip} is a {kind} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


@dataclass(frozen=True)
class _Target:
    """A checked hop: the URL to connect to (its host the checked IP) and how to present the original host."""

    url: str
    host_header: str
    sni: str | None


def _split(url: str) -> tuple[str, str, int] | str:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "invalid URL"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL with a host"
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def check_host(addresses: Sequence[str], policy: Policy) -> str | None:
    """Why these resolved addresses of one host may not be called (the first refused one), or ``None``."""
    for address in addresses:
        reason = refusal(address, policy)
        if reason is not None:
            return reason
    return None


def _target(url: str, addresses: Sequence[str]) -> _Target:
    parts = urlsplit(url)
    ip = ipaddress.ip_address(addresses[0].split("%", 1)[0])
    literal = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if parts.port is None else f"{shown}:{parts.port}"
    return _Target(pinned, host_header, host if parts.scheme.lower() == "https" else None)


def _getaddrinfo(host: str, port: int) -> list[str]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


async def _agetaddrinfo(host: str, port: int) -> list[str]:
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def _next(request: Request, status: int, location: str | None) -> Request | None:
    """The request a redirect asks for, or ``None`` when this answer is not one to follow."""
    if status not in REDIRECTS or not location:
        return None
    url = urljoin(request.url, location)
    method, body = request.method, request.body
    if status in (301, 302, 303) and method not in ("GET", "HEAD"):
        method, body = "GET", b""
    same_origin = urlsplit(url)[:2] == urlsplit(request.url)[:2]
    headers = tuple(
        (k, v)
        for k, v in request.headers
        if (same_origin or k.lower() not in _ORIGIN_BOUND)
        and (body or k.lower() not in ("content-type", "content-length"))
    )
    return Request(method, url, headers, body)


def _headers(request: Request, target: _Target) -> list[tuple[str, str]]:
    return [("Host", target.host_header), *((k, v) for k, v in request.headers if k.lower() != "host")]


def _extensions(target: _Target) -> dict[str, str]:
    return {"sni_hostname": target.sni} if target.sni else {}


def _error(exc: Exception, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return f"no answer within {timeout:g} seconds"
    return f"connection failed: {type(exc).__name__}"


def call_sync(request: Request, *, budget: float, policy: Policy) -> Response:
    """Make ``request`` (blocking: from a thread, never on the event loop), by the module's rules."""
    started = time.monotonic()
    deadline = started + budget

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    hops = 0
    with httpx.Client(follow_redirects=False, trust_env=False) as client:
        while True:
            split = _split(request.url)
            if isinstance(split, str):
                return Response(None, request.url, error=split, refused=True, elapsed_ms=elapsed(), redirects=hops)
            _, host, port = split
            try:
                addresses = _getaddrinfo(host, port)
            except (OSError, UnicodeError):
                return Response(None, request.url, error=f"{host} does not resolve", elapsed_ms=elapsed())
            reason = check_host(addresses, policy)
            if reason is not None:
                log.warning("call to %s refused: %s", request.url, reason)
                return Response(None, request.url, error=f"refused: {reason}", refused=True, redirects=hops)
            target = _target(request.url, addresses)
            left = deadline - time.monotonic()
            if left <= 0:
                return Response(None, request.url, error=_error(TimeoutError(), budget), elapsed_ms=elapsed())
            try:
                with client.stream(
                    request.method,
                    target.url,
                    headers=_headers(request, target),
                    content=request.body or None,
                    timeout=left,
                    extensions=_extensions(target),
                ) as answer:
                    follow = _next(request, answer.status_code, answer.headers.get("location"))
                    if follow is not None and hops < policy.max_redirects:
                        hops += 1
                        request = follow
                        continue
                    body = bytearray()
                    too_large = False
                    for chunk in answer.iter_bytes():
                        body += chunk
                        if len(body) > policy.max_body:
                            too_large = True
                            del body[policy.max_body :]
                            break
                        if time.monotonic() > deadline:
                            raise httpx.ReadTimeout("the call's time ran out")
                    return Response(
                        answer.status_code,
                        request.url,
                        dict(answer.headers.items()),
                        bytes(body),
                        elapsed(),
                        too_large=too_large,
                        redirects=hops,
                    )
            except httpx.HTTPError as exc:
                return Response(None, request.url, error=_error(exc, budget), elapsed_ms=elapsed(), redirects=hops)


@dataclass
class _Progress:
    """Where an async call had got to when its time ran out."""

    url: str
    hops: int = 0


async def call(request: Request, *, budget: float, policy: Policy, client: httpx.AsyncClient | None = None) -> Response:
    """Make ``request`` on the event loop, by the module's rules; the whole call is cancelled after ``budget``
    seconds.
    ``client`` (httpx's own transport: it must send the ``Host`` header given) is reused when passed."""
    started = time.monotonic()
    state = _Progress(request.url)
    own = client is None
    http = client or httpx.AsyncClient(follow_redirects=False, trust_env=False, cookies=NoCookies())
    try:
        return await asyncio.wait_for(_acall(http, request, budget, policy, started, state), budget)
    except TimeoutError:
        return Response(
            None,
            state.url,
            error=_error(TimeoutError(), budget),
            elapsed_ms=int((time.monotonic() - started) * 1000),
            redirects=state.hops,
        )
    finally:
        if own:
            await http.aclose()


async def _acall(
    http: httpx.AsyncClient,
    request: Request,
    budget: float,
    policy: Policy,
    started: float,
    state: _Progress,
) -> Response:
    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    hops = 0
    while True:
        state.url, state.hops = request.url, hops
        split = _split(request.url)
        if isinstance(split, str):
            return Response(None, request.url, error=split, refused=True, elapsed_ms=elapsed(), redirects=hops)
        _, host, port = split
        try:
            addresses = await _agetaddrinfo(host, port)
        except (OSError, UnicodeError):
            return Response(None, request.url, error=f"{host} does not resolve", elapsed_ms=elapsed())
        reason = check_host(addresses, policy)
        if reason is not None:
            log.warning("call to %s refused: %s", request.url, reason)
            return Response(None, request.url, error=f"refused: {reason}", refused=True, redirects=hops)
        target = _target(request.url, addresses)
        try:
            async with http.stream(
                request.method,
                target.url,
                headers=_headers(request, target),
                content=request.body or None,
                timeout=budget,
                extensions=_extensions(target),
            ) as answer:
                follow = _next(request, answer.status_code, answer.headers.get("location"))
                if follow is not None and hops < policy.max_redirects:
                    hops += 1
                    request = follow
                    continue
                body = bytearray()
                too_large = False
                async for chunk in answer.aiter_bytes():
                    body += chunk
                    if len(body) > policy.max_body:
                        too_large = True
                        del body[policy.max_body :]
                        break
                return Response(
                    answer.status_code,
                    request.url,
                    dict(answer.headers.items()),
                    bytes(body),
                    elapsed(),
                    too_large=too_large,
                    redirects=hops,
                )
        except httpx.HTTPError as exc:
            return Response(None, request.url, error=_error(exc, budget), elapsed_ms=elapsed(), redirects=hops)


def with_headers(request: Request, extra: Mapping[str, str]) -> Request:
    """``request`` with ``extra`` headers added (replacing ones of the same name)."""
    names = {k.lower() for k in extra}
    kept = tuple((k, v) for k, v in request.headers if k.lower() not in names)
    return replace(request, headers=kept + tuple(extra.items()))
