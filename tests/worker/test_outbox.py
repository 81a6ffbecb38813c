"""The outbox worker: due times, priority, retries with backoff, failures, and recovery of dead workers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, ClassVar

import httpx
import pytest
from sqlalchemy import select, update

from sauti.channels import registry
from sauti.channels.base import (
    ChannelInfo,
    ChannelType,
    InboundRequest,
    Item,
    Outgoing,
    ProviderHTTP,
    SendError,
    SendResult,
)
from sauti.kit import clock
from sauti.models import ChannelLog, Contact, Message, Worker
from sauti.worker import outbox, recovery
from tests.api.rapidpro.helpers import create_contact, row
from tests.conftest import Backend, Tenant, add_channel

pytestmark = pytest.mark.usefixtures("app")


class Scripted(ChannelType):
    """A test-only channel type whose sends fail or succeed as the test scripts them."""

    code = "SCR"
    slug = "scripted"
    api_type = "scripted"
    title = "Scripted"
    script: ClassVar[list[str]] = []  # outcomes in send order (for one message at a time)
    by_text: ClassVar[dict[str, str]] = {}  # outcomes by message text (sends run concurrently)
    sent: ClassVar[list[str]] = []

    async def send(self, channel: ChannelInfo, msg: Outgoing, http: ProviderHTTP) -> SendResult:
        outcome = self.by_text.get(msg.text) or (self.script.pop(0) if self.script else "ok")
        if outcome == "retry":
            raise SendError("connection_failed", "provider down")
        if outcome == "fail":
            raise SendError("response_status", "provider refused")
        if outcome == "stopped":
            raise SendError("contact_stopped", "user blocked the bot")
        self.sent.append(msg.text)
        return SendResult(external_id=f"x-{len(self.sent)}")

    async def receive(
        self, channel: ChannelInfo, action: str, request: InboundRequest, http: ProviderHTTP
    ) -> Sequence[Item]:
        return []


@pytest.fixture
async def scripted(backend: Backend, tenant: Tenant) -> Any:
    registry.register(Scripted)
    Scripted.script = []
    Scripted.by_text = {}
    Scripted.sent = []
    return await add_channel(backend, tenant, "SCR", name="Scripted", schemes=["tel"])


async def _send(client: httpx.AsyncClient, text: str, contact: dict[str, Any]) -> str:
    resp = await client.post("/api/v2/messages.json", json={"contact": contact["uuid"], "text": text})
    assert resp.status_code == 201
    return str(resp.json()["uuid"])


async def test_retry_with_backoff_then_fail(client: httpx.AsyncClient, scripted: Any, worker: Any, db: Any) -> None:
    joe = await create_contact(client, urns=["tel:+250788123123"])
    uuid = await _send(client, "hello", joe)
    Scripted.script = ["retry", "retry", "retry"]
    await worker.drain()
    msg = await row(db, Message, Message.uuid == uuid)
    assert (msg.status, msg.error_count) == ("errored", 1)
    first_wait = msg.next_attempt - msg.modified_on
    assert timedelta(minutes=4, seconds=59) < first_wait <= timedelta(minutes=5, seconds=1)
    await worker.drain()  # not due yet: nothing happens
    assert (await row(db, Message, Message.uuid == uuid)).error_count == 1
    for expected in (2, 3):
        async with db() as session:
            await session.execute(update(Message).values(next_attempt=clock.now() - timedelta(seconds=1)))
            await session.commit()
        await worker.drain()
        msg = await row(db, Message, Message.uuid == uuid)
        assert msg.error_count == expected
    assert (msg.status, msg.failed_reason) == ("failed", "E")  # the third error fails it
    logs = await _logs(db, msg.id)
    assert [log.errors[0]["code"] for log in logs] == ["connection_failed"] * 3 and all(log.is_error for log in logs)
    assert Scripted.sent == []


async def test_permanent_failure_and_stopped_contact(
    client: httpx.AsyncClient, scripted: Any, worker: Any, db: Any
) -> None:
    joe = await create_contact(client, urns=["tel:+250788123123"])
    ann = await create_contact(client, urns=["tel:+250788000002"])
    first = await _send(client, "a", joe)
    second = await _send(client, "b", ann)
    Scripted.by_text = {"a": "fail", "b": "stopped"}
    await worker.drain()
    assert (await row(db, Message, Message.uuid == first)).status == "failed"
    stopped = await row(db, Message, Message.uuid == second)
    assert (stopped.status, stopped.failed_reason) == ("failed", "C")
    assert (await row(db, Contact, Contact.uuid == ann["uuid"])).status == "stopped"


async def test_due_time_and_priority(client: httpx.AsyncClient, scripted: Any, worker: Any, db: Any) -> None:
    joe = await create_contact(client, urns=["tel:+250788123123"])
    later = await _send(client, "later", joe)
    bulk = await _send(client, "bulk", joe)
    reply = await _send(client, "reply", joe)
    async with db() as session:
        await session.execute(
            update(Message).where(Message.uuid == later).values(next_attempt=clock.now() + timedelta(hours=1))
        )
        await session.execute(update(Message).where(Message.uuid == bulk).values(high_priority=False))
        await session.commit()
    first = await outbox._claim(worker, scripted, 1)  # replies are claimed before bulk, though older
    assert [c.outgoing.uuid for c in first] == [reply]
    async with db() as session:
        await session.execute(update(Message).values(claimed_by=None))
        await session.commit()
    await worker.drain()
    assert sorted(Scripted.sent) == ["bulk", "reply"]
    assert (await row(db, Message, Message.uuid == later)).status == "queued"  # not before its due time
    async with db() as session:
        await session.execute(update(Message).where(Message.uuid == later).values(next_attempt=clock.now()))
        await session.commit()
    await worker.drain()
    assert Scripted.sent[-1] == "later" and (await row(db, Message, Message.uuid == later)).status == "wired"


async def test_recovery_of_a_dead_workers_claims(client: httpx.AsyncClient, scripted: Any, db: Any) -> None:
    joe = await create_contact(client, urns=["tel:+250788123123"])
    untouched = await _send(client, "claimed but never tried", joe)
    in_flight = await _send(client, "in flight", joe)
    long_ago = clock.now() - timedelta(minutes=10)
    async with db() as session:
        session.add(Worker(id="dead", host="h", pid=1, started_on=long_ago, heartbeat_on=long_ago))
        await session.execute(update(Message).values(claimed_by="dead"))
        await session.execute(update(Message).where(Message.uuid == in_flight).values(status="sending"))
        await session.commit()
    assert await recovery.recover(db, "me", stale_after=30) == 2
    freed = await row(db, Message, Message.uuid == untouched)
    assert (freed.status, freed.claimed_by) == ("queued", None)  # will be sent
    doubt = await row(db, Message, Message.uuid == in_flight)
    assert (doubt.status, doubt.claimed_by) == ("wired", None)  # not sent again
    assert (await _logs(db, doubt.id))[0].errors[0]["code"] == "in_doubt"
    assert await row(db, Worker, Worker.id == "dead") is None


async def test_a_live_workers_claims_are_left_alone(client: httpx.AsyncClient, scripted: Any, db: Any) -> None:
    joe = await create_contact(client, urns=["tel:+250788123123"])
    uuid = await _send(client, "x", joe)
    async with db() as session:
        session.add(Worker(id="alive", host="h", pid=1, started_on=clock.now(), heartbeat_on=clock.now()))
        await session.execute(update(Message).values(claimed_by="alive", status="sending"))
        await session.commit()
    assert await recovery.recover(db, "me", stale_after=30) == 0
    assert (await row(db, Message, Message.uuid == uuid)).claimed_by == "alive"


async def _logs(db: Any, message_id: int) -> list[ChannelLog]:
    async with db() as session:
        rows = await session.execute(
            select(ChannelLog).where(ChannelLog.message_id == message_id).order_by(ChannelLog.id)
        )
        return list(rows.scalars())


async def test_removing_a_channel_fails_what_waits_for_it(
    client: httpx.AsyncClient, scripted: Any, db: Any, tenant: Tenant
) -> None:
    from sauti.domain.channels import service as channels
    from sauti.models import Workspace

    joe = await create_contact(client, urns=["tel:+250788123123"])
    uuid = await _send(client, "never", joe)
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        await channels.remove(session, ws, scripted.uuid)
        await session.commit()
    msg = await row(db, Message, Message.uuid == uuid)
    assert (msg.status, msg.failed_reason) == ("failed", "R")


async def test_a_recovered_claim_is_not_overwritten(
    client: httpx.AsyncClient, scripted: Any, worker: Any, db: Any
) -> None:
    from sauti.channels.base import ProviderHTTP as HTTP

    joe = await create_contact(client, urns=["tel:+250788123123"])
    uuid = await _send(client, "x", joe)
    claimed = await outbox._claim(worker, scripted, 10)
    assert await outbox._begin(worker, claimed[0].id)
    # meanwhile another worker decided we were dead and recovered the message as in doubt
    async with db() as session:
        await session.execute(update(Message).values(status="wired", claimed_by=None))
        await session.commit()
    error = SendError("connection_failed", "late failure")
    await outbox._finish(worker, scripted, claimed[0].id, HTTP(worker.http), None, error)
    msg = await row(db, Message, Message.uuid == uuid)
    assert (msg.status, msg.error_count, msg.claimed_by) == ("wired", 0, None)
    assert [log.errors[0]["code"] for log in await _logs_for_channel(db, scripted.id)] == ["claim_lost"]


async def _logs_for_channel(db: Any, channel_id: int) -> list[ChannelLog]:
    async with db() as session:
        rows = await session.execute(select(ChannelLog).where(ChannelLog.channel_id == channel_id))
        return list(rows.scalars())


async def test_a_reply_queued_while_a_batch_is_sent_leaves_in_the_next_wave(
    client: httpx.AsyncClient, scripted: Any, worker: Any, db: Any
) -> None:
    """A broadcast's batch is claimed whole (up to 200 messages); a reply queued meanwhile must not wait for the
    rest of it: it is claimed before the next wave leaves."""
    async with db() as session:
        await session.execute(update(type(scripted)).where(type(scripted).id == scripted.id).values(tps=1000))
        await session.commit()
    joe = await create_contact(client, urns=["tel:+250788123123"])
    bulk = outbox.CONCURRENCY * 3
    for n in range(bulk):
        await _send(client, f"bulk {n}", joe)
    async with db() as session:
        await session.execute(update(Message).values(high_priority=False))
        await session.commit()
    queued: list[str] = []
    original = Scripted.send

    async def send(self: Scripted, channel: ChannelInfo, msg: Outgoing, http: ProviderHTTP) -> SendResult:
        if msg.text == "bulk 0":  # the first wave is on its way: a contact writes and is answered
            queued.append(await _send(client, "reply", joe))
        return await original(self, channel, msg, http)

    Scripted.send = send  # type: ignore[method-assign]
    try:
        await worker.drain()
    finally:
        Scripted.send = original  # type: ignore[method-assign]
    assert queued and len(Scripted.sent) == bulk + 1
    position = Scripted.sent.index("reply")
    # the reply leads the next wave, ahead of the batch's rest (without the probe it was last, 61st). How many of
    # the first wave's calls had left by then depends on the loop's turns: the first call waits for the reply's
    # request, and a wave whose calls are slow lets the next one start early (WAVE_PATIENCE)
    assert 1 <= position < 2 * outbox.CONCURRENCY, Scripted.sent
    assert (await row(db, Message, Message.uuid == queued[0])).status == "wired"
