"""The interface every channel type implements, and the plain values it exchanges with the platform."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import httpx

from sauti.kit import http

MASK = "********"


@dataclass(frozen=True)
class ChannelInfo:
    """What a type sees of a configured channel."""

    uuid: str
    channel_type: str
    name: str
    address: str
    country: str | None
    schemes: tuple[str, ...]
    config: Mapping[str, Any]
    callback_base: str  # public base URL of this server, e.g. https://sauti.example.org

    def callback_url(self, slug: str, action: str) -> str:
        return f"{self.callback_base.rstrip('/')}/c/{slug}/{self.uuid}/{action}"


@dataclass(frozen=True)
class Outgoing:
    """One message to send. ``urn_path`` is the address on the provider (e.g. ``+250788123123``)."""

    uuid: str
    text: str
    urn_scheme: str
    urn_path: str
    attachments: tuple[str, ...] = ()  # "content/type:url"
    quick_replies: tuple[Mapping[str, Any], ...] = ()
    high_priority: bool = False


@dataclass(frozen=True)
class SendResult:
    """The provider accepted the message. ``then`` lists statuses to apply at once after ``status``
    (the test type reports sent then delivered straight away)."""

    external_id: str | None = None
    status: str = "wired"
    then: tuple[str, ...] = ()


class SendError(Exception):
    """A send that did not go through. ``retryable`` errors are tried again later; others fail the message.

    ``code`` is one of: channel_config, message_invalid, connection_failed, connection_throttled,
    response_status, response_content, response_unparseable, contact_stopped, rejected_with_reason.
    """

    RETRYABLE = frozenset({"connection_failed", "connection_throttled"})

    def __init__(self, code: str, message: str, ext_code: str | None = None, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ext_code = ext_code
        self.retryable = code in self.RETRYABLE if retryable is None else retryable

    @property
    def contact_stopped(self) -> bool:
        return self.code == "contact_stopped"


# --- what a provider's request to us turns into ---------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """A message from a contact. ``urn`` is ``scheme:path`` as the provider gave it (a local phone number is
    read with the channel's country by the platform)."""

    urn: str
    text: str
    external_id: str | None = None
    attachments: tuple[str, ...] = ()
    received_on: datetime | None = None
    contact_name: str | None = None


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery report: ``status`` is sent, delivered, read, failed or errored. Found by our message UUID
    when the provider echoes it, else by the provider's id."""

    status: str
    msg_uuid: str | None = None
    external_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ContactEvent:
    """A non-message event: ``stop_contact`` (opted out at the provider) or ``new_conversation``."""

    kind: str
    urn: str
    contact_name: str | None = None


Item = Incoming | StatusUpdate | ContactEvent


@dataclass(frozen=True)
class InboundRequest:
    """A provider's HTTP request to ``/c/<slug>/<channel uuid>/<action>``, framework-free."""

    method: str
    url: str  # the full URL as the provider called it
    headers: Mapping[str, str]  # lower-cased names
    query: Sequence[tuple[str, str]]
    form: Sequence[tuple[str, str]]  # url-encoded or multipart text fields
    body: bytes

    def param(self, name: str) -> str | None:
        """A form field, or else a query parameter (the last occurrence); ``None`` when absent."""
        for source in (self.form, self.query):
            found = [v for k, v in source if k == name]
            if found:
                return found[-1]
        return None

    def params(self) -> dict[str, str]:
        out = dict(self.query)
        out.update(dict(self.form))
        return out


@dataclass
class Reply:
    """What we answer the provider."""

    status: int = 200
    body: str | bytes = b""
    content_type: str = "application/json"


@dataclass
class Outcome:
    """What the platform did with the items of one request (for the reply)."""

    message_uuids: list[str] = field(default_factory=list)
    statuses: list[tuple[str, str | None]] = field(default_factory=list)  # (status, external id)
    events: list[str] = field(default_factory=list)


class HandlerError(Exception):
    """A request we refuse (bad or missing parameters, bad signature): answered with ``status``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --- talking to providers, with every exchange logged and secrets masked ------------------------------------


@dataclass
class HTTPLog:
    url: str
    method: str
    status_code: int | None
    request: str
    response: str
    elapsed_ms: int


class ProviderHTTP:
    """The httpx client a type sends with. Every exchange is recorded in ``logs`` with ``secrets`` masked;
    a network failure or timeout becomes ``SendError("connection_failed")``."""

    def __init__(self, client: httpx.AsyncClient, secrets: Sequence[str] = ()) -> None:
        self.client = client
        self.secrets = [s for s in secrets if s]
        self.logs: list[HTTPLog] = []

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        started = time.monotonic()
        light = _light(self.client, method, url, kwargs)
        if light is not None:  # Sauti's own client: the same call, without httpx's request objects
            own, prepared = light
            shown = prepared.url_text
            raw_request = _dump_request(prepared.method, prepared.url, prepared.items, prepared.body)
        else:
            request = self.client.build_request(method, url, **kwargs)
            shown = str(request.url)
            raw_request = _dump_request(request.method, request.url, request.headers.items(), request.content)
        try:
            response = await (self.client.send(request) if light is None else own.send_prepared(prepared))
        except httpx.HTTPError as exc:
            self.logs.append(
                HTTPLog(
                    url=self.mask(shown),
                    method=method,
                    status_code=None,
                    request=self.mask(raw_request),
                    response=f"{type(exc).__name__}: {exc}",
                    elapsed_ms=int((time.monotonic() - started) * 1000),
                )
            )
            raise SendError("connection_failed", f"unable to connect to provider: {type(exc).__name__}") from exc
        self.logs.append(
            HTTPLog(
                url=self.mask(shown),
                method=method,
                status_code=response.status_code,
                request=self.mask(raw_request),
                response=self.mask(_dump_response(response)),
                elapsed_ms=int((time.monotonic() - started) * 1000),
            )
        )
        return response


def _light(
    client: httpx.AsyncClient, method: str, url: str, kwargs: Mapping[str, Any]
) -> tuple[http.Client, http.Prepared] | None:
    """The call prepared on the shorter road of Sauti's own client (``kit/http.py``), when it is that client and
    the call sets only headers and a body of bytes."""
    if not isinstance(client, http.Client) or not kwargs.keys() <= {"headers", "content"}:
        return None
    headers, content = kwargs.get("headers"), kwargs.get("content")
    if not (headers is None or isinstance(headers, Mapping)) or not (content is None or isinstance(content, bytes)):
        return None
    prepared = client.prepare(method, url, headers, content)
    return None if prepared is None else (client, prepared)


def _dump_request(method: str, url: httpx.URL, headers: Iterable[tuple[str, str]], body: bytes) -> str:
    head = f"{method} {url.raw_path.decode()} HTTP/1.1\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head + "\r\n" + (body.decode("utf-8", "replace") if body else "")


def _dump_response(response: httpx.Response) -> str:
    head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in response.headers.items())
    return head + "\r\n" + response.text


def check_http(response: httpx.Response) -> None:
    """The generic rule: 5xx retries, 429 retries (throttled), any other non-2xx fails."""
    if response.status_code == 429:
        raise SendError("connection_throttled", "provider throttled the request (429)")
    if response.status_code >= 500:
        raise SendError("connection_failed", f"provider answered {response.status_code}")
    if not 200 <= response.status_code < 300:
        raise SendError("response_status", f"provider answered {response.status_code}")


def split_text(text: str, max_length: int) -> list[str]:
    """Split a long text into parts of at most ``max_length``, preferring to break at whitespace."""
    if len(text) <= max_length:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > max_length:
        cut = rest.rfind(" ", 0, max_length + 1)
        if cut <= 0:
            cut = max_length
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


class ChannelType(ABC):
    """One kind of channel. Subclasses set the class attributes and implement ``send`` and ``receive``."""

    code: ClassVar[str]  # stored in channels.channel_type, e.g. "EX"
    slug: ClassVar[str]  # the URL segment under /c/, e.g. "ex"
    api_type: ClassVar[str]  # what channels.json shows as "type", e.g. "external"
    title: ClassVar[str]
    schemes: ClassVar[tuple[str, ...]] = ("tel",)
    max_length: ClassVar[int] = 160
    required_config: ClassVar[tuple[str, ...]] = ()
    secret_config: ClassVar[tuple[str, ...]] = ()  # config values masked in channel logs
    default_tps: ClassVar[int] = 10
    # the actions a provider calls at /c/<slug>/<uuid>/<action> (what `sauti channel add` tells the operator)
    actions: ClassVar[tuple[str, ...]] = ("receive",)
    # received attachment URLs carry credentials (e.g. a bot token): the platform fetches them into its own
    # media storage and keeps only its own URL
    fetch_attachments: ClassVar[bool] = False

    def secrets(self, channel: ChannelInfo) -> list[str]:
        return [str(channel.config[k]) for k in self.secret_config if channel.config.get(k)]

    def check_config(self, config: Mapping[str, Any]) -> list[str]:
        """Problems with a channel's config, as messages (empty when it is usable)."""
        return [f"missing config: {k}" for k in self.required_config if not config.get(k)]

    @abstractmethod
    async def send(self, channel: ChannelInfo, msg: Outgoing, http: ProviderHTTP) -> SendResult:
        """Hand the message to the provider; raise :class:`SendError` when it does not go through."""

    @abstractmethod
    async def receive(
        self, channel: ChannelInfo, action: str, request: InboundRequest, http: ProviderHTTP
    ) -> Sequence[Item]:
        """Read a provider's request to ``action``; raise :class:`HandlerError` to refuse it."""

    def reply(self, items: Sequence[Item], outcome: Outcome) -> Reply:
        """The answer to a handled request: JSON naming what was accepted (types may override)."""
        import orjson

        if outcome.message_uuids:
            message = "Message Accepted"
            data: list[dict[str, Any]] = [{"type": "msg", "msg_uuid": u} for u in outcome.message_uuids]
        elif outcome.statuses:
            message = "Status Update Accepted"
            data = [{"type": "status", "status": s, "external_id": e} for s, e in outcome.statuses]
        elif outcome.events:
            message = "Event Accepted"
            data = [{"type": "event", "event_type": e} for e in outcome.events]
        else:
            message = "Ignored"
            data = [{"type": "info", "info": "nothing to do"}]
        return Reply(200, orjson.dumps({"message": message, "data": data}))

    def error_reply(self, error: HandlerError) -> Reply:
        import orjson

        return Reply(
            error.status, orjson.dumps({"message": "Error", "data": [{"type": "error", "error": error.message}]})
        )
