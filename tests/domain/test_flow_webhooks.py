"""``call_webhook`` against a real local HTTP server: the call is made (in a worker thread, the loop stays free),
``@webhook`` and the result are saved, a 500, a timeout and a too-large body take the Failure exit, a loopback
host is refused unless allowed, and every call is kept in ``flow_webhook_calls``."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from sauti.domain.flows import runner
from sauti.domain.flows import webhooks as flow_webhooks
from sauti.domain.flows.definitions import save_flow
from sauti.engine.services import MAX_RESPONSE_BYTES
from sauti.kit import clock
from sauti.models import Flow, FlowRun, FlowWebhookCall
from tests.conftest import Backend, Tenant
from tests.domain.flow_support import Clock, World, make_world, use_clock
from tests.domain.test_flow_runtime import new_contact


class Hooks:
    """A local receiver: ``/ok`` answers JSON, ``/fail`` a 500, ``/big`` a body over the limit, ``/hang`` nothing
    until the test ends, ``/gate`` waits until the test opens the gate, ``/moved`` a redirect to ``/ok``."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []  # method, path, body
        self.received = threading.Event()
        self.gate = threading.Event()
        self.done = threading.Event()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size).decode() if size else ""
                hooks.seen.append((self.command, self.path, body))
                hooks.received.set()
                if self.path == "/hang":
                    hooks.done.wait(10)
                    return
                if self.path == "/gate":
                    hooks.gate.wait(10)
                if self.path == "/moved":
                    self.send_response(302)
                    self.send_header("Location", "/ok")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, payload = 200, json.dumps({"name": "Amina", "echo": body}).encode()
                if self.path == "/fail":
                    status, payload = 500, b'{"error": "boom"}'
                elif self.path == "/price":
                    payload = b'{"name": "Amina", "price": 1.50, "rate": 0.1}'
                elif self.path == "/big":
                    payload = b'"' + b"x" * (MAX_RESPONSE_BYTES + 100) + b'"'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _answer
            do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.done.set()
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    c = use_clock()
    flow_webhooks.configure(timeout=0.5, allow_private=True)
    h = Hooks()
    yield h
    h.close()
    flow_webhooks.reset()
    clock.set_clock(None)
    assert isinstance(c, Clock)


def lookup_flow(url: str) -> dict[str, Any]:
    """POST ``{"contact": name}`` to ``url``; Success says hello with ``@webhook.json.name``, Failure says sorry."""
    return {
        "uuid": "5e1d43c4-3a8e-4b8c-9e37-2f2a9c1b7d20",
        "name": "Lookup",
        "spec_version": "14.4.2",
        "language": "eng",
        "type": "messaging",
        "nodes": [
            {
                "uuid": "b9000000-0000-4000-8000-000000000001",
                "actions": [
                    {
                        "uuid": "a9000000-0000-4000-8000-000000000001",
                        "type": "call_webhook",
                        "method": "POST",
                        "url": url,
                        "headers": {"Content-Type": "application/json"},
                        "body": '{"contact": "@contact.name"}',
                    }
                ],
                "router": {
                    "type": "switch",
                    "operand": "@(default(webhook.status, 0))",
                    "result_name": "Lookup",
                    "cases": [
                        {
                            "uuid": "d9000000-0000-4000-8000-000000000001",
                            "type": "has_number_between",
                            "arguments": ["200", "299"],
                            "category_uuid": "c9000000-0000-4000-8000-000000000001",
                        }
                    ],
                    "categories": [
                        {"uuid": "c9000000-0000-4000-8000-000000000001", "name": "Success",
                         "exit_uuid": "e9000000-0000-4000-8000-000000000001"},
                        {"uuid": "c9000000-0000-4000-8000-000000000002", "name": "Failure",
                         "exit_uuid": "e9000000-0000-4000-8000-000000000002"},
                    ],
                    "default_category_uuid": "c9000000-0000-4000-8000-000000000002",
                },
                "exits": [
                    {"uuid": "e9000000-0000-4000-8000-000000000001",
                     "destination_uuid": "b9000000-0000-4000-8000-000000000002"},
                    {"uuid": "e9000000-0000-4000-8000-000000000002",
                     "destination_uuid": "b9000000-0000-4000-8000-000000000003"},
                ],
            },
            {
                "uuid": "b9000000-0000-4000-8000-000000000002",
                "actions": [{"uuid": "a9000000-0000-4000-8000-000000000002", "type": "send_msg",
                             "text": "Hello @webhook.json.name"}],
                "exits": [{"uuid": "e9000000-0000-4000-8000-000000000003"}],
            },
            {
                "uuid": "b9000000-0000-4000-8000-000000000003",
                "actions": [{"uuid": "a9000000-0000-4000-8000-000000000003", "type": "send_msg", "text": "Sorry"}],
                "exits": [{"uuid": "e9000000-0000-4000-8000-000000000004"}],
            },
        ],
    }  # fmt: skip


async def run_lookup(backend: Backend, tenant: Tenant, url: str) -> tuple[World, int, FlowRun, list[FlowWebhookCall]]:
    world = await make_world(backend, tenant)
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        flow = await save_flow(session, ws, lookup_flow(url))
        await session.commit()
    contact = await new_contact(world, "+250788000001", "Kofi")
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        row = await session.get(Flow, flow.id)
        assert row is not None
        assert await runner.start_contacts(session, ws, row, [contact]) == 1
        await session.commit()
    async with backend.sessionmaker() as session:
        run = (await session.execute(select(FlowRun).where(FlowRun.flow_id == flow.id))).scalar_one()
        calls = list((await session.execute(select(FlowWebhookCall).order_by(FlowWebhookCall.id))).scalars())
    assert all(c.flow_id == flow.id and c.contact_id == contact and c.session_id == run.session_id for c in calls)
    return world, contact, run, calls


async def texts(world: World, contact: int) -> list[str]:
    return [m.text for m in await world.outgoing(contact)]


async def test_a_call_saves_webhook_and_the_result(backend: Backend, tenant: Tenant, hooks: Hooks) -> None:
    world, contact, run, calls = await run_lookup(backend, tenant, hooks.base + "/ok")
    assert hooks.seen == [("POST", "/ok", '{"contact": "Kofi"}')]
    assert await texts(world, contact) == ["Hello Amina"]
    assert run.status == "completed"
    assert run.results["lookup"]["category"] == "Success" and run.results["lookup"]["value"] == "200"
    (call,) = calls
    assert (call.status, call.status_code, call.url) == ("success", 200, hooks.base + "/ok")
    assert call.request.startswith("POST /ok HTTP/1.1") and '{"contact": "Kofi"}' in call.request
    assert call.response.startswith("HTTP/1.1 200 OK") and '"name": "Amina"' in call.response
    assert call.elapsed_ms >= 0 and call.node_uuid == "b9000000-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [("/fail", "response_error", 500), ("/hang", "connection_error", 0)],
)  # fmt: skip
async def test_failures_take_the_failure_exit(
    backend: Backend, tenant: Tenant, hooks: Hooks, path: str, status: str, code: int
) -> None:
    world, contact, run, calls = await run_lookup(backend, tenant, hooks.base + path)
    assert await texts(world, contact) == ["Sorry"]
    assert run.results["lookup"]["category"] == "Failure"
    (call,) = calls
    assert (call.status, call.status_code) == (status, code)
    assert [p for _, p, _ in hooks.seen] == [path]


async def test_a_redirect_is_followed_after_its_target_is_checked(
    backend: Backend, tenant: Tenant, hooks: Hooks
) -> None:
    """DECISION (kit/outbound): a 302 to an allowed target is followed; the POST becomes a GET without body."""
    world, contact, _, calls = await run_lookup(backend, tenant, hooks.base + "/moved")
    assert await texts(world, contact) == ["Hello Amina"]
    (call,) = calls
    assert (call.status, call.status_code) == ("success", 200)
    assert [(m, p, b) for m, p, b in hooks.seen] == [("POST", "/moved", '{"contact": "Kofi"}'), ("GET", "/ok", "")]


async def test_a_too_large_body_is_cut_and_not_read_as_json(backend: Backend, tenant: Tenant, hooks: Hooks) -> None:
    """The body is read up to MAX_RESPONSE_BYTES only; the engine marks the call a connection error and leaves
    ``@webhook.json`` empty, though ``@webhook.status`` stays the 200 that came (so a status split says Success)."""
    world, contact, _, calls = await run_lookup(backend, tenant, hooks.base + "/big")
    assert await texts(world, contact) == ["Hello "]
    (call,) = calls
    assert (call.status, call.status_code) == ("connection_error", 200)
    assert len(call.response) <= 10_000  # the engine keeps a cut trace, never the whole body


async def test_the_loop_stays_free_during_a_call(backend: Backend, tenant: Tenant, hooks: Hooks) -> None:
    """``/gate`` answers only once a coroutine on the loop opens the gate: were the call made on the loop,
    nothing could open it and the call would time out into Failure."""
    flow_webhooks.configure(timeout=5, allow_private=True)

    async def open_gate() -> None:
        assert await asyncio.to_thread(hooks.received.wait, 5)
        hooks.gate.set()

    opener = asyncio.create_task(open_gate())
    world, contact, _, calls = await run_lookup(backend, tenant, hooks.base + "/gate")
    await opener
    assert await texts(world, contact) == ["Hello Amina"]
    assert [c.status for c in calls] == ["success"]


async def test_loopback_is_refused_unless_allowed(backend: Backend, tenant: Tenant, hooks: Hooks) -> None:
    flow_webhooks.configure(timeout=0.5, allow_private=False)
    world, contact, run, calls = await run_lookup(backend, tenant, hooks.base + "/ok")
    assert hooks.seen == [] and calls == []
    assert await texts(world, contact) == ["Sorry"]
    assert run.results["lookup"]["category"] == "Failure"


@pytest.mark.parametrize(
    ("host", "blocked"),
    [("127.0.0.1", True), ("10.1.2.3", True), ("192.168.0.9", True), ("169.254.169.254", True), ("[::1]", True),
     ("[fe80::1]", True), ("100.64.0.1", True), ("8.8.8.8", False), ("[2001:4860:4860::8888]", False)],
)  # fmt: skip
def test_private_addresses_are_refused_by_default(host: str, blocked: bool) -> None:
    service = flow_webhooks.HttpWebhooks(flow_webhooks.Policy())
    assert service.is_blocked(f"http://{host}/x") is blocked
    assert flow_webhooks.HttpWebhooks(flow_webhooks.Policy(allow_private=True)).is_blocked(f"http://{host}/x") is False


async def test_decimal_numbers_in_the_response_are_kept_exactly(backend: Backend, tenant: Tenant, hooks: Hooks) -> None:
    """The engine reads a response's numbers as Decimals (never floats); the session, the run's results and the
    call's legacy result keep them as the JSON numbers they were."""
    flow = lookup_flow(hooks.base + "/price")
    flow["nodes"][0]["actions"][0]["result_name"] = "Quote"  # the legacy result: the JSON is its extra
    flow["nodes"][1]["actions"][0]["text"] = "Hello @webhook.json.name, @webhook.json.price plus @webhook.json.rate"
    world = await make_world(backend, tenant)
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        row = await save_flow(session, ws, flow)
        await session.commit()
    contact = await new_contact(world, "+250788000001", "Kofi")
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        found = await session.get(Flow, row.id)
        assert found is not None
        assert await runner.start_contacts(session, ws, found, [contact]) == 1
        await session.commit()
    assert await texts(world, contact) == ["Hello Amina, 1.5 plus 0.1"]  # numbers rendered canonically
    async with backend.sessionmaker() as session:
        run = (await session.execute(select(FlowRun).where(FlowRun.flow_id == row.id))).scalar_one()
    assert run.status == "completed"
    assert run.results["quote"]["extra"] == {"name": "Amina", "price": 1.5, "rate": 0.1}
