"""The outbox: claim due outgoing messages, keep each channel under its TPS, send, record the outcome.

Each message goes through two short transactions: ``queued`` → ``sending`` just before the provider call, and
the result right after it (``wired`` and on, ``errored`` with a retry time, or ``failed``). Replies (high
priority) go before bulk; a message's ``next_attempt`` is a not-before time.
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
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.channels import registry
from sauti.channels.base import ChannelInfo, ChannelType, Outgoing, ProviderHTTP, SendError, SendResult
from sauti.domain.channels import logs
from sauti.domain.channels.service import info
from sauti.domain.contacts import service as contacts
from sauti.domain.messages import status
from sauti.kit import clock
from sauti.models import Channel, Contact, ContactURN, Message, Workspace
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


def _due() -> Any:
    now = clock.now()
    return (
        (Message.direction == "out")
        & Message.status.in_(("queued", "errored"))
        & Message.claimed_by.is_(None)
        & Message.channel_id.is_not(None)
        & or_(Message.next_attempt.is_(None), Message.next_attempt <= now)
    )


async def _channels_with_work(session: AsyncSession) -> list[Channel]:
    ids = select(Message.channel_id).where(_due()).distinct()
    rows = await session.execute(select(Channel).where(Channel.id.in_(ids), Channel.is_active))
    return list(rows.scalars())


async def _claim(worker: Worker, channel: Channel, limit: int) -> list[Claimed]:
    async with worker.sessionmaker() as session:
        pick = (
            select(Message.id)
            .where(_due(), Message.channel_id == channel.id)
            .order_by(Message.high_priority.desc(), Message.created_on, Message.id)
            .limit(limit)
        )
        if worker.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        ids = list((await session.execute(pick)).scalars())
        if not ids:
            return []
        await session.execute(
            update(Message).where(Message.id.in_(ids), Message.claimed_by.is_(None)).values(claimed_by=worker.id)
        )
        rows = await session.execute(
            select(Message, ContactURN.scheme, ContactURN.path)
            .outerjoin(ContactURN, ContactURN.id == Message.contact_urn_id)
            .where(Message.id.in_(ids), Message.claimed_by == worker.id)
            .order_by(Message.high_priority.desc(), Message.created_on, Message.id)
        )
        claimed: list[Claimed] = []
        unusable: dict[int, str] = {}
        for m, scheme, path in rows:
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
            status.advance(message, result.status)
            for later in result.then:
                status.advance(message, later)
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


async def _fail_unsendable(worker: Worker, channel: Channel) -> int:
    """Messages on a channel whose type is unknown fail rather than wait forever."""
    async with worker.sessionmaker() as session:
        result = await session.execute(
            update(Message)
            .where(_due(), Message.channel_id == channel.id)
            .values(status="failed", failed_reason=CHANNEL_CONFIG, modified_on=clock.now())
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
    """Claim and send one batch per channel with due messages; returns how many were attempted."""
    async with worker.sessionmaker() as session:
        channels = await _channels_with_work(session)
    total = 0
    for channel in channels:
        try:
            total += await _send_batch(worker, channel)
        except Exception:  # one channel's trouble (say, a broken configuration) must not stop the others
            log.exception("channel %s: sending round failed", channel.uuid)
    return total


async def _send_batch(worker: Worker, channel: Channel) -> int:
    kind = registry.by_code(channel.channel_type)
    if kind is None or not channel.is_enabled:
        return await _fail_unsendable(worker, channel)
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
