"""What the engine asks of its caller: a clock, UUIDs, randomness, a webhook service and a classifier service.

The engine does no I/O and reads no global clock. Every instant it records comes from :attr:`Services.now`,
every UUID it mints from :attr:`Services.new_uuid`, every random draw (``rand()``, the random router) from
:attr:`Services.random`, and every HTTP call goes through :attr:`Services.webhook`. The worker passes real ones;
tests pass the deterministic ones below (:class:`SteppingClock`, :class:`SequentialUUIDs`,
:class:`CyclingRandom`, :class:`MockWebhooks`) so case files hold literal expected values.

A webhook service receives a :class:`WebhookRequest` and returns a :class:`WebhookTrace`: what was sent and
what came back (or that nothing came back). It never raises for an HTTP or network failure: those are traces
with ``status_code`` ``None`` and an ``error`` text.

A classifier service (``call_classifier``) knows the workspace's NLU classifiers (:meth:`ClassifierService.find`)
and classifies a text with one of them (:meth:`ClassifierService.classify`), returning a
:class:`ClassifierCall`: the intents best first and the entities, or an ``error``. It holds the secrets (access
tokens) itself: nothing secret reaches the engine, its events or its state. It never raises for HTTP or network
failures either. Tests pass :class:`MockClassifiers`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import cycle
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

__all__ = [
    "MAX_REQUEST_BYTES",
    "MAX_RESPONSE_BYTES",
    "Classification",
    "ClassifierCall",
    "ClassifierInfo",
    "ClassifierService",
    "CyclingRandom",
    "MockClassifiers",
    "MockResponse",
    "MockResthooks",
    "MockWebhooks",
    "ResthookService",
    "SequentialUUIDs",
    "Services",
    "SteppingClock",
    "WebhookRequest",
    "WebhookService",
    "WebhookTrace",
]

MAX_REQUEST_BYTES: Final = 256 * 1024
"""The largest webhook request (method line, headers and body) the engine sends."""

MAX_RESPONSE_BYTES: Final = 256 * 1024
"""The largest response body a webhook service should read; a larger one is reported with
``response_too_large`` and counts as a connection error."""


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request to make: ``headers`` in the order the flow lists them."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""

    def raw(self) -> str:
        """The request as HTTP/1.1 text (``GET /path?q HTTP/1.1``, ``Host``, headers, blank line, body)."""
        parts = urlsplit(self.url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        lines = [f"{self.method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        return "\r\n".join(lines) + "\r\n\r\n" + self.body

    @property
    def size(self) -> int:
        """Bytes of :meth:`raw` in UTF-8."""
        return len(self.raw().encode("utf-8"))


@dataclass(frozen=True)
class WebhookTrace:
    """The outcome of one call. ``status_code`` is ``None`` when no response arrived (``error`` says why);
    ``body`` is the response body as text; ``response_too_large`` marks a body cut at
    :data:`MAX_RESPONSE_BYTES` (the engine then treats the call as a connection error, with a warning)."""

    request: WebhookRequest
    status_code: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    elapsed_ms: int = 0
    retries: int = 0
    error: str | None = None
    response_too_large: bool = False

    def raw_response(self) -> str:
        """The response as HTTP/1.1 text, ``""`` when there was none."""
        if self.status_code is None:
            return ""
        lines = [f"HTTP/1.1 {self.status_code} {_REASONS.get(self.status_code, '')}".rstrip()]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        return "\r\n".join(lines) + "\r\n\r\n" + self.body


_REASONS: Final = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class WebhookService(Protocol):
    """Makes webhook calls for a workspace."""

    def is_blocked(self, url: str) -> bool:
        """Whether calls to this URL's host are refused (private addresses, a deny list ...)."""
        ...

    def call(self, request: WebhookRequest) -> WebhookTrace:
        """Make the call; never raise for HTTP or network failures (return a trace without a status)."""
        ...


class ResthookService(Protocol):
    """Knows a workspace's resthooks and their subscribers, and delivers a payload to one subscriber."""

    def subscribers(self, resthook: str) -> Sequence[str] | None:
        """The URLs subscribed to the resthook of this slug (in the order they are called), ``None`` when the
        workspace has no such resthook."""
        ...

    def deliver(self, resthook: str, url: str, body: str) -> WebhookTrace:
        """POST ``body`` (the payload's JSON) to one subscriber; never raise for HTTP or network failures. The
        trace's request is what was sent (the service may add headers: a signature, an idempotency key)."""
        ...


@dataclass(frozen=True)
class ClassifierInfo:
    """A classifier of the workspace as the engine may know it: ``supported`` says whether calls to its type can
    be made (Sauti calls Wit.ai only)."""

    uuid: str
    name: str
    type: str
    supported: bool


@dataclass(frozen=True)
class Classification:
    """What a classifier found: ``intents`` as (name, confidence) best first; ``entities`` name to (value,
    confidence) pairs, best first."""

    intents: tuple[tuple[str, Decimal], ...] = ()
    entities: Mapping[str, tuple[tuple[str, Decimal], ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The shape results keep as ``extra`` (and the intent router tests read). DECISION: confidences are decimal
        texts (``"0.95"``): a result is stored as plain JSON, where a ``Decimal`` can't go and a float would
        lose exactness; Excellent reads and compares them as numbers all the same."""
        return {
            "intents": [{"name": name, "confidence": str(confidence)} for name, confidence in self.intents],
            "entities": {
                name: [{"value": value, "confidence": str(confidence)} for value, confidence in found]
                for name, found in self.entities.items()
            },
        }


@dataclass(frozen=True)
class ClassifierCall:
    """The outcome of one classification: ``classification`` when it worked, else ``error`` says why. ``url``
    is the address called without secrets, ``status_code`` 0 when no response came."""

    url: str
    status_code: int = 0
    elapsed_ms: int = 0
    classification: Classification | None = None
    error: str | None = None


class ClassifierService(Protocol):
    """Calls the NLU classifiers of a workspace."""

    def find(self, uuid: str) -> ClassifierInfo | None:
        """The classifier with this UUID, or ``None`` when the workspace has none (removed, never added)."""
        ...

    def classify(self, uuid: str, text: str) -> ClassifierCall:
        """Classify ``text`` with a supported classifier; never raise for HTTP or network failures."""
        ...


@dataclass(frozen=True)
class Services:
    """The injected services of one start or resume. ``webhook`` ``None`` means calls fail with an error event;
    so does ``resthooks`` ``None`` for ``call_resthook``; ``classifier`` ``None`` means the workspace has no
    classifiers."""

    now: Callable[[], dt.datetime]
    new_uuid: Callable[[], str]
    random: Callable[[], Decimal]
    webhook: WebhookService | None = None
    resthooks: ResthookService | None = None
    classifier: ClassifierService | None = None


# ------------------------------------------------------------------------------------------ deterministic ones


class SteppingClock:
    """A clock that starts at ``start`` and moves ``step`` forward on every read (the first read is ``start``)."""

    def __init__(self, start: dt.datetime, step: dt.timedelta = dt.timedelta(seconds=1)) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs an aware start time")
        self._next = start
        self._step = step

    def __call__(self) -> dt.datetime:
        now = self._next
        self._next = now + self._step
        return now

    def advance_to(self, when: dt.datetime) -> None:
        """Jump forward so the next read is ``when`` (never backwards): time passing between two sprints."""
        if when > self._next:
            self._next = when


class SequentialUUIDs:
    """UUIDs counting up from 1: ``00000001-0000-4000-8000-000000000001`` (``prefix`` replaces the first group's
    leading zeros, so two generators in one test don't collide)."""

    def __init__(self, prefix: str = "") -> None:
        if len(prefix) > 4 or any(c not in "0123456789abcdef" for c in prefix):
            raise ValueError("prefix must be at most 4 hex digits")
        self._prefix = prefix
        self._count = 0

    def __call__(self) -> str:
        self._count += 1
        n = self._count
        first = (self._prefix + f"{n:08x}"[len(self._prefix) :])[:8]
        return f"{first}-0000-4000-8000-{n:012x}"


class CyclingRandom:
    """Random numbers taken from ``values`` in turn, forever (default: always 0.5)."""

    def __init__(self, values: Sequence[Decimal] = (Decimal("0.5"),)) -> None:
        if not values or any(not Decimal(0) <= v < 1 for v in values):
            raise ValueError("values must be decimals in [0, 1)")
        self._values: Iterator[Decimal] = cycle(values)

    def __call__(self) -> Decimal:
        return next(self._values)


@dataclass(frozen=True)
class MockResponse:
    """A canned response: ``status`` 0 means the connection failed."""

    status: int
    body: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    elapsed_ms: int = 0


class MockWebhooks:
    """A webhook service answering from canned responses by URL, in order (a test's ``http_mocks``).

    A URL without (more) responses gets a connection error; ``blocked`` hosts are refused. ``calls`` records
    every request made.
    """

    def __init__(
        self, responses: Mapping[str, Sequence[MockResponse]], blocked: Sequence[str] = ("localhost",)
    ) -> None:
        self._responses = {url: list(items) for url, items in responses.items()}
        self._blocked = frozenset(h.lower() for h in blocked)
        self.calls: list[WebhookRequest] = []

    @classmethod
    def from_json(cls, data: Mapping[str, Sequence[Mapping[str, object]]]) -> MockWebhooks:
        """From ``{"url": [{"status": 200, "body": "...", "headers": {...}}, ...]}``."""
        responses: dict[str, list[MockResponse]] = {}
        for url, items in data.items():
            responses[url] = []
            for item in items:
                status, body, headers = item.get("status", 200), item.get("body", ""), item.get("headers") or {}
                if isinstance(status, Decimal) and status == status.to_integral_value():
                    status = int(status)
                if not isinstance(status, int) or not isinstance(body, str) or not isinstance(headers, Mapping):
                    raise ValueError(f"bad mock for {url}: status must be an integer, body a string")
                responses[url].append(MockResponse(status, body, {str(k): str(v) for k, v in headers.items()}))
        return cls(responses)

    def is_blocked(self, url: str) -> bool:
        return (urlsplit(url).hostname or "").lower() in self._blocked

    def call(self, request: WebhookRequest) -> WebhookTrace:
        self.calls.append(request)
        queue = self._responses.get(request.url)
        if not queue:
            return WebhookTrace(request, None, error="unable to connect to server")
        mock = queue.pop(0)
        if mock.status == 0:
            return WebhookTrace(request, None, elapsed_ms=mock.elapsed_ms, error="unable to connect to server")
        headers = dict(mock.headers) or {"Content-Type": "application/json"}
        too_large = len(mock.body.encode("utf-8")) > MAX_RESPONSE_BYTES
        return WebhookTrace(request, mock.status, headers, mock.body, mock.elapsed_ms, response_too_large=too_large)


class MockResthooks:
    """A resthook service over canned subscribers (``{"slug": ["url", ...]}``, a test's ``resthooks``); each
    delivery is a POST answered by ``webhooks`` (the same canned responses as ``http_mocks``)."""

    def __init__(self, subscribers: Mapping[str, Sequence[str]], webhooks: MockWebhooks) -> None:
        self._subscribers = {slug: list(urls) for slug, urls in subscribers.items()}
        self._webhooks = webhooks

    def subscribers(self, resthook: str) -> Sequence[str] | None:
        return self._subscribers.get(resthook)

    def deliver(self, resthook: str, url: str, body: str) -> WebhookTrace:
        return self._webhooks.call(WebhookRequest("POST", url, (("Content-Type", "application/json"),), body))


class MockClassifiers:
    """A classifier service answering from canned classifications (a test's ``classifier_mocks``).

    From ``{"<uuid>": {"name": "...", "type": "wit", "responses": [{"intents": [["book", "0.9"]], "entities":
    {"date": [["tomorrow", "0.8"]]}} or {"error": "...", "status_code": 500}, ...]}}``; a classifier without
    (more) responses gets a connection error. ``calls`` records every (uuid, text) classified.
    """

    def __init__(self, classifiers: Mapping[str, ClassifierInfo], responses: Mapping[str, Sequence[ClassifierCall]]):
        self._classifiers = dict(classifiers)
        self._responses = {uuid: list(items) for uuid, items in responses.items()}
        self.calls: list[tuple[str, str]] = []

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, Any]]) -> MockClassifiers:
        classifiers: dict[str, ClassifierInfo] = {}
        responses: dict[str, list[ClassifierCall]] = {}
        for uuid, item in data.items():
            kind = str(item.get("type", "wit"))
            classifiers[uuid] = ClassifierInfo(uuid, str(item.get("name", "")), kind, kind == "wit")
            url = f"https://classifier.example/{uuid}"
            responses[uuid] = []
            for answer in item.get("responses", ()):
                if "error" in answer:
                    code = int(answer.get("status_code", 0))
                    responses[uuid].append(ClassifierCall(url, code, error=str(answer["error"])))
                    continue
                intents = tuple((str(n), Decimal(str(c))) for n, c in answer.get("intents", ()))
                entities = {
                    str(name): tuple((str(v), Decimal(str(c))) for v, c in found)
                    for name, found in (answer.get("entities") or {}).items()
                }
                responses[uuid].append(ClassifierCall(url, 200, classification=Classification(intents, entities)))
        return cls(classifiers, responses)

    def find(self, uuid: str) -> ClassifierInfo | None:
        return self._classifiers.get(uuid)

    def classify(self, uuid: str, text: str) -> ClassifierCall:
        self.calls.append((uuid, text))
        queue = self._responses.get(uuid)
        if not queue:
            return ClassifierCall(f"https://classifier.example/{uuid}", error="unable to connect to server")
        return queue.pop(0)
