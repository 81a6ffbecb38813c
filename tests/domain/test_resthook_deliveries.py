"""Resthook deliveries and their retries against real local receivers: what is retried and what is not, a 410
on a retry, a subscriber deleted before its retry, the last attempt, and refused addresses (TextUs web hooks
included: every delivery goes through the one outbound service)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from sauti.domain.deliveries import service as deliveries
from sauti.domain.flows import webhooks as flow_webhooks
from sauti.domain.resthooks import deliveries as resthook_calls
from sauti.domain.resthooks import service as resthooks
from sauti.engine.events import Event
from sauti.kit import clock
from sauti.models import ResthookEvent, ResthookSubscriber, WebhookDelivery, Workspace
from tests.api.rapidpro.helpers import row
from tests.conftest import LOOPBACK, Backend, Tenant

pytestmark = pytest.mark.usefixtures("app")
T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


class Receiver:
    def __init__(self, status: int) -> None:
        self.status = status
        self.seen: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.seen.append(dict(self.headers.items()))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(500)
    yield r
    r.close()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now


@pytest.fixture
def moments() -> Iterator[Clock]:
    c = Clock()
    clock.set_clock(c)
    yield c
    clock.set_clock(None)


async def subscribe(backend: Backend, tenant: Tenant, url: str) -> tuple[int, resthook_calls.Calls]:
    """A resthook with one subscriber, and the service a sprint would get for it."""
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        (hook,) = await resthooks.ensure(session, ws, ["new-mother"])
        sub = await resthooks.subscribe(session, ws, resthook="new-mother", target_url=url)
        secret = await resthooks.signing_secret(session, ws)
        await session.commit()
    policy = flow_webhooks.Policy(timeout=2, allow=tuple(LOOPBACK))
    hooks = {"new-mother": resthook_calls.Hook(hook.id, ((sub.id, url),))}
    return sub.id, resthook_calls.Calls(tenant.workspace.id, hooks, secret, policy)


def fired(data: dict[str, Any]) -> Event:
    payload = {"resthook": "new-mother", "payload": data}
    return Event(uuid=clock.new_uuid(), type="resthook_called", created_on=clock.now(), data=payload)


async def settle(backend: Backend, calls: resthook_calls.Calls, *events: Event) -> None:
    async with backend.sessionmaker() as session:
        await calls.settle(session, events)
        await session.commit()


@pytest.mark.parametrize(("status", "retried"), [(500, True), (503, True), (429, True), (408, True), (400, False),
                                                 (404, False), (200, False)])  # fmt: skip
async def test_which_first_attempts_are_retried(
    backend: Backend, tenant: Tenant, receiver: Receiver, moments: Clock, status: int, retried: bool
) -> None:
    receiver.status = status
    _, calls = await subscribe(backend, tenant, receiver.url)
    trace = calls.deliver("new-mother", receiver.url, '{"n": 1}')
    assert trace.status_code == status
    await settle(backend, calls, fired({"n": 1}))
    async with backend.sessionmaker() as session:
        rows = list((await session.execute(select(WebhookDelivery))).scalars())
        events = list((await session.execute(select(ResthookEvent.data))).scalars())
    assert events == [{"n": 1}]
    assert len(rows) == (1 if retried else 0)
    if retried:
        (d,) = rows
        assert (d.attempts, d.status, d.signing, d.uuid) == (1, "pending", "sauti", receiver.seen[0]["Idempotency-Key"])
        assert d.next_attempt - d.created_on == timedelta(minutes=1)
        assert d.failure == f"the receiver answered {status}"


async def test_a_refused_or_unreachable_subscriber(backend: Backend, tenant: Tenant, moments: Clock) -> None:
    _, calls = await subscribe(backend, tenant, "http://169.254.169.254/latest")
    trace = calls.deliver("new-mother", "http://169.254.169.254/latest", "{}")
    assert trace.error == "refused: 169.254.169.254 is a link-local address"
    await settle(backend, calls)
    async with backend.sessionmaker() as session:
        assert list((await session.execute(select(WebhookDelivery))).scalars()) == []  # refused: not retried


async def test_a_retry_answered_410_unsubscribes(
    backend: Backend, tenant: Tenant, receiver: Receiver, moments: Clock, worker: Any
) -> None:
    sub_id, calls = await subscribe(backend, tenant, receiver.url)
    calls.deliver("new-mother", receiver.url, "{}")
    await settle(backend, calls)
    receiver.status = 410
    moments.now += timedelta(minutes=1)
    await worker.drain()
    assert len(receiver.seen) == 2
    assert (await row(backend.sessionmaker, ResthookSubscriber, ResthookSubscriber.id == sub_id)).is_active is False
    d = await row(backend.sessionmaker, WebhookDelivery, WebhookDelivery.subscriber_id == sub_id)
    assert (d.status, d.attempts, d.failure) == ("failed", 2, "the receiver answered 410")


async def test_a_retry_for_a_deleted_subscriber_is_not_sent(
    backend: Backend, tenant: Tenant, receiver: Receiver, moments: Clock, worker: Any
) -> None:
    sub_id, calls = await subscribe(backend, tenant, receiver.url)
    calls.deliver("new-mother", receiver.url, "{}")
    await settle(backend, calls)
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        await resthooks.unsubscribe(session, ws, sub_id)
        await session.commit()
    moments.now += timedelta(minutes=1)
    await worker.drain()
    assert len(receiver.seen) == 1
    d = await row(backend.sessionmaker, WebhookDelivery, WebhookDelivery.subscriber_id == sub_id)
    assert (d.status, d.attempts, d.failure) == ("failed", 1, "the subscriber was deleted")


async def test_retries_back_off_then_fail_with_the_last_reason(
    backend: Backend, tenant: Tenant, receiver: Receiver, moments: Clock, worker: Any
) -> None:
    sub_id, calls = await subscribe(backend, tenant, receiver.url)
    calls.deliver("new-mother", receiver.url, "{}")
    await settle(backend, calls)
    waits = []
    for _ in deliveries.RETRY_DELAYS:
        d = await row(backend.sessionmaker, WebhookDelivery, WebhookDelivery.subscriber_id == sub_id)
        waits.append(d.next_attempt - d.modified_on)
        moments.now = d.next_attempt - timedelta(seconds=1)
        seen = len(receiver.seen)
        await worker.drain()
        assert len(receiver.seen) == seen  # not a second early
        moments.now = d.next_attempt + timedelta(microseconds=1)
        await worker.drain()
        assert len(receiver.seen) == seen + 1
    d = await row(backend.sessionmaker, WebhookDelivery, WebhookDelivery.subscriber_id == sub_id)
    assert (d.status, d.attempts, d.failure) == ("failed", deliveries.MAX_ATTEMPTS, "the receiver answered 500")
    assert waits == list(deliveries.RETRY_DELAYS)  # 1, 5 and 30 minutes, 2 and 6 hours
    assert len({h["Idempotency-Key"] for h in receiver.seen}) == 1
    assert len({h["X-Sauti-Timestamp"] for h in receiver.seen}) == len(receiver.seen)  # signed afresh each time


async def test_a_textus_delivery_to_a_refused_address_fails_at_once(
    backend: Backend, tenant: Tenant, moments: Clock, worker: Any
) -> None:
    async with backend.sessionmaker() as session:
        made = deliveries.enqueue(
            session,
            tenant.workspace.id,
            deliveries.Outgoing("http://10.0.0.7/hook", b"{}", secret="s", signature_header="X"),
        )
        await session.commit()
    await worker.drain()
    d = await row(backend.sessionmaker, WebhookDelivery, WebhookDelivery.id == made.id)
    assert (d.status, d.attempts, d.failure) == ("failed", 1, "refused: 10.0.0.7 is a private address")
