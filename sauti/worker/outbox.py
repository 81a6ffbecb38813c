"""The outbox: claim due outgoing messages (``worker/claims.py``), keep each channel under its TPS, send,
record the outcome.

A claimed batch is sent in waves: a wave is marked ``sending`` in one statement just before its provider calls,
and the results of calls that come back together are recorded in one transaction (``wired`` and on,
``errored`` with a retry time, or ``failed``). Replies (high priority) go before bulk; a message's
``next_attempt`` is its due time. Channels are sent concurrently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import ColumnElement, String, bindparam, false, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.channels import registry
from sauti.channels.base import ChannelInfo, ChannelType, Outgoing, ProviderHTTP, SendError, SendResult
from sauti.db.base import UTCDateTime, built_once, table_of
from sauti.db.engine import on_the_loop
from sauti.domain.channels import logs
from sauti.domain.channels.service import info
from sauti.domain.contacts import service as contacts
from sauti.domain.messages import status
from sauti.domain.webhooks import events
from sauti.domain.webhooks import queries as hooks
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


RETRYABLE = ("queued", "errored")
WAVE_PATIENCE = 0.02  # seconds a wave waits for half the calls in flight to come back before it leaves anyway
# seconds results that came back wait for others before they are recorded together: a paced channel's calls come
# back one by one, and a transaction each cost more than the calls (on SQLite it runs on the loop, holding up
# the calls' own timing)
RECORD_PATIENCE = 0.05


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


REPLIES = Message.high_priority == true()

OUTBOX = claims.Kind(
    name="outbox",
    model=Message,
    waiting=message_waiting(Message),
    due=lambda now: Message.next_attempt <= now,
    order=(Message.next_attempt, Message.id),
    partition=Message.channel_id,
    lanes=(REPLIES, Message.high_priority == false()),  # replies before bulk
    failed={"status": "failed", "failed_reason": UNPROCESSABLE},
    recover=recover,
)


async def _claim(
    worker: Worker, channel: Channel, limit: int, lanes: Sequence[ColumnElement[bool]] | None = None
) -> list[Claimed]:
    async with worker.sessionmaker() as session:
        ids = await claims.claim(session, OUTBOX, worker.id, channel.id, limit, worker.dialect, lanes)
        if not ids:
            await session.commit()
            return []
        rows = await session.execute(  # the columns a send reads, not ORM objects: a batch is 200 of them
            select(*_SENT_COLUMNS, ContactURN.scheme, ContactURN.path)
            .outerjoin(ContactURN, ContactURN.id == Message.contact_urn_id)
            .where(Message.id.in_(ids), Message.claimed_by == worker.id)
        )
        by_id = {m.id: (m, m.scheme, m.path) for m in rows}
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


_SENT_COLUMNS = (
    Message.id,
    Message.uuid,
    Message.text,
    Message.attachments,
    Message.quick_replies,
    Message.high_priority,
)


def _outgoing(m: Any, scheme: str | None, path: str | None) -> Outgoing:
    """What a channel type sends of a message (``m``: a message, or a row of its ``_SENT_COLUMNS``)."""
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
    return message_id in await _begin_many(worker, [message_id])


async def _begin_many(worker: Worker, ids: Sequence[int]) -> set[int]:
    """A wave: queued/errored → sending in one statement, for the messages whose claim we still hold. Returns
    the ids that may now be sent."""
    async with worker.sessionmaker() as session:
        result = await session.execute(
            update(Message)
            .where(Message.id.in_(list(ids)), Message.claimed_by == worker.id, Message.status.in_(RETRYABLE))
            .values(status="sending", modified_on=clock.now())
            .returning(Message.id)
            .execution_options(synchronize_session=False)
        )
        begun = set(result.scalars())
        await session.commit()
        return begun


@dataclass
class Outcome:
    """What one provider call came to: a result, or an error."""

    item: Claimed
    http: ProviderHTTP
    result: SendResult | None = None
    error: SendError | None = None


async def _finish(
    worker: Worker,
    channel: Channel,
    message_id: int,
    http: ProviderHTTP,
    result: SendResult | None,
    error: SendError | None,
) -> None:
    placeholder = Outgoing(uuid="", text="", urn_scheme="", urn_path="")
    await _record(worker, channel, [Outcome(Claimed(message_id, placeholder), http, result, error)])


_MESSAGES = table_of(Message)
# what the provider accepted, a row of values per message; built once (on SQLite it runs straight on the driver)
_ACCEPTED: Final = built_once(
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        external_id=func.coalesce(bindparam("b_external", type_=String), _MESSAGES.c.external_id),
        sent_on=func.coalesce(_MESSAGES.c.sent_on, bindparam("b_now", type_=UTCDateTime)),
        modified_on=bindparam("b_now", type_=UTCDateTime),
        claimed_by=None,
    )
)


async def _record(worker: Worker, channel: Channel, outcomes: Sequence[Outcome]) -> None:
    """The results of calls that came back, with their channel logs, in one transaction: the messages the
    provider accepted in one statement, the others (errors, failures) one by one. A message whose claim was
    recovered meanwhile (our heartbeat looked stale) keeps the record recovery gave it; only the exchange is
    logged."""
    async with worker.sessionmaker() as session:
        ids = [o.item.id for o in outcomes]
        # the claims we still hold, and whether each message reaches the provider for the first time
        held = {
            row.id: row
            for row in await session.execute(
                select(Message.id, Message.sent_on, Message.workspace_id).where(
                    Message.id.in_(ids), Message.claimed_by == worker.id
                )
            )
        }
        first_sent: dict[int, list[int]] = {}  # workspace id -> messages handed to a provider for the first time
        now = clock.now()
        accepted: list[dict[str, Any]] = []
        others: list[Outcome] = []
        log_rows: list[dict[str, Any]] = []
        for outcome in outcomes:
            message_id = outcome.item.id
            if message_id not in held:
                lost = [{"code": "claim_lost", "message": "recovered"}]
                log_rows.append(logs.row(channel, "msg_send", outcome.http.logs, lost))
                continue
            result = outcome.result
            final = status.after_send([result.status, *result.then]) if result is not None else None
            if result is None or final not in status.SENT_STATUSES:
                others.append(outcome)
                continue
            accepted.append({"b_id": message_id, "b_status": final, "b_external": result.external_id, "b_now": now})
            if held[message_id].sent_on is None:
                first_sent.setdefault(held[message_id].workspace_id, []).append(message_id)
            log_rows.append(logs.row(channel, "msg_send", outcome.http.logs, (), message_id))
        if accepted:  # Core executemany: one statement, a row of values per message
            await (await session.connection()).execute(_ACCEPTED, accepted)
        if others:
            log_rows.extend(await _record_others(session, channel, others))
        for workspace_id, message_ids in first_sent.items():  # handed to the provider: web hooks hear of it
            if await hooks.any_for(session, workspace_id):
                sent = await session.execute(select(Message).where(Message.id.in_(message_ids)))
                await events.messages_happened(session, workspace_id, list(sent.scalars()))
        await logs.write(session, log_rows)
        await session.commit()


async def _record_others(session: AsyncSession, channel: Channel, outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """Errors and failures, through the message's own status rules (retry times, the error count, contacts
    who opted out at the provider); returns their channel logs."""
    found = await session.execute(select(Message).where(Message.id.in_([o.item.id for o in outcomes])))
    messages = {m.id: m for m in found.scalars()}
    stopped: dict[int, list[int]] = {}  # workspace id -> contacts the provider says opted out
    log_rows: list[dict[str, Any]] = []
    for outcome in outcomes:
        message = messages[outcome.item.id]
        errors: list[dict[str, Any]] = []
        if outcome.result is not None:
            if outcome.result.external_id:
                message.external_id = outcome.result.external_id
            first_time = message.sent_on is None
            status.advance(message, outcome.result.status)
            for later in outcome.result.then:
                status.advance(message, later)
            if first_time and message.sent_on is not None:  # handed to the provider: web hooks hear of it
                await events.messages_happened(session, message.workspace_id, [message])
        else:
            error = outcome.error
            assert error is not None
            errors.append({"code": error.code, "ext_code": error.ext_code, "message": error.message})
            status.errored(message, permanent=not error.retryable, reason=None if error.retryable else "E")
            if error.contact_stopped:
                stopped.setdefault(message.workspace_id, []).append(message.contact_id)
                message.failed_reason = "C"
        message.claimed_by = None
        log_rows.append(logs.row(channel, "msg_send", outcome.http.logs, errors, message.id))
    for workspace_id, contact_ids in stopped.items():
        workspace = await session.get(Workspace, workspace_id)
        people = list((await session.execute(select(Contact).where(Contact.id.in_(contact_ids)))).scalars())
        if workspace is not None:
            await contacts.set_status(session, workspace, people, "stopped")
    await session.flush()
    return log_rows


async def _paced_call(worker: Worker, kind: ChannelType, chan: ChannelInfo, item: Claimed, tps: int) -> Outcome:
    """The call, in its turn: each call of a channel has its own slot, ``1/TPS`` seconds after the one before
    (``pacing.py``), taken right before the request leaves."""
    await worker.pacer.wait(chan.uuid, tps)
    return await _call(worker, kind, chan, item)


async def _call(worker: Worker, kind: ChannelType, chan: ChannelInfo, item: Claimed) -> Outcome:
    """One provider call, never raising: whatever happens becomes the outcome to record."""
    http = ProviderHTTP(worker.http, kind.secrets(chan))
    outcome = Outcome(item, http)
    try:
        outcome.result = await asyncio.wait_for(kind.send(chan, item.outgoing, http), worker.settings.send_timeout)
    except SendError as exc:
        outcome.error = exc
    except TimeoutError:
        outcome.error = SendError("connection_failed", "the provider did not answer in time")
    except Exception as exc:  # a defect in a channel type: retried, and logged for the operator
        log.exception("channel type %s failed to send", kind.code)
        outcome.error = SendError("connection_failed", f"unexpected error: {type(exc).__name__}")
    return outcome


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


async def _send_channel(worker: Worker, channel: Channel, kind: ChannelType, claimed: list[Claimed]) -> None:
    """Send a claimed batch in waves, at most ``CONCURRENCY`` calls at once and within the channel's TPS.

    A wave is marked ``sending`` in one statement and its calls leave at once (each in its rate slot), so the
    window between marking and calling stays as short as it was for one message (the crash guarantee of
    ``recovery.py`` is unchanged). Results that came back are recorded together, in one transaction, once half a
    wave's worth are in, or none are left in flight, or the oldest has waited ``RECORD_PATIENCE``. On a database
    server that transaction runs beside the next waves (one at a time: results that come back meanwhile wait for
    the next), so the calls do not wait for its round trips; on SQLite its statements run on the loop's own
    thread, where running it beside the waves gained nothing and cost a tenth more per message (measured in
    ``bench/messaging.py``), so the loop records before it goes on. The next wave waits until half the calls have come
    back (or none are left in flight), so each statement carries many messages when the provider is fast; when
    calls are slow, free slots are used after ``WAVE_PATIENCE`` anyway. The batch is done once every result is
    recorded.
    """
    chan = info(channel, worker.settings.callback_base)
    pending = deque(claimed)
    running: dict[asyncio.Task[Outcome], Claimed] = {}
    tps = channel.tps or kind.default_tps
    # a paced channel sends small waves often (a tenth of its TPS), so no second gets a burst on top of its share
    wave_cap = max(1, min(CONCURRENCY, tps // 10))
    patient = max(1, min(wave_cap, CONCURRENCY // 2))
    wave_at_least = patient
    unrecorded: list[Outcome] = []
    recording: asyncio.Task[None] | None = None
    beside = not on_the_loop(worker.sessionmaker)  # record beside the waves
    since = 0.0  # when the oldest unrecorded outcome came back
    while pending or running or unrecorded or recording is not None:
        free = CONCURRENCY - len(running)
        if pending and free > 0 and (not running or free >= min(len(pending), wave_at_least)):
            pending.extendleft(reversed(await _replies_since(worker, channel, wave_cap)))
            wave = [pending.popleft() for _ in range(min(free, len(pending), wave_cap))]
            begun = await _begin_many(worker, [c.id for c in wave])
            for item in wave:
                if item.id in begun:
                    running[asyncio.create_task(_paced_call(worker, kind, chan, item, tps))] = item
            continue
        waited = time.monotonic() - since
        if (
            unrecorded
            and recording is None
            and (not running or len(unrecorded) >= patient or waited >= RECORD_PATIENCE)
        ):
            if beside:
                recording = asyncio.create_task(_record_safely(worker, channel, unrecorded))
            else:
                await _record_safely(worker, channel, unrecorded)
            unrecorded = []
            continue
        waiting: set[asyncio.Task[Any]] = {*running, *([recording] if recording is not None else [])}
        if unrecorded and recording is None:
            timeout = min(WAVE_PATIENCE, RECORD_PATIENCE - waited)
        else:
            timeout = WAVE_PATIENCE
        done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if recording is not None and recording in done:
            recording.result()  # _record_safely raises nothing but a cancellation
            recording = None
        called = [task for task in done if task in running]
        if not done:  # slow calls: don't keep free slots idle waiting for half of them
            wave_at_least = 1
            continue
        if not called:  # only the recording ended
            continue
        wave_at_least = patient
        if not unrecorded:
            since = time.monotonic()
        unrecorded.extend(task.result() for task in called)
        for task in called:
            del running[task]


async def _replies_since(worker: Worker, channel: Channel, limit: int) -> list[Claimed]:
    """Replies queued on the channel since its batch was claimed, claimed now so that they leave in the next
    wave, ahead of the bulk messages of the batch (a 200-message batch of a broadcast takes a while when the
    worker is busy expanding it). One probe of the outbox index per wave when there are none."""
    async with worker.sessionmaker() as session:
        waiting = await claims.any_due(session, OUTBOX, channel.id, REPLIES)
    return await _claim(worker, channel, limit, (REPLIES,)) if waiting else []


async def _record_safely(worker: Worker, channel: Channel, outcomes: Sequence[Outcome]) -> None:
    try:
        await _record(worker, channel, outcomes)
    except Exception as exc:  # results that cannot be recorded: those messages fail, the others go on
        log.exception("channel %s: could not record %d results", channel.uuid, len(outcomes))
        for outcome in outcomes:
            await _fail(worker, outcome.item.id, describe(exc))


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
