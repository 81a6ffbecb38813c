"""The outbox: claim due outgoing messages (``worker/claims.py``), keep each channel under its TPS, send,
record the outcome.

Each message goes through two short transactions: ``queued`` → ``sending`` just before the provider call, and
the result right after it (``wired`` and on, ``errored`` with a retry time, or ``failed``). Replies (high
priority) go before bulk; a message's ``next_attempt`` is its due time. Channels are sent concurrently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy import ColumnElement, false, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.channels import registry
from sauti.channels.base import ChannelInfo, ChannelType, Outgoing, ProviderHTTP, SendError, SendResult
from sauti.domain.channels import logs
from sauti.domain.channels.service import info
from sauti.domain.contacts import service as contacts
from sauti.domain.messages import status
from sauti.domain.webhooks import events
from sauti.kit import clock
from sauti.models import Channel, Contact, ContactURN, Message, Workspace
from sauti.models.message import message_waiting
from sauti.worker import claims
from sauti.worker.failures import describe

if TYPE_CHECKING:
    from sauti.worker._loop import Worker

log = logging.getLogger("sauti.outbox")
BATCH = 200
CONCURRENCY = 20
CHANNEL_CONFIG = "R"  # failed_reason for a channel whose type is unknown or removed
UNPROCESSABLE = "X"  # failed_reason for a row Sauti could not read or record (``failure`` says why)


Pacer = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Claimed:
    id: int
    outgoing: Outgoing


async def recover(session: AsyncSession, dead: ColumnElement[bool]) -> int:
    """Free a dead worker's claimed messages. A message whose provider call was in flight (``sending``) is in
    doubt: see ``recovery.py`` for why it is marked wired and not sent again."""
    from sauti.worker.recovery import IN_DOUBT

    doubtful = list((await session.execute(select(Message).where(dead, Message.status == "sending"))).scalars())
    now = clock.now()
    channels = {
        c.id: c
        for c in (
            await session.execute(select(Channel).where(Channel.id.in_({m.channel_id for m in doubtful})))
        ).scalars()
    }
    for message in doubtful:
        message.status = "wired"
        message.sent_on = message.sent_on or now
        message.modified_on = now
        message.claimed_by = None
        channel = channels.get(message.channel_id) if message.channel_id else None
        logs.record(session, channel, "msg_send", [], [{"code": "in_doubt", "message": IN_DOUBT}], message.id)
    freed = await session.execute(
        update(Message)
        .where(dead, Message.status.in_(("queued", "errored")))
        .values(claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return len(doubtful) + int(freed.rowcount or 0)  # type: ignore[attr-defined]


OUTBOX = claims.Kind(
    name="outbox",
    model=Message,
    waiting=message_waiting(Message),
    due=lambda now: Message.next_attempt <= now,
    order=(Message.next_attempt, Message.id),
    partition=Message.channel_id,
    lanes=(Message.high_priority == true(), Message.high_priority == false()),  # replies before bulk
    failed={"status": "failed", "failed_reason": UNPROCESSABLE},
    recover=recover,
)


async def _claim(worker: Worker, channel: Channel, limit: int) -> list[Claimed]:
    async with worker.sessionmaker() as session:
        ids = await claims.claim(session, OUTBOX, worker.id, channel.id, limit, worker.dialect)
        if not ids:
            await session.commit()
            return []
        rows = await session.execute(
            select(Message, ContactURN.scheme, ContactURN.path)
            .outerjoin(ContactURN, ContactURN.id == Message.contact_urn_id)
            .where(Message.id.in_(ids), Message.claimed_by == worker.id)
        )
        by_id = {m.id: (m, scheme, path) for m, scheme, path in rows}
        claimed: list[Claimed] = []
        unusable: dict[int, str] = {}
        for message_id in ids:  # in the claim's order: replies first, then by due time
            if message_id not in by_id:
                continue
            m, scheme, path = by_id[message_id]
            try:
                claimed.append(Claimed(m.id, _outgoing(m, scheme, path)))
            except Exception as exc:  # a row we cannot read must not hold up the rest of the batch
                log.exception("message %s cannot be sent; marked failed", m.id)
                unusable[m.id] = describe(exc)
        for message_id, reason in unusable.items():
            await session.execute(_failed(message_id, worker.id, reason))
        await session.commit()
        return claimed


def _outgoing(m: Message, scheme: str | None, path: str | None) -> Outgoing:
    if not isinstance(m.attachments or [], list) or not isinstance(m.quick_replies or [], list):
        raise TypeError("attachments and quick replies must be lists")
    return Outgoing(
        uuid=m.uuid,
        text=m.text,
        urn_scheme=scheme or "",
        urn_path=path or "",
        attachments=tuple(str(a) for a in m.attachments or ()),
        quick_replies=tuple(m.quick_replies or ()),
        high_priority=m.high_priority,
    )


def _failed(message_id: int, worker_id: str, reason: str) -> Any:
    """The statement that fails a message we hold the claim of because Sauti could not process it."""
    return (
        update(Message)
        .where(Message.id == message_id, Message.claimed_by == worker_id)
        .values(status="failed", failed_reason=UNPROCESSABLE, failure=reason, claimed_by=None, modified_on=clock.now())
    )


async def _fail(worker: Worker, message_id: int, reason: str) -> None:
    try:
        async with worker.sessionmaker() as session:
            await session.execute(_failed(message_id, worker.id, reason))
            await session.commit()
    except Exception:  # the database itself is failing: recovery frees the claim once we are gone
        log.exception("could not mark message %s failed", message_id)


async def _begin(worker: Worker, message_id: int) -> bool:
    """queued/errored → sending, only while we still hold the claim."""
    async with worker.sessionmaker() as session:
        result = await session.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.claimed_by == worker.id,
                Message.status.in_(("queued", "errored")),
            )
            .values(status="sending", modified_on=clock.now())
        )
        await session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def _finish(
    worker: Worker,
    channel: Channel,
    message_id: int,
    http: ProviderHTTP,
    result: SendResult | None,
    error: SendError | None,
) -> None:
    async with worker.sessionmaker() as session:
        message = await session.get(Message, message_id)
        if message is None or message.claimed_by != worker.id:
            # recovery took it back (our heartbeat looked stale): its record stands, we only log the exchange
            logs.record(session, channel, "msg_send", http.logs, [{"code": "claim_lost", "message": "recovered"}])
            await session.commit()
            return
        errors: list[dict[str, Any]] = []
        if result is not None:
            if result.external_id:
                message.external_id = result.external_id
            first_time = message.sent_on is None
            status.advance(message, result.status)
            for later in result.then:
                status.advance(message, later)
            if first_time and message.sent_on is not None:  # handed to the provider: web hooks hear of it
                await events.messages_happened(session, message.workspace_id, [message])
        else:
            assert error is not None
            errors.append({"code": error.code, "ext_code": error.ext_code, "message": error.message})
            status.errored(message, permanent=not error.retryable, reason=None if error.retryable else "E")
            if error.contact_stopped:
                contact = await session.get(Contact, message.contact_id)
                workspace = await session.get(Workspace, message.workspace_id)
                if contact is not None and workspace is not None:
                    await contacts.set_status(session, workspace, [contact], "stopped")
                message.failed_reason = "C"
        message.claimed_by = None
        logs.record(session, channel, "msg_send", http.logs, errors, message.id)
        await session.commit()


async def _send_one(
    worker: Worker, channel: Channel, kind: ChannelType, chan: ChannelInfo, item: Claimed, pace: Pacer
) -> None:
    try:
        await _attempt(worker, channel, kind, chan, item, pace)
    except Exception as exc:  # one message that cannot be recorded must not stop its batch or the loop
        log.exception("message %s could not be processed; marked failed", item.id)
        await _fail(worker, item.id, describe(exc))


async def _attempt(
    worker: Worker, channel: Channel, kind: ChannelType, chan: ChannelInfo, item: Claimed, pace: Pacer
) -> None:
    if not await _begin(worker, item.id):
        return
    await pace()  # the channel's rate slot is taken just before the provider call, so calls never bunch up
    http = ProviderHTTP(worker.http, kind.secrets(chan))
    result: SendResult | None = None
    error: SendError | None = None
    try:
        result = await asyncio.wait_for(kind.send(chan, item.outgoing, http), worker.settings.send_timeout)
    except SendError as exc:
        error = exc
    except TimeoutError:
        error = SendError("connection_failed", "the provider did not answer in time")
    except Exception as exc:  # a defect in a channel type: retried, and logged for the operator
        log.exception("channel type %s failed to send", kind.code)
        error = SendError("connection_failed", f"unexpected error: {type(exc).__name__}")
    await _finish(worker, channel, item.id, http, result, error)


async def _fail_unsendable(worker: Worker, channel_id: int) -> int:
    """Messages waiting on a channel that is gone, disabled or of an unknown type fail rather than wait forever."""
    async with worker.sessionmaker() as session:
        result = await session.execute(
            update(Message)
            .where(OUTBOX.waiting, Message.channel_id == channel_id)
            .values(status="failed", failed_reason=CHANNEL_CONFIG, modified_on=clock.now())
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _pace(limiter: MovingWindowRateLimiter, rate: RateLimitItem, key: str) -> None:
    """Wait for a slot in the channel's per-second window (shared across processes when Redis is used)."""
    while not await limiter.hit(rate, "tps", key):
        stats = await limiter.get_window_stats(rate, "tps", key)
        await asyncio.sleep(min(1.0, max(0.001, stats.reset_time - time.time())))


async def _send_channel(worker: Worker, channel: Channel, kind: ChannelType, claimed: list[Claimed]) -> None:
    chan = info(channel, worker.settings.callback_base)
    rate = parse(f"{channel.tps or kind.default_tps}/second")
    limiter = MovingWindowRateLimiter(worker.tps_storage)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def pace() -> None:
        await _pace(limiter, rate, channel.uuid)

    async def run(item: Claimed) -> None:
        try:
            await _send_one(worker, channel, kind, chan, item, pace)
        finally:
            gate.release()

    tasks: list[asyncio.Task[None]] = []
    for item in claimed:
        await gate.acquire()
        tasks.append(asyncio.create_task(run(item)))
    await asyncio.gather(*tasks)


async def send_due(worker: Worker) -> int:
    """Claim and send one batch per channel with waiting messages, every channel at once (a slow provider holds
    back only its own channel); returns how many messages were attempted."""
    async with worker.sessionmaker() as session:
        channel_ids = await claims.partitions(session, OUTBOX)
        found = await session.execute(select(Channel).where(Channel.id.in_(channel_ids)))
        channels = {c.id: c for c in found.scalars()}
    sent = await asyncio.gather(*(_send_batch_safely(worker, cid, channels.get(cid)) for cid in channel_ids))
    return sum(sent)


async def _send_batch_safely(worker: Worker, channel_id: int, channel: Channel | None) -> int:
    try:
        return await _send_batch(worker, channel_id, channel)
    except Exception:  # one channel's trouble (say, a broken configuration) must not stop the others
        log.exception("channel %s: sending round failed", channel_id)
        return 0


async def _send_batch(worker: Worker, channel_id: int, channel: Channel | None) -> int:
    kind = registry.by_code(channel.channel_type) if channel is not None else None
    if channel is None or kind is None or not channel.is_active or not channel.is_enabled:
        return await _fail_unsendable(worker, channel_id)
    tps = channel.tps or kind.default_tps
    claimed = await _claim(worker, channel, min(BATCH, max(tps * 2, 1)))
    if not claimed:
        return 0
    try:
        await _send_channel(worker, channel, kind, claimed)
    except Exception as exc:
        log.exception("channel %s cannot send; its claimed messages are marked failed", channel.uuid)
        for item in claimed:
            await _fail(worker, item.id, describe(exc))
    return len(claimed)
