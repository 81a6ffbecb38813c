"""Web hook deliveries (TextUs web hooks, and retries of resthook deliveries): due deliveries are claimed
(``worker/claims.py``) per workspace, POSTed concurrently through ``kit/outbound`` with a timeout, and each
outcome recorded in its own short transaction (``domain/deliveries``). A resthook retry answered ``410 Gone``
unsubscribes its subscriber; one whose subscriber was deleted meanwhile is failed without being sent.

The worker loop runs these rounds in the background beside its other work (``_loop.py``), so a receiver that
hangs until the timeout never holds up sending or broadcasts, and requests never wait for a receiver at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.deliveries import service as deliveries
from sauti.domain.resthooks import service as resthooks
from sauti.kit import outbound
from sauti.models import WebhookDelivery
from sauti.models.webhook import delivery_waiting
from sauti.worker import claims

if TYPE_CHECKING:
    from sauti.worker._loop import Worker

log = logging.getLogger("sauti.webhooks")
BATCH = 50  # per workspace per round
CONCURRENCY = 20


async def _release_dead(session: AsyncSession, dead: ColumnElement[bool]) -> int:
    """A dead worker's deliveries wait again. One whose POST was in flight is sent again: at least once."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(dead, WebhookDelivery.status == "pending")
        .values(claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


WEBHOOKS = claims.Kind(
    name="webhooks",
    model=WebhookDelivery,
    waiting=delivery_waiting(WebhookDelivery),
    due=lambda now: WebhookDelivery.next_attempt <= now,
    order=(WebhookDelivery.next_attempt, WebhookDelivery.id),
    partition=WebhookDelivery.workspace_id,
    recover=_release_dead,
)


def policy(worker: Worker) -> outbound.Policy:
    """The address rules deliveries are made under (the worker's settings)."""
    s = worker.settings
    return outbound.Policy(allow_private=s.webhook_allow_private, allow=tuple(s.webhook_allow_networks))


async def _post(worker: Worker, delivery: WebhookDelivery) -> deliveries.Outcome:
    """POST through the one outbound service (:mod:`sauti.kit.outbound`): checked addresses, capped body and time."""
    body, headers = deliveries.request_of(delivery)
    made = await outbound.call(
        outbound.Request("POST", delivery.url, tuple(headers.items()), body),
        budget=worker.settings.webhook_timeout,
        policy=policy(worker),
        client=worker.hooks_http,
    )
    if made.status_code is None:
        return deliveries.Outcome(None, error=made.error, elapsed_ms=made.elapsed_ms, refused=made.refused)
    return deliveries.Outcome(made.status_code, response=made.text, elapsed_ms=made.elapsed_ms)


async def _deliver(worker: Worker, delivery_id: int) -> bool:
    """Post one claimed delivery and record how it went; True when the receiver took it."""
    async with worker.sessionmaker() as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.claimed_by != worker.id or delivery.status != "pending":
            return False
        if delivery.subscriber_id is not None and not await resthooks.subscribed(session, delivery.subscriber_id):
            deliveries.abandon(delivery, "the subscriber was deleted")  # a resthook retry nobody wants any more
            await session.commit()
            return False
        session.expunge(delivery)
    outcome = await _post(worker, delivery)
    async with worker.sessionmaker() as session:
        current = await session.get(WebhookDelivery, delivery_id)
        if current is None or current.claimed_by != worker.id:
            log.warning("delivery %s: claim lost while posting; its outcome is not recorded", delivery_id)
            return False
        deliveries.record(session, current, outcome)
        if current.subscriber_id is not None and outcome.status_code == 410:  # gone: unsubscribe it
            await resthooks.deactivate(session, current.workspace_id, [current.subscriber_id])
        await session.commit()
    if not outcome.acknowledged:
        log.info("delivery %s to %s: %s", delivery_id, delivery.url, outcome.error or outcome.status_code)
    return outcome.acknowledged


async def deliver_due(worker: Worker) -> int:
    """One round: claim a batch of due deliveries per workspace and post them all; returns how many were tried."""
    claimed: list[int] = []
    async for ids in claims.each_partition(worker.sessionmaker, WEBHOOKS, worker.id, BATCH, worker.dialect):
        claimed += ids  # every workspace's batch claimed first, then all posted at once (below)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(batch: Sequence[int]) -> None:
        async with gate:
            for delivery_id in batch:
                await _deliver(worker, delivery_id)

    async def isolated(delivery_id: int) -> None:
        await claims.run_isolated(worker.sessionmaker, WEBHOOKS, worker.id, [delivery_id], one)

    await asyncio.gather(*(isolated(i) for i in claimed))
    return len(claimed)
