"""/api/web_hooks, and their deliveries to a real local receiver: every message sent or received is POSTed (V1 or
V2 payload), V2 signed with X-TextUs-Signature; failures and timeouts are retried with backoff, nothing is
delivered twice once acknowledged, and a hanging receiver never holds up the outbox."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from sauti.models import Message, WebHook, WebhookAttempt, WebhookDelivery
from tests.api.textus.conftest import ACCOUNT_NUMBER, inject
from tests.api.textus.helpers import count, create, row
from tests.support.fake_provider import FakeProvider, fake_provider
from tests.support.queries import query_count

pytestmark = pytest.mark.usefixtures("app")

KEYS = ["url", "web_hookable_type", "web_hookable_id", "version", "secret", "id", "created_at", "updated_at"]
V2_MESSAGE_KEYS = [
    "content", "read", "broadcast_id", "status", "deliver_at", "from_autoresponse", "id", "created_at",
    "updated_at", "sender_id", "receiver_id", "sender_type", "receiver_type", "sender_phone", "sender_name",
    "sender_email", "receiver_phone", "receiver_name", "image_url", "thumb_url",
]  # fmt: skip
V1_KEYS = [
    "body", "read", "broadcast_id", "status", "id", "created_at", "sender", "sender_type", "recipient",
    "recipient_type", "sender_phone", "recipient_phone",
]  # fmt: skip


@pytest.fixture
def receiver() -> Iterator[FakeProvider]:
    with fake_provider() as r:
        yield r


async def _send(api: httpx.AsyncClient, tenant: Any, text: str = "Hello, Bart.") -> dict[str, Any]:
    return await create(api, "/api/messages", sender=tenant.user.id, receiver="+12025550147", content=text)


async def test_crud(api: httpx.AsyncClient, db: Any, tenant: Any) -> None:
    made = await create(api, "/api/web_hooks", url="http://example.com/teie")
    assert list(made) == KEYS
    assert (made["web_hookable_type"], made["web_hookable_id"], made["version"]) == (
        "Account",
        tenant.workspace.id,
        "2",
    )
    assert len(made["secret"]) == 32
    v1 = await create(api, "/api/web_hooks", url="https://example.com/old", version=1, account_id=tenant.workspace.id)
    assert v1["version"] == "1"
    org = await create(api, "/api/web_hooks", url="https://example.com/org", web_hookable_type="Organization")
    assert org["web_hookable_type"] == "Organization"
    assert (await api.get(f"/api/web_hooks/{made['id']}")).json() == made
    changed = (await api.put(f"/api/web_hooks/{made['id']}", json={"url": "https://example.com/new"})).json()
    assert changed["url"] == "https://example.com/new" and changed["secret"] == made["secret"]
    assert (await api.patch(f"/api/web_hooks/{made['id']}", json={"version": "1"})).json()["version"] == "1"
    assert [h["id"] for h in (await api.get("/api/web_hooks")).json()] == [made["id"], v1["id"], org["id"]]
    for body, status, error in [
        ({}, 400, "url is missing"),
        ({"url": "ftp://example.com"}, 422, "Validation failed: Url is invalid"),
        ({"url": "not a url"}, 422, "Validation failed: Url is invalid"),
        ({"url": "http://example.com", "version": "3"}, 422, "Validation failed: Version is not included in the list"),
        ({"url": "http://example.com", "account_id": 999999}, 403, "Account 999999 is not accessible"),
        (
            {"url": "http://example.com", "web_hookable_type": "LinkedAccount"},
            422,
            "Validation failed: Web hookable type is not included in the list",
        ),
    ]:
        resp = await api.post("/api/web_hooks", json=body)
        assert (resp.status_code, resp.json()) == (status, {"error": error}), body
    bad = await api.put(f"/api/web_hooks/{made['id']}", json={"url": "javascript:alert(1)"})
    assert (
        bad.status_code == 422 and (await row(db, WebHook, WebHook.id == made["id"])).url == "https://example.com/new"
    )
    gone = await api.delete(f"/api/web_hooks/{made['id']}")
    assert gone.json()["id"] == made["id"] and await count(db, WebHook) == 2


async def test_v2_payload_signed_and_v1_payload(
    api: httpx.AsyncClient, channel: Any, worker: Any, tenant: Any, receiver: FakeProvider, db: Any
) -> None:
    v2 = await create(api, "/api/web_hooks", url=receiver.url("/v2"))
    await create(api, "/api/web_hooks", url=receiver.url("/v1"), version="1")
    await create(api, "/api/contacts", phone="+12025550147", first_name="Bart", last_name="Simpson")
    sent = await _send(api, tenant)
    # nothing is posted inside the request, nor before the provider takes the message
    assert receiver.requests == [] and await count(db, WebhookDelivery) == 0
    await worker.drain()
    by_path = {r.route: r for r in receiver.requests}
    assert sorted(by_path) == ["/v1", "/v2"] and len(receiver.requests) == 2
    signed = by_path["/v2"]
    expected = hmac.new(v2["secret"].encode(), signed.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signed.headers["x-textus-signature"], expected)
    assert signed.headers["content-type"] == "application/json"
    assert signed.headers["user-agent"].startswith("Sauti-Webhooks/")
    payload = signed.json()
    assert list(payload) == ["timestamp", "web_hook", "message"] and isinstance(payload["timestamp"], int)
    assert payload["web_hook"] == {
        "id": v2["id"],
        "url": receiver.url("/v2"),
        "web_hookable_type": "Account",
        "web_hookable_id": tenant.workspace.id,
        "version": "2",
        "created_at": payload["web_hook"]["created_at"],
        "updated_at": payload["web_hook"]["updated_at"],
    }
    assert len(payload["web_hook"]["created_at"]) == 24  # milliseconds: 2017-07-14T19:38:44.231Z
    message = payload["message"]
    assert list(message) == V2_MESSAGE_KEYS
    assert (message["id"], message["content"], message["status"]) == (sent["id"], "Hello, Bart.", "delivered")
    assert (message["sender_type"], message["sender_phone"], message["sender_name"]) == (
        "User",
        ACCOUNT_NUMBER,
        "Ann Admin",
    )
    assert (message["receiver_type"], message["receiver_phone"], message["receiver_name"]) == (
        "Contact",
        "+12025550147",
        "Bart Simpson",
    )
    assert message["created_at"].endswith("Z") and len(message["created_at"]) == 24
    plain = by_path["/v1"]
    assert "x-textus-signature" not in plain.headers
    flat = plain.json()
    assert list(flat) == V1_KEYS
    assert (flat["body"], flat["id"], flat["sender"], flat["recipient"]) == (
        "Hello, Bart.",
        sent["id"],
        tenant.user.id,
        sent["receiver_id"],
    )
    assert (flat["sender_type"], flat["recipient_type"], flat["recipient_phone"]) == ("User", "Contact", "+12025550147")
    assert await count(db, WebhookDelivery, WebhookDelivery.status == "delivered") == 2
    # acknowledged deliveries are never sent again
    await worker.drain()
    assert len(receiver.requests) == 2


async def test_inbound_messages_fire_but_not_a_blocked_numbers(
    api: httpx.AsyncClient,
    anon_client: httpx.AsyncClient,
    channel: Any,
    worker: Any,
    tenant: Any,
    receiver: FakeProvider,
) -> None:
    await create(api, "/api/web_hooks", url=receiver.url("/in"))
    await inject(anon_client, channel, "+12025550147", "Hi there")
    await api.post("/api/blocked_numbers", json={"phone": "+12025550148"})
    await inject(anon_client, channel, "+12025550148", "Spam")
    await worker.drain()
    assert len(receiver.requests) == 1
    message = receiver.requests[0].json()["message"]
    assert (message["content"], message["status"], message["sender_type"], message["receiver_type"]) == (
        "Hi there",
        "received",
        "Contact",
        "Account",
    )
    assert (message["receiver_id"], message["receiver_phone"]) == (tenant.workspace.id, ACCOUNT_NUMBER)


async def test_retried_after_a_500_and_after_a_timeout(
    api: httpx.AsyncClient,
    app: Any,
    channel: Any,
    worker: Any,
    tenant: Any,
    receiver: FakeProvider,
    db: Any,
    travel: Any,
) -> None:
    await create(api, "/api/web_hooks", url=receiver.url("/flaky"))
    receiver.respond(500, "down")
    receiver.respond(200, "late", delay=1.5)
    receiver.respond(200, "ok")
    app.state.settings.webhook_timeout = 0.5
    try:
        await _send(api, tenant)
        await worker.drain()
        delivery = await row(db, WebhookDelivery)
        assert (delivery.status, delivery.attempts, delivery.failure) == ("pending", 1, "the receiver answered 500")
        assert delivery.next_attempt - delivery.modified_on == timedelta(minutes=1)
        await worker.drain()  # not due yet
        assert len(receiver.requests) == 1
        travel(timedelta(minutes=1, seconds=1))
        await worker.drain()
        delivery = await row(db, WebhookDelivery)
        assert (delivery.status, delivery.attempts) == ("pending", 2)
        assert delivery.failure == "no answer within 0.5 seconds"
        assert delivery.next_attempt - delivery.modified_on == timedelta(minutes=5)
        travel(timedelta(minutes=5, seconds=1))
        await worker.drain()
    finally:
        app.state.settings.webhook_timeout = 10.0
    delivery = await row(db, WebhookDelivery)
    assert (delivery.status, delivery.attempts, delivery.failure) == ("delivered", 3, None)
    assert len(receiver.requests) == 3 and len({r.body for r in receiver.requests}) == 1  # the same body each time
    async with db() as session:
        attempts = list((await session.execute(select(WebhookAttempt).order_by(WebhookAttempt.id))).scalars())
    assert [a.status_code for a in attempts] == [500, None, 200]
    assert attempts[0].response == "down" and "no answer" in (attempts[1].error or "")
    assert "POST " + receiver.url("/flaky") in attempts[2].request
    travel(timedelta(hours=12))
    await worker.drain()
    assert len(receiver.requests) == 3


async def test_a_refusal_is_final_and_the_last_attempt_gives_up(
    api: httpx.AsyncClient, channel: Any, worker: Any, tenant: Any, receiver: FakeProvider, db: Any, travel: Any
) -> None:
    await create(api, "/api/web_hooks", url=receiver.url("/gone"))
    receiver.respond(410, "gone")
    await _send(api, tenant, "first")
    await worker.drain()
    refused = await row(db, WebhookDelivery)
    assert (refused.status, refused.attempts) == ("failed", 1)
    async with db() as session:
        await session.execute(update(WebhookDelivery).values(hook_id=None))
        await session.commit()
    receiver.default = type(receiver.default)(503, b"busy", {})
    await _send(api, tenant, "second")
    for _ in range(6):
        await worker.drain()
        travel(timedelta(hours=7))
    failing = await row(db, WebhookDelivery, WebhookDelivery.hook_id.is_not(None))
    assert (failing.status, failing.attempts) == ("failed", 6)
    assert len(receiver.requests) == 1 + 6


async def test_a_hanging_receiver_never_holds_up_the_outbox(
    api: httpx.AsyncClient, app: Any, channel: Any, worker: Any, tenant: Any, receiver: FakeProvider, db: Any
) -> None:
    await create(api, "/api/web_hooks", url=receiver.url("/slow"))
    receiver.respond(200, "finally", delay=2.0)
    first = await _send(api, tenant, "first")
    await worker.tick()  # sends the first message; its delivery starts in the background
    await worker.tick()
    second = await _send(api, tenant, "second")
    started = time.monotonic()
    await worker.tick()
    assert time.monotonic() - started < 1.5
    assert (await row(db, Message, Message.id == second["id"])).status == "delivered"
    assert (await row(db, Message, Message.id == first["id"])).status == "delivered"
    await worker.drain()
    assert await count(db, WebhookDelivery, WebhookDelivery.status == "delivered") == 2


async def test_a_dead_workers_deliveries_are_recovered(
    api: httpx.AsyncClient, channel: Any, worker: Any, tenant: Any, receiver: FakeProvider, db: Any
) -> None:
    from sauti.worker import recovery

    await create(api, "/api/web_hooks", url=receiver.url("/r"))
    await _send(api, tenant)
    async with db() as session:
        await session.execute(update(Message).values(status="delivered", sent_on=Message.created_on))
        await session.commit()
    from sauti.domain.webhooks.events import messages_happened

    async with db() as session:
        message = (await session.execute(select(Message))).scalar_one()
        await messages_happened(session, tenant.workspace.id, [message])
        await session.execute(update(WebhookDelivery).values(claimed_by="dead-worker"))
        await session.commit()
    # claimed by a worker that is gone (it has no heartbeat row): recovery makes it wait again
    assert await recovery.recover(worker.sessionmaker, worker.id, 30) == 1
    assert (await row(db, WebhookDelivery)).claimed_by is None
    await worker.drain()
    assert len(receiver.requests) == 1 and json.loads(receiver.requests[0].body)["message"]["content"] == "Hello, Bart."


async def test_listing_query_count(app: Any, api: httpx.AsyncClient) -> None:
    await create(api, "/api/web_hooks", url="http://example.com/a")
    one = await query_count(app, api, "/api/web_hooks")
    for i in range(4):
        await create(api, "/api/web_hooks", url=f"http://example.com/{i}")
    assert await query_count(app, api, "/api/web_hooks") == one == 3


async def test_a_web_hook_never_costs_a_message(
    api: httpx.AsyncClient,
    anon_client: httpx.AsyncClient,
    channel: Any,
    worker: Any,
    tenant: Any,
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sauti.domain.webhooks import events

    def broken(*args: Any) -> bytes:
        raise RuntimeError("a payload that cannot be made")

    await create(api, "/api/web_hooks", url="http://127.0.0.1:9/unused")
    monkeypatch.setattr(events.textus, "body", broken)
    sent = await _send(api, tenant)
    await worker.drain()
    await inject(anon_client, channel, "+12025550147", "Still here")
    assert (await row(db, Message, Message.id == sent["id"])).status == "delivered"
    assert await count(db, Message, Message.direction == "in", Message.status == "handled") == 1
    assert await count(db, WebhookDelivery) == 0
