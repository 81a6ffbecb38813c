"""Resthooks end to end: a contact texts a keyword to the test channel, the flow calls a resthook with two real
subscribers on local servers (one answers 410, one fails twice then takes it), and everything that follows is
checked where a user would see it: the run's result, resthook_events.json, the 410 subscriber gone from
resthook_subscribers.json, the worker's retries arriving with one idempotency key and signatures the receiver
verifies with its own code, the secret and the call log through the CLI."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.domain.flows import triggers as flow_triggers
from sauti.domain.flows import webhooks as flow_webhooks
from sauti.domain.flows.definitions import save_flow
from sauti.kit import clock
from sauti.models import Contact, FlowRun, Message, Resthook, ResthookSubscriber, WebhookDelivery, Workspace
from tests.api.rapidpro.helpers import row
from tests.conftest import LOOPBACK, Backend, Tenant, add_channel
from tests.test_cli import sauti

pytestmark = pytest.mark.usefixtures("app")
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
FLOW = "7e5a0000-0000-4000-8000-000000000001"


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's own check, as the README shows it."""
    timestamp = headers["X-Sauti-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Sauti-Signature"])


class Subscriber:
    """A local receiver answering from a script of statuses (the last one repeats)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.seen: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.seen.append((dict(self.headers.items()), body))
                status = receiver.statuses[min(len(receiver.seen), len(receiver.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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
    before = flow_webhooks.current()
    flow_webhooks.configure(timeout=5, allow_private=False, allow=LOOPBACK)  # the subscribers are local
    yield c
    flow_webhooks.configure(timeout=before.timeout, allow_private=before.allow_private, allow=before.allow)
    clock.set_clock(None)


@pytest.fixture
def subscribers() -> Iterator[tuple[Subscriber, Subscriber]]:
    gone, flaky = Subscriber([410]), Subscriber([500, 503, 200])
    yield gone, flaky
    gone.close()
    flaky.close()


def flow_definition() -> dict[str, Any]:
    return {
        "uuid": FLOW,
        "name": "Register",
        "spec_version": "14.4.2",
        "language": "eng",
        "type": "messaging",
        "revision": 1,
        "expire_after_minutes": 60,
        "localization": {},
        "nodes": [
            {
                "uuid": "7e5a0000-0000-4000-8000-0000000000a1",
                "actions": [
                    {"uuid": "7e5a0000-0000-4000-8000-0000000000b1", "type": "set_run_result", "name": "Color",
                     "value": "red", "category": "Red"},
                    {"uuid": "7e5a0000-0000-4000-8000-0000000000b2", "type": "call_resthook",
                     "resthook": "New-Registration", "result_name": "Hook"},
                    {"uuid": "7e5a0000-0000-4000-8000-0000000000b3", "type": "send_msg",
                     "text": "Hook: @results.hook.category @webhook.status"},
                ],
                "exits": [{"uuid": "7e5a0000-0000-4000-8000-0000000000c1"}],
            }
        ],
    }  # fmt: skip


async def test_a_flow_calls_a_resthook_with_two_subscribers(
    app: Any,
    client: httpx.AsyncClient,
    tenant: Tenant,
    backend: Backend,
    worker: Any,
    db: Any,
    tmp_path: Path,
    moments: Clock,
    subscribers: tuple[Subscriber, Subscriber],
) -> None:
    gone, flaky = subscribers
    channel = await add_channel(backend, tenant)
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        flow = await save_flow(session, ws, flow_definition())  # saving it creates the resthook
        await flow_triggers.create(session, ws, trigger_type="keyword", flow=flow, keywords=["join"])
        await session.commit()
    hooks = (await client.get("/api/v2/resthooks.json")).json()["results"]
    assert [h["resthook"] for h in hooks] == ["new-registration"]
    for target in (gone.url, flaky.url):
        resp = await client.post(
            "/api/v2/resthook_subscribers.json", json={"resthook": "new-registration", "target_url": target}
        )
        assert resp.status_code == 201, resp.text
    shown = sauti(backend, tmp_path, "resthook", "secret", "--workspace", "Nyaruka")
    assert shown.returncode == 0, shown.stderr
    secret = shown.stdout.strip()
    assert len(secret) == 64

    # the contact texts the keyword to the test channel: the flow runs and calls both subscribers at once
    resp = await client.post(f"/c/test/{channel.uuid}/receive", data={"from": "+250788123123", "text": "join"})
    assert resp.status_code == 200, resp.text
    assert len(gone.seen) == 1 and len(flaky.seen) == 1

    # the run: the last failure (the 500) is @webhook and the result
    async with db() as session:
        contact = (
            await session.execute(select(Contact).where(Contact.workspace_id == tenant.workspace.id))
        ).scalar_one()
        run = (await session.execute(select(FlowRun).where(FlowRun.contact_id == contact.id))).scalar_one()
    assert run.status == "completed"
    assert (run.results["hook"]["value"], run.results["hook"]["category"]) == ("500", "Failure")
    assert run.results["hook"]["input"] == f"POST {flaky.url}"
    async with db() as session:
        texts = await session.execute(
            select(Message.text).where(Message.contact_id == contact.id, Message.direction == "out")
        )
        assert list(texts.scalars()) == ["Hook: Failure 500"]

    # the event, as the subscribers were sent it
    (event,) = (await client.get("/api/v2/resthook_events.json")).json()["results"]
    assert event["resthook"] == "new-registration"
    data = event["data"]
    assert data["contact"] == {"uuid": contact.uuid, "name": "", "urn": "tel:+250788123123", "language": None}
    assert data["flow"] == {"uuid": FLOW, "name": "Register", "revision": 1}
    assert data["results"]["color"]["value"] == "red" and data["run"]["uuid"] == run.uuid
    assert data["input"]["text"] == "join" and data["input"]["urn"]["path"] == "+250788123123"
    assert data["channel"]["uuid"] == channel.uuid
    assert json.loads(gone.seen[0][1]) == data == json.loads(flaky.seen[0][1])

    # the 410 subscriber is gone, and its resthook was bumped
    listed = (await client.get("/api/v2/resthook_subscribers.json")).json()["results"]
    assert [s["target_url"] for s in listed] == [flaky.url]
    stored = await row(db, ResthookSubscriber, ResthookSubscriber.target_url == gone.url)
    assert stored.is_active is False
    hook = await row(db, Resthook, Resthook.slug == "new-registration")
    assert hook.modified_on == stored.modified_on

    # the failed subscriber waits for the worker: a minute later it fails again, five minutes after that it works
    delivery = await row(db, WebhookDelivery, WebhookDelivery.subscriber_id.is_not(None))
    assert (delivery.status, delivery.attempts, delivery.url) == ("pending", 1, flaky.url)
    await worker.drain()  # the flow's reply goes out; the retry is not due yet
    assert len(flaky.seen) == 1
    moments.now += timedelta(minutes=1)
    await worker.drain()
    assert len(flaky.seen) == 2
    moments.now += timedelta(minutes=5)
    await worker.drain()
    assert len(flaky.seen) == 3
    delivery = await row(db, WebhookDelivery, WebhookDelivery.id == delivery.id)
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert len(gone.seen) == 1  # never called again

    # every attempt: one idempotency key, the same body, each signed (afresh) with the workspace's secret
    keys = {headers["Idempotency-Key"] for headers, _ in flaky.seen}
    assert keys == {delivery.uuid}
    assert all(body == flaky.seen[0][1] for _, body in flaky.seen)
    assert all(verify(secret, headers, body) for headers, body in flaky.seen + gone.seen)
    assert not verify("another secret", *flaky.seen[0])
    tampered = flaky.seen[0][1].replace(b"join", b"quit")
    assert not verify(secret, flaky.seen[0][0], tampered)

    # the admin's log: the flow's two calls and the worker's two retries, newest first
    log = sauti(backend, tmp_path, "webhook", "log", "--workspace", "Nyaruka")
    assert log.returncode == 0, log.stderr
    header, *lines = log.stdout.splitlines()
    assert header.split("\t") == ["when", "kind", "status", "elapsed_ms", "outcome", "url"]
    summary = [(cols[1], cols[2], cols[5]) for cols in (line.split("\t") for line in lines)]
    assert summary == [
        ("delivery", "200", flaky.url),
        ("delivery", "503", flaky.url),
        ("flow", "500", flaky.url),
        ("flow", "410", gone.url),
    ]
