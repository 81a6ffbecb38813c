"""The webhook service flows call (``call_webhook``), where a sprint that may call one runs, and the call log.

The engine calls :meth:`HttpWebhooks.call` synchronously inside a sprint, so the call blocks. A sprint whose
flows contain a ``call_webhook`` action therefore runs in a worker thread (:func:`sprint`, ``asyncio.to_thread``)
with a synchronous ``httpx.Client``; every other sprint keeps running inline on the loop. Only the engine call
goes to the thread: the engine is pure (it gets the contact, the assets and the session as plain data and
returns events), and the database work (persisting the session, applying the events) stays on the loop, after
the thread returned.

A call has a timeout (``SAUTI_FLOW_WEBHOOK_TIMEOUT``, 10 s), reads at most
:data:`~sauti.engine.services.MAX_RESPONSE_BYTES` of the body (a larger one is cut and marked too large),
and follows no redirect (DECISION: a 3xx answer is the call's response, so the flow takes its Failure exit;
a redirect never leads to an address the checks below did not see). Hosts resolving to private, loopback,
link-local, multicast or reserved addresses are refused unless ``SAUTI_WEBHOOK_ALLOW_PRIVATE`` is set.

Every call a sprint made is kept in ``flow_webhook_calls`` (:func:`record`): the flow, contact and session,
the raw request and response (as the engine cut them), the status, status code and elapsed time.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import bulk
from sauti.db.base import table_of
from sauti.engine.assets import Assets
from sauti.engine.events import Event
from sauti.engine.services import MAX_RESPONSE_BYTES, WebhookRequest, WebhookTrace
from sauti.models import FlowWebhookCall, Workspace

__all__ = ["HttpWebhooks", "Made", "Policy", "configure", "may_call", "record", "reset", "service", "sprint"]

T = TypeVar("T")

USER_AGENT: Final = "Sauti-Flows/1"


@dataclass(frozen=True)
class Policy:
    timeout: float = 10.0
    allow_private: bool = False


_policy: Policy | None = None


def configure(*, timeout: float, allow_private: bool) -> None:
    """Set how flow webhooks are called (the app and the worker do, from their settings; tests too)."""
    global _policy
    _policy = Policy(timeout=timeout, allow_private=allow_private)


def reset() -> None:
    """Back to the settings' policy (``SAUTI_FLOW_WEBHOOK_TIMEOUT``, ``SAUTI_WEBHOOK_ALLOW_PRIVATE``)."""
    global _policy
    _policy = None


def _current() -> Policy:
    if _policy is None:
        from sauti.settings import get_settings

        s = get_settings()
        return Policy(timeout=s.flow_webhook_timeout, allow_private=s.webhook_allow_private)
    return _policy


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # not global: private, loopback, link-local, reserved, unspecified, shared (CGNAT) ...
    return not ip.is_global or ip.is_multicast


class HttpWebhooks:
    """A :class:`~sauti.engine.services.WebhookService` over real HTTP (blocking: call it from a thread)."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy

    def is_blocked(self, url: str) -> bool:
        """Refused when the host (or any address it resolves to) is not a public address, unless private
        addresses are allowed. A host that doesn't resolve is not refused: the call then fails to connect."""
        if self._policy.allow_private:
            return False
        host = urlsplit(url).hostname or ""
        try:
            found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return False
        return any(_refused(str(info[4][0])) for info in found)

    def call(self, request: WebhookRequest) -> WebhookTrace:
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        headers = {"User-Agent": USER_AGENT, **dict(request.headers)}
        timeout = self._policy.timeout
        try:
            with (
                httpx.Client(timeout=timeout, follow_redirects=False) as client,
                client.stream(
                    request.method, request.url, headers=headers, content=request.body.encode("utf-8")
                ) as response,
            ):
                body = bytearray()
                too_large = False
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        too_large = True
                        del body[MAX_RESPONSE_BYTES:]
                        break
                text = bytes(body).decode(response.encoding or "utf-8", errors="replace")
                return WebhookTrace(
                    request=request,
                    status_code=response.status_code,
                    headers=dict(response.headers.items()),
                    body=text,
                    elapsed_ms=elapsed(),
                    response_too_large=too_large,
                )
        except httpx.TimeoutException:
            error = f"Webhook call timed out after {timeout:g} seconds"
        except httpx.HTTPError as exc:
            error = f"Webhook call failed: {type(exc).__name__}"
        return WebhookTrace(request=request, status_code=None, elapsed_ms=elapsed(), error=error)


def service() -> HttpWebhooks:
    """The webhook service of one start or resume, with the configured policy."""
    return HttpWebhooks(_current())


BLOCKING_ACTIONS: Final = ("call_webhook", "call_classifier")  # actions whose service makes an HTTP call


def may_call(assets: Assets) -> bool:
    """Whether a sprint over these assets may make an HTTP call (one of its flows has a ``call_webhook`` or a
    ``call_classifier``, whose classifier service calls through :class:`HttpWebhooks` too)."""
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
