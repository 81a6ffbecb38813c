"""The platform side of ``call_resthook``: who is subscribed, each signed delivery, and what follows from it.

Before a sprint whose flows call resthooks, :func:`prepare` loads the workspace's resthooks those flows name,
their active subscribers and the signing secret into a :class:`Calls` (plain data: the sprint may run in a
thread, away from the database). The engine asks it for the subscribers and has it deliver each payload: a POST
through the one outbound service (``kit/outbound``, under the flow webhook policy) with ``Content-Type:
application/json``, ``X-Sauti-Timestamp``, ``X-Sauti-Signature`` (see ``domain/deliveries``) and a fresh
``Idempotency-Key``. After the sprint, :meth:`Calls.settle` (on the loop, in the sprint's transaction):

- records a ``resthook_events`` row for every ``resthook_called`` event (its payload verbatim, subscribers or
  not);
- deactivates each subscriber that answered ``410 Gone`` (bumping its resthook's ``modified_on``);
- leaves a ``webhook_deliveries`` row (``subscriber_id`` set, signing ``sauti``, the same idempotency key,
  attempt 1 already made) for each subscriber that failed, which the worker retries.

DECISIONS: the flow makes the first attempt itself (its answer feeds ``@webhook``; a flow's synchronous
``call_webhook`` is never retried, as in RapidPro). A failed first attempt is retried when nothing came back
(a timeout, a connection error) or the answer was a 5xx, 408 or 429; any other 4xx is the receiver refusing that
body and is not retried, and neither is a call the address rules refused. Retries follow the web hook schedule
(1, 5 and 30 minutes, 2 and 6 hours after the previous attempt: six attempts in all), then the delivery is
failed with the last reason. A retry answered ``410`` unsubscribes too; a retry for a subscriber that was
deleted meanwhile is not sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import bulk
from sauti.db.base import table_of
from sauti.domain.deliveries import service as deliveries
from sauti.domain.flows import webhooks as flow_webhooks
from sauti.domain.resthooks import queries, service
from sauti.engine.assets import Assets
from sauti.engine.events import Event
from sauti.engine.services import WebhookRequest, WebhookTrace
from sauti.kit import clock, outbound
from sauti.models import ResthookEvent, WebhookDelivery, Workspace

__all__ = ["Calls", "Sent", "prepare", "retryable", "slugs_called"]

RETRIED_STATUSES = frozenset({408, 429})


def slugs_called(assets: Assets) -> set[str]:
    """The slugs the ``call_resthook`` actions of these flows name (normalised)."""
    return {
        queries.normal_slug(str(getattr(action, "resthook", "")))
        for flow in assets.flows.values()
        for node in flow.nodes
        for action in node.actions
        if action.TYPE == "call_resthook"
    }


@dataclass(frozen=True)
class Hook:
    id: int
    subscribers: tuple[tuple[int, str], ...]  # (subscriber id, target URL), oldest first


@dataclass(frozen=True)
class Sent:
    """One delivery a sprint made: to whom, what, with which key, and how it went."""

    resthook_id: int
    subscriber_id: int
    url: str
    body: str
    idempotency_key: str
    made: outbound.Response


def retryable(made: outbound.Response) -> bool:
    if made.refused:
        return False
    code = made.status_code
    return code is None or code >= 500 or code in RETRIED_STATUSES


@dataclass
class Calls:
    """A :class:`~sauti.engine.services.ResthookService` over one workspace's loaded resthooks."""

    workspace_id: int
    hooks: Mapping[str, Hook]
    secret: str
    policy: flow_webhooks.Policy
    sent: list[Sent] = field(default_factory=list)

    def subscribers(self, resthook: str) -> Sequence[str] | None:
        hook = self.hooks.get(queries.normal_slug(resthook))
        return None if hook is None else [url for _, url in hook.subscribers]

    def deliver(self, resthook: str, url: str, body: str) -> WebhookTrace:
        hook = self.hooks[queries.normal_slug(resthook)]
        subscriber_id = next(i for i, u in hook.subscribers if u == url)
        key = clock.new_uuid()
        data = body.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": deliveries.USER_AGENT,
            **deliveries.sauti_headers(self.secret, data, key),
        }
        request = WebhookRequest("POST", url, tuple(headers.items()), body)
        made = outbound.call_sync(
            outbound.Request("POST", url, request.headers, data),
            budget=self.policy.timeout,
            policy=self.policy.addresses,
        )
        self.sent.append(Sent(hook.id, subscriber_id, url, body, key, made))
        return flow_webhooks.trace_of(request, made)

    async def settle(self, session: AsyncSession, events: Iterable[Event]) -> None:
        """Record the sprints' resthook events, unsubscribe the gone, queue retries for the failed. Flushes."""
        rows: list[dict[str, Any]] = []
        for event in events:
            if event.type != "resthook_called":
                continue
            hook = self.hooks.get(queries.normal_slug(str(event.data.get("resthook", ""))))
            if hook is not None:
                rows.append(
                    {
                        "workspace_id": self.workspace_id,
                        "resthook_id": hook.id,
                        "data": event.data.get("payload") or {},
                        "created_on": event.created_on,
                    }
                )
        await bulk.insert_rows(session, table_of(ResthookEvent), rows)
        gone = [s.subscriber_id for s in self.sent if s.made.status_code == 410]
        await service.deactivate(session, self.workspace_id, gone)
        now = clock.now()
        for s in self.sent:
            if retryable(s.made):
                session.add(_retry(self, s, now))
        self.sent.clear()
        await session.flush()


def _retry(calls: Calls, s: Sent, now: Any) -> WebhookDelivery:
    reason = s.made.error or f"the receiver answered {s.made.status_code}"
    return WebhookDelivery(
        uuid=s.idempotency_key,
        workspace_id=calls.workspace_id,
        subscriber_id=s.subscriber_id,
        url=s.url,
        headers={"Idempotency-Key": s.idempotency_key},
        body=s.body,
        secret=calls.secret,
        signing=deliveries.SAUTI,
        status="pending",
        attempts=1,
        max_attempts=deliveries.MAX_ATTEMPTS,
        next_attempt=now + deliveries.RETRY_DELAYS[0],
        failure=reason,
        created_on=now,
        modified_on=now,
    )


async def prepare(session: AsyncSession, workspace: Workspace, assets: Assets) -> Calls | None:
    """The resthook service for sprints over ``assets``, or ``None`` when none of their flows calls a resthook
    (nothing is loaded then). Three queries: resthooks, subscribers, secret."""
    slugs = slugs_called(assets)
    if not slugs:
        return None
    found = await queries.by_slugs(session, workspace, slugs)
    subscribers = await queries.subscribers_of(session, workspace, [h.id for h in found.values()])
    by_hook: dict[int, list[tuple[int, str]]] = {}
    for s in subscribers:
        by_hook.setdefault(s.resthook_id, []).append((s.id, s.target_url))
    hooks = {slug: Hook(h.id, tuple(by_hook.get(h.id, []))) for slug, h in found.items()}
    secret = await service.signing_secret(session, workspace)
    return Calls(workspace.id, hooks, secret, flow_webhooks.current())
