"""``call_classifier`` against a local fake Wit.ai server: the flow's text goes to ``GET /message?v=&q=`` with the
classifier's Bearer token, the intents and entities come back as the result a ``has_top_intent`` router reads;
an error answer, a refused loopback host and a removed classifier take the Failure path, a LUIS classifier stays
``action_unsupported``, and no token ever reaches the session's state or its events."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from sauti.domain.classifiers import service as classifiers
from sauti.domain.flows import runner
from sauti.domain.flows import webhooks as flow_webhooks
from sauti.domain.flows.definitions import save_flow
from sauti.kit import clock
from sauti.models import Flow, FlowRun, FlowSession
from tests.conftest import Backend, Tenant
from tests.domain.flow_support import World, make_world, use_clock
from tests.domain.test_flow_runtime import new_contact

TOKEN = "wit-secret-token-1"
CLASSIFIER = "03000000-0000-4000-8000-0000000000c1"


class FakeWit:
    """``GET /message``: 401 without the right Bearer token; otherwise intents and entities for the text."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, list[str]], str]] = []  # path, query, authorization
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                auth = self.headers.get("Authorization", "")
                fake.seen.append((parts.path, query, auth))
                if auth != f"Bearer {TOKEN}":
                    status, body = 401, {"error": "Bad auth, check token/params", "code": "no-auth"}
                else:
                    text = query.get("q", [""])[0]
                    flight = "flight" in text
                    status, body = 200, {
                        "text": text,
                        "intents": [
                            {"id": "1", "name": "book_hotel", "confidence": 0.3 if flight else 0.9},
                            {"id": "2", "name": "book_flight", "confidence": 0.95 if flight else 0.1},
                        ],
                        "entities": {
                            "wit$location:location": [
                                {"id": "9", "name": "wit$location", "role": "location", "value": "Lima",
                                 "confidence": 0.4, "body": "Lima"},
                                {"id": "8", "name": "wit$location", "role": "location", "value": "Quito",
                                 "confidence": 0.97, "body": "Quito"},
                            ]
                        },
                        "traits": {},
                    }  # fmt: skip
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def wit() -> Iterator[FakeWit]:
    use_clock()
    flow_webhooks.configure(timeout=2.0, allow_private=True)
    fake = FakeWit()
    yield fake
    fake.close()
    flow_webhooks.reset()
    clock.set_clock(None)


def booking_flow(classifier_uuid: str, text: str) -> dict[str, Any]:
    """Classify ``text``; a top intent book_flight (0.7 or more) books a flight to the best location, else Other."""
    return {
        "uuid": "5e1d43c4-3a8e-4b8c-9e37-2f2a9c1b7d21",
        "name": "Booking",
        "spec_version": "14.4.2",
        "language": "eng",
        "type": "messaging",
        "nodes": [
            {
                "uuid": "b9000000-0000-4000-8000-000000000011",
                "actions": [
                    {"uuid": "a9000000-0000-4000-8000-000000000011", "type": "call_classifier",
                     "classifier": {"uuid": classifier_uuid, "name": "Booking"},
                     "input": text, "result_name": "Intent"}
                ],
                "router": {
                    "type": "switch",
                    "operand": "@results.intent",
                    "result_name": "Choice",
                    "cases": [
                        {"uuid": "d9000000-0000-4000-8000-000000000011", "type": "has_top_intent",
                         "arguments": ["book_flight", "0.7"], "category_uuid": "c9000000-0000-4000-8000-000000000011"},
                        {"uuid": "d9000000-0000-4000-8000-000000000012", "type": "has_category",
                         "arguments": ["Failure"], "category_uuid": "c9000000-0000-4000-8000-000000000013"},
                    ],
                    "categories": [
                        {"uuid": "c9000000-0000-4000-8000-000000000011", "name": "Flight",
                         "exit_uuid": "e9000000-0000-4000-8000-000000000011"},
                        {"uuid": "c9000000-0000-4000-8000-000000000012", "name": "Other",
                         "exit_uuid": "e9000000-0000-4000-8000-000000000012"},
                        {"uuid": "c9000000-0000-4000-8000-000000000013", "name": "Failure",
                         "exit_uuid": "e9000000-0000-4000-8000-000000000013"},
                    ],
                    "default_category_uuid": "c9000000-0000-4000-8000-000000000012",
                },
                "exits": [
                    {"uuid": "e9000000-0000-4000-8000-000000000011",
                     "destination_uuid": "b9000000-0000-4000-8000-000000000012"},
                    {"uuid": "e9000000-0000-4000-8000-000000000012",
                     "destination_uuid": "b9000000-0000-4000-8000-000000000013"},
                    {"uuid": "e9000000-0000-4000-8000-000000000013",
                     "destination_uuid": "b9000000-0000-4000-8000-000000000014"},
                ],
            },
            {
                "uuid": "b9000000-0000-4000-8000-000000000012",
                "actions": [{"uuid": "a9000000-0000-4000-8000-000000000012", "type": "send_msg",
                             "text": "Flight to @results.choice.extra.location"}],
                "exits": [{"uuid": "e9000000-0000-4000-8000-000000000014"}],
            },
            {
                "uuid": "b9000000-0000-4000-8000-000000000013",
                "actions": [{"uuid": "a9000000-0000-4000-8000-000000000013", "type": "send_msg",
                             "text": "Something else: @results.intent"}],
                "exits": [{"uuid": "e9000000-0000-4000-8000-000000000015"}],
            },
            {
                "uuid": "b9000000-0000-4000-8000-000000000014",
                "actions": [{"uuid": "a9000000-0000-4000-8000-000000000014", "type": "send_msg", "text": "Sorry"}],
                "exits": [{"uuid": "e9000000-0000-4000-8000-000000000016"}],
            },
        ],
    }  # fmt: skip


async def add(backend: Backend, tenant: Tenant, kind: str = "wit", token: str = TOKEN, url: str | None = None) -> str:
    async with backend.sessionmaker() as session:
        ws = await session.get(type(tenant.workspace), tenant.workspace.id)
        assert ws is not None
        made = await classifiers.add(
            session, ws, classifier_type=kind, name="Booking", token=token, url=url, version="20240304"
        )
        await session.commit()
        return made.uuid


async def run_booking(
    backend: Backend, tenant: Tenant, classifier_uuid: str, text: str = "book me a flight to Quito"
) -> tuple[World, int, FlowRun, FlowSession]:
    world = await make_world(backend, tenant)
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        flow = await save_flow(session, ws, booking_flow(classifier_uuid, text))
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
        fs = await session.get(FlowSession, run.session_id)
        assert fs is not None
    return world, contact, run, fs


async def texts(world: World, contact: int) -> list[str]:
    return [m.text for m in await world.outgoing(contact)]


async def test_a_wit_classification_is_the_result_the_router_reads(
    backend: Backend, tenant: Tenant, wit: FakeWit
) -> None:
    uuid = await add(backend, tenant, url=wit.base)
    world, contact, run, fs = await run_booking(backend, tenant, uuid)
    assert wit.seen == [("/message", {"v": ["20240304"], "q": ["book me a flight to Quito"]}, f"Bearer {TOKEN}")]
    assert await texts(world, contact) == ["Flight to Quito"]
    intent = run.results["intent"]
    assert (intent["value"], intent["category"], intent["input"]) == (
        "book_flight",
        "Success",
        "book me a flight to Quito",
    )
    assert intent["extra"]["intents"] == [
        {"name": "book_flight", "confidence": "0.95"},
        {"name": "book_hotel", "confidence": "0.3"},
    ]
    assert intent["extra"]["entities"] == {
        "location": [{"value": "Quito", "confidence": "0.97"}, {"value": "Lima", "confidence": "0.4"}]
    }
    assert run.results["choice"]["category"] == "Flight" and run.status == "completed"
    assert TOKEN not in json.dumps(fs.state) and TOKEN not in json.dumps(run.results)


async def test_another_intent_takes_the_other_exit(backend: Backend, tenant: Tenant, wit: FakeWit) -> None:
    uuid = await add(backend, tenant, url=wit.base)
    world, contact, run, _ = await run_booking(backend, tenant, uuid, "a room for two nights")
    assert await texts(world, contact) == ["Something else: book_hotel"]
    assert run.results["choice"]["category"] == "Other"


async def test_a_bad_token_is_a_failure(backend: Backend, tenant: Tenant, wit: FakeWit) -> None:
    uuid = await add(backend, tenant, token="wrong", url=wit.base)
    world, contact, run, fs = await run_booking(backend, tenant, uuid)
    assert [auth for _, _, auth in wit.seen] == ["Bearer wrong"]
    assert await texts(world, contact) == ["Sorry"]
    assert (run.results["intent"]["value"], run.results["intent"]["category"]) == ("0", "Failure")
    assert "wrong" not in json.dumps(fs.state)


async def test_a_loopback_host_is_refused_unless_allowed(backend: Backend, tenant: Tenant, wit: FakeWit) -> None:
    flow_webhooks.configure(timeout=2.0, allow_private=False)
    uuid = await add(backend, tenant, url=wit.base)
    world, contact, run, _ = await run_booking(backend, tenant, uuid)
    assert wit.seen == []
    assert await texts(world, contact) == ["Sorry"]
    assert run.results["intent"]["category"] == "Failure"


async def test_a_removed_classifier_is_a_missing_dependency(backend: Backend, tenant: Tenant, wit: FakeWit) -> None:
    uuid = await add(backend, tenant, url=wit.base)
    async with backend.sessionmaker() as session:
        ws = await session.get(type(tenant.workspace), tenant.workspace.id)
        assert ws is not None
        await classifiers.remove(session, ws, uuid)
        await session.commit()
    world, contact, run, _ = await run_booking(backend, tenant, uuid)
    assert wit.seen == []
    assert await texts(world, contact) == ["Sorry"]
    assert run.results["intent"]["category"] == "Failure"


async def test_a_luis_classifier_stays_unsupported(backend: Backend, tenant: Tenant, wit: FakeWit) -> None:
    uuid = await add(backend, tenant, kind="luis", url=wit.base)
    world, contact, run, _ = await run_booking(backend, tenant, uuid)
    assert wit.seen == []
    assert "intent" not in run.results  # nothing saved: the router's default category
    assert await texts(world, contact) == ["Something else: "]
    assert run.results["choice"]["category"] == "Other" and run.status == "completed"
