"""The HTTP client Sauti calls providers (and later webhooks) with: httpx's API over aiohttp's connections.

Measured on this project's 2-core machine against a local provider, httpx 0.28 sends 1,200 requests a second one
at a time but only 520 at 20 at once (its connection pool rescans every connection on each request), while
aiohttp's pool keeps over 6,000. :class:`AiohttpTransport` keeps the httpx request and response objects that
channel types and their tests use, and lets aiohttp carry the bytes: about 3,000 requests a second at 20 at once.

Timeouts, connection failures and protocol errors come back as httpx's own exceptions, so callers catch
``httpx.HTTPError`` as before.

:class:`Client` also offers the calls channel types make (headers and a body of bytes) a shorter road that
builds no httpx request and skips the client's send machinery, while sending the same bytes and answering with
the same response (``channels/base.py`` takes it): on the sending worker those httpx objects cost more than
aiohttp's own work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.cookiejar import Cookie, CookieJar
from typing import Any

import aiohttp
import httpx

# headers aiohttp writes itself from the request (forwarding httpx's would send them twice)
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport whose connections are aiohttp's. One session per transport, opened on first use inside
    the running event loop and closed with the client."""

    def __init__(self, limit: int = 100) -> None:
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit, enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False, trust_env=False)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in _OWN_HEADERS]
        body = await request.aread()
        timeout = _timeout(request.extensions.get("timeout"))
        return await self.exchange(request.method, str(request.url), headers, body, timeout, request)

    async def exchange(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        phases: aiohttp.ClientTimeout,
        request: httpx.Request | None = None,
    ) -> httpx.Response:
        """One call on aiohttp's connections: ``headers`` as they go on the wire (less those aiohttp writes
        itself), ``phases`` its timeouts, the answer read whole. Failures raise httpx's exceptions (with
        ``request`` when there is one)."""
        try:
            async with self._open().request(
                method,
                url,
                headers=headers,
                data=body or None,
                allow_redirects=False,  # httpx follows redirects itself when asked to
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                timeout=phases,
            ) as response:
                content = await response.read()
                return httpx.Response(
                    response.status,
                    headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers],
                    content=content,
                    request=request,
                )
        except TimeoutError as exc:
            raise httpx.ReadTimeout(f"timed out: {exc}", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}", request=request) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _timeout(value: Any) -> aiohttp.ClientTimeout:
    """httpx's per-request timeout (``{"connect", "read", "write", "pool"}`` seconds) for aiohttp."""
    if not isinstance(value, dict):
        return aiohttp.ClientTimeout()
    return aiohttp.ClientTimeout(connect=value.get("connect"), sock_read=value.get("read"))


class NoCookies(CookieJar):
    """A cookie jar that keeps nothing. One client serves every workspace's channels (and web hooks): a cookie a
    provider or a receiver set while answering one workspace's call must never ride along on another's. Keeping
    none also spares each response the parsing of its ``Set-Cookie`` headers."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: Cookie) -> None:
        return None


@dataclass(frozen=True)
class Prepared:
    """A call as httpx would have built it, without its :class:`httpx.Request`: the URL (and its text), the
    headers as the request would carry them (``items``: names lower-cased, repeats joined, what a channel log
    shows) and as they go on the wire (``wire``), and the body."""

    method: str
    url: httpx.URL
    url_text: str
    items: Sequence[tuple[str, str]]
    wire: Sequence[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class _Headers:
    """The headers httpx gives a call of one method to one host with these headers of the caller's, and where
    the body's length goes among them (``length_at``: ``None`` when there is no body)."""

    items: tuple[tuple[str, str], ...]
    wire: tuple[tuple[str, str], ...]
    length_at: int | None


# the caller's headers that make httpx's headers depend on more than the method, the host and whether there is
# a body (see Client.prepare)
_OWN_LOWER = frozenset({*_OWN_HEADERS, "cookie"})
_KEPT = 256  # distinct URLs, and distinct sets of headers, kept per client (a provider's calls share few)


class Client(httpx.AsyncClient):
    """The client for calls out (see :func:`client`), with a shorter road for the calls channel types make
    (:meth:`prepare`, :meth:`send_prepared`): the same request on the wire and the same response, without
    building httpx's request and without the client's send machinery (auth, redirects, cookies, event hooks:
    none of which this client uses). Measured on the sending worker, httpx's request and send were a third of
    each provider call's time."""

    def __init__(self, timeout: float) -> None:
        self._aiohttp = AiohttpTransport()
        super().__init__(timeout=timeout, transport=self._aiohttp, cookies=NoCookies())
        self._urls: dict[str, tuple[httpx.URL, str]] = {}
        self._made: dict[tuple[Any, ...], _Headers] = {}
        self._timeouts: tuple[httpx.Timeout, aiohttp.ClientTimeout] | None = None

    def prepare(
        self, method: str, url: str, headers: Mapping[str, str] | None = None, content: bytes | None = None
    ) -> Prepared | None:
        """The call as :meth:`build_request` would make it, or ``None`` when it takes more than this road knows
        (the client was given a base URL, auth, event hooks or redirects to follow; the caller sets headers
        httpx or aiohttp would set themselves). httpx works out the headers of the first call of each method,
        host, set of the caller's headers and with or without a body; later ones take them with the body's
        length."""
        if (
            self.follow_redirects
            or self.auth is not None
            or any(self.event_hooks.values())
            or self.base_url.raw_path != b"/"
            or self.base_url.host
        ):
            return None
        given = tuple(headers.items()) if headers else ()
        if any(k.lower() in _OWN_LOWER for k, _ in given):
            return None
        found = self._urls.get(url)
        if found is None:
            parsed = httpx.URL(url)
            if not parsed.is_absolute_url:
                return None
            found = (parsed, str(parsed))
            if len(self._urls) >= _KEPT:
                self._urls.clear()
            self._urls[url] = found
        parsed, text = found
        method = method.upper()
        body = content or b""
        key = (method, parsed.scheme, parsed.netloc, given, bool(body), tuple(self.headers.raw))
        made = self._made.get(key)
        if made is None:
            request = self.build_request(method, parsed, headers=headers, content=body)
            items = tuple(request.headers.items())
            at = [i for i, (k, _) in enumerate(items) if k == "content-length"] if body else []
            made = _Headers(
                items,
                tuple((k, v) for k, v in request.headers.multi_items() if k not in _OWN_HEADERS),
                at[0] if len(at) == 1 else None,
            )
            if body and made.length_at is None:
                return None
            if len(self._made) >= _KEPT:
                self._made.clear()
            self._made[key] = made
        items = made.items
        if made.length_at is not None:
            listed = list(items)
            listed[made.length_at] = ("content-length", str(len(body)))
            items = tuple(listed)
        return Prepared(method, parsed, text, items, made.wire, body)

    async def send_prepared(self, prepared: Prepared) -> httpx.Response:
        """Send a prepared call and read its answer whole; the response has no :class:`httpx.Request`.
        Failures raise httpx's exceptions, as :meth:`send` does."""
        if self._timeouts is None or self._timeouts[0] is not self.timeout:
            self._timeouts = (self.timeout, _timeout(self.timeout.as_dict()))
        return await self._aiohttp.exchange(
            prepared.method, prepared.url_text, prepared.wire, prepared.body, self._timeouts[1]
        )


def client(timeout: float) -> Client:
    """The client for calls out: httpx's API, aiohttp's connections, ``timeout`` seconds for each phase, no
    cookies kept between calls."""
    return Client(timeout)
