"""The webhook service flows call (``call_webhook``), where a sprint that may call one runs, and the call log.

The engine calls :meth:`HttpWebhooks.call` synchronously inside a sprint, so the call blocks. A sprint whose
flows contain a ``call_webhook`` action therefore runs in a worker thread (:func:`sprint`, ``asyncio.to_thread``)
with a synchronous ``httpx.Client``; every other sprint keeps running inline on the loop. Only the engine call
goes to the thread: the engine is pure (it gets the contact, the assets and the session as plain data and
returns events), and the database work (persisting the session, applying the events) stays on the loop, after
the thread returned.

Every call goes through the one outbound service, :mod:`sauti.kit.outbound` (its synchronous flavour): a time
budget (``SAUTI_FLOW_WEBHOOK_TIMEOUT``, 10 s, redirects included), at most
:data:`~sauti.engine.services.MAX_RESPONSE_BYTES` of the body (a larger one is cut and marked too large),
redirects followed only to targets checked again (see that module's DECISION), and hosts resolving to private,
loopback, link-local, multicast or reserved addresses refused unless ``SAUTI_WEBHOOK_ALLOW_PRIVATE`` is set or
the address is in ``SAUTI_WEBHOOK_ALLOW_NETWORKS``. The connection goes to the address that was checked.

Every call a sprint made is kept in ``flow_webhook_calls`` (:func:`record`): the flow, contact and session,
the raw request and response (as the engine cut them), the status, status code and elapsed time.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import bulk
from sauti.db.base import table_of
from sauti.engine.assets import Assets
from sauti.engine.events import Event
from sauti.engine.services import MAX_RESPONSE_BYTES, WebhookRequest, WebhookTrace
from sauti.kit import outbound
from sauti.models import FlowWebhookCall, Workspace

__all__ = [
    "HttpWebhooks",
    "Made",
    "Policy",
    "configure",
    "current",
    "may_call",
    "record",
    "reset",
    "service",
    "sprint",
    "trace_of",
]

T = TypeVar("T")

USER_AGENT: Final = "Sauti-Flows/1"


@dataclass(frozen=True)
class Policy:
    timeout: float = 10.0
    allow_private: bool = False
    allow: tuple[str, ...] = ()  # networks allowed although not public (SAUTI_WEBHOOK_ALLOW_NETWORKS)

    @property
    def addresses(self) -> outbound.Policy:
        """The address rules and caps of :mod:`sauti.kit.outbound` this policy calls with."""
        return outbound.Policy(allow_private=self.allow_private, allow=self.allow, max_body=MAX_RESPONSE_BYTES)


_policy: Policy | None = None


def configure(*, timeout: float, allow_private: bool, allow: Sequence[str] = ()) -> None:
    """Set how flow webhooks are called (the app and the worker do, from their settings; tests too)."""
    global _policy
    _policy = Policy(timeout=timeout, allow_private=allow_private, allow=tuple(allow))


def reset() -> None:
    """Back to the settings' policy (``SAUTI_FLOW_WEBHOOK_TIMEOUT``, ``SAUTI_WEBHOOK_ALLOW_PRIVATE``)."""
    global _policy
    _policy = None


def current() -> Policy:
    """The policy flow calls (webhooks and resthooks) are made with."""
    if _policy is None:
        from sauti.settings import get_settings

        s = get_settings()
        return Policy(
            timeout=s.flow_webhook_timeout, allow_private=s.webhook_allow_private, allow=tuple(s.webhook_allow_networks)
        )
    return _policy


_current = current


class HttpWebhooks:
    """A :class:`~sauti.engine.services.WebhookService` over :mod:`sauti.kit.outbound` (blocking: call it from a
    thread)."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy

    def is_blocked(self, url: str) -> bool:
        """Refused when the host (or any address it resolves to) is not a public address, unless allowed. A host
        that doesn't resolve is not refused: the call then fails to connect. The call checks again, on the
        addresses it connects to."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError, ValueError):
            return False
        return outbound.check_host([str(info[4][0]) for info in found], self._policy.addresses) is not None

    def call(self, request: WebhookRequest) -> WebhookTrace:
        own = any(k.lower() == "user-agent" for k, _ in request.headers)
        headers = request.headers if own else (("User-Agent", USER_AGENT), *request.headers)
        made = outbound.call_sync(
            outbound.Request(request.method, request.url, headers, request.body.encode("utf-8")),
            budget=self._policy.timeout,
            policy=self._policy.addresses,
        )
        return trace_of(request, made)


def trace_of(request: WebhookRequest, made: outbound.Response) -> WebhookTrace:
    """The engine's trace of an outbound call."""
    if made.status_code is None:
        return WebhookTrace(request=request, status_code=None, elapsed_ms=made.elapsed_ms, error=made.error)
    return WebhookTrace(
        request=request,
        status_code=made.status_code,
        headers=dict(made.headers),
        body=made.text,
        elapsed_ms=made.elapsed_ms,
        response_too_large=made.too_large,
    )


def service() -> HttpWebhooks:
    """The webhook service of one start or resume, with the configured policy."""
    return HttpWebhooks(_current())


# actions whose service makes an HTTP call
BLOCKING_ACTIONS: Final = frozenset({"call_webhook", "call_resthook", "call_classifier"})


def may_call(assets: Assets) -> bool:
    """Whether a sprint over these assets may make an HTTP call (one of its flows has a ``call_webhook``, a
    ``call_resthook`` or a ``call_classifier``, whose services call through the outbound service)."""
    nodes = (node for flow in assets.flows.values() for node in flow.nodes)
    return any(action.TYPE in BLOCKING_ACTIONS for node in nodes for action in node.actions)


async def sprint(threaded: bool, run: Callable[..., T], *args: Any) -> T:
    """Run one engine call (``engine.start`` or ``engine.resume``): in a worker thread when ``threaded`` (its
    flows may call a webhook, which blocks), inline otherwise. The caller does the database work after."""
    if threaded:
        return await asyncio.to_thread(run, *args)
    return run(*args)


@dataclass(frozen=True)
class Made:
    """A sprint's events with what locates them: the session row, its contact and each run's flow."""

    session_id: int
    contact_id: int
    events: Sequence[Event]
    run_flows: Mapping[str, str]


async def record(session: AsyncSession, workspace: Workspace, made: Iterable[Made], flow_ids: Mapping[str, int]) -> int:
    """Keep the ``webhook_called`` events of these sprints in ``flow_webhook_calls``; how many. Flushes."""
    values: list[dict[str, Any]] = []
    for item in made:
        for event in item.events:
            if event.type != "webhook_called":
                continue
            data = event.data
            flow_uuid = item.run_flows.get(event.run_uuid or "")
            values.append(
                {
                    "workspace_id": workspace.id,
                    "flow_id": flow_ids.get(flow_uuid) if flow_uuid else None,
                    "session_id": item.session_id,
                    "contact_id": item.contact_id,
                    "node_uuid": event.node_uuid,
                    "url": str(data.get("url", ""))[:2048],
                    "status": str(data.get("status", ""))[:20],
                    "status_code": int(data.get("status_code") or 0),
                    "elapsed_ms": int(data.get("elapsed_ms") or 0),
                    "request": str(data.get("request", "")),
                    "response": str(data.get("response", "")),
                    "created_on": event.created_on,
                }
            )
    await bulk.insert_rows(session, table_of(FlowWebhookCall), values)
    return len(values)
