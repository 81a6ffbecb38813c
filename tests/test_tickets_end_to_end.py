"""Tickets end to end: a flow with ``open_ticket`` started through ``flow_starts.json`` and run by the worker
opens a ticket (visible in ``tickets.json``, the flow's messages reading ``@ticket`` and splitting on
``@locals._new_ticket``); ``ticket_actions.json`` then assigns, notes, moves, closes and reopens it, and
``topics.json`` counts right after every step. On both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.models import Contact, Flow, Message, Ticket, TicketEvent
from tests.api.rapidpro.flow_helpers import add_flow
from tests.api.rapidpro.helpers import count, create_contact, row
from tests.api.rapidpro.ticket_helpers import add_user, kept_counts
from tests.conftest import Backend, Tenant, add_channel

pytestmark = pytest.mark.usefixtures("app")
FLOW = "7e100000-0000-4000-8000-000000000001"


def _node(uuid: str, actions: list[dict[str, Any]], **rest: Any) -> dict[str, Any]:
    return {"uuid": uuid, "actions": actions, "exits": [{"uuid": "7e8" + uuid[3:]}], **rest}


def support_flow(topic: dict[str, str]) -> dict[str, Any]:
    """Opens a ticket under ``topic`` for agent@nyaruka.com, then says which way its router went."""
    say = "7e200000-0000-4000-8000-00000000000"
    filed = "Ticket @ticket.uuid filed under @ticket.topic.name for @ticket.assignee.name"
    return {
        "uuid": FLOW,
        "name": "Support",
        "spec_version": "14.4.2",
        "language": "eng",
        "type": "messaging",
        "nodes": [
            {
                "uuid": "7e300000-0000-4000-8000-000000000001",
                "actions": [
                    {
                        "uuid": "7e400000-0000-4000-8000-000000000001",
                        "type": "open_ticket",
                        "topic": topic,
                        "assignee": {"email": "agent@nyaruka.com"},
                        "note": "@contact.name needs help",
                    }
                ],
                "router": {
                    "type": "switch",
                    "operand": "@locals._new_ticket",
                    "cases": [
                        {"uuid": "7e500000-0000-4000-8000-000000000001", "type": "has_text", "arguments": [],
                         "category_uuid": "7e600000-0000-4000-8000-000000000001"}
                    ],
                    "categories": [
                        {"uuid": "7e600000-0000-4000-8000-000000000001", "name": "Success",
                         "exit_uuid": "7e700000-0000-4000-8000-000000000001"},
                        {"uuid": "7e600000-0000-4000-8000-000000000002", "name": "Failure",
                         "exit_uuid": "7e700000-0000-4000-8000-000000000002"},
                    ],
                    "default_category_uuid": "7e600000-0000-4000-8000-000000000002",
                },
                "exits": [
                    {"uuid": "7e700000-0000-4000-8000-000000000001", "destination_uuid": say + "1"},
                    {"uuid": "7e700000-0000-4000-8000-000000000002", "destination_uuid": say + "2"},
                ],
            },
            _node(say + "1", [{"uuid": "7e400000-0000-4000-8000-000000000002", "type": "send_msg",
                               "text": filed}]),
            _node(say + "2", [{"uuid": "7e400000-0000-4000-8000-000000000003", "type": "send_msg",
                               "text": "You already have ticket @ticket.uuid"}]),
        ],
    }  # fmt: skip


async def _texts(db: Any, contact_uuid: str) -> list[str]:
    async with db() as session:
        rows = await session.execute(
            select(Message.text)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Contact.uuid == contact_uuid, Message.direction == "out")
            .order_by(Message.id)
        )
        return list(rows.scalars())


async def _start(client: httpx.AsyncClient, worker: Any, *contacts: str) -> None:
    resp = await client.post("/api/v2/flow_starts.json", json={"flow": FLOW, "contacts": list(contacts)})
    assert resp.status_code == 201, resp.text
    await worker.drain()


async def _counts(client: httpx.AsyncClient) -> dict[str, dict[str, int]]:
    resp = await client.get("/api/v2/topics.json")
    assert resp.status_code == 200
    return {t["name"]: t["counts"] for t in resp.json()["results"]}


async def test_a_flow_opens_a_ticket_and_ticket_actions_change_it(
    client: httpx.AsyncClient, tenant: Tenant, backend: Backend, worker: Any, db: Any
) -> None:
    await add_channel(backend, tenant)
    await add_user(db, tenant.workspace.id, "agent@nyaruka.com", first="Agnes")
    await add_user(db, tenant.workspace.id, "second@nyaruka.com", first="Sam")
    billing = (await client.post("/api/v2/topics.json", json={"name": "Billing"})).json()
    flow = await add_flow(db, tenant.workspace.id, support_flow({"uuid": billing["uuid"], "name": "Billing"}))
    bob = await create_contact(client, name="Bob", urns=["tel:+250788123001"])
    ann = await create_contact(client, name="Ann", urns=["tel:+250788123002"])

    await _start(client, worker, bob["uuid"])
    listed = (await client.get("/api/v2/tickets.json")).json()["results"]
    assert len(listed) == 1
    ticket = listed[0]
    assert ticket == {
        "uuid": ticket["uuid"],
        "contact": {"uuid": bob["uuid"], "name": "Bob"},
        "status": "open",
        "topic": {"uuid": billing["uuid"], "name": "Billing"},
        "body": None,
        "assignee": {"email": "agent@nyaruka.com", "name": "Agnes Agent"},
        "opened_on": ticket["opened_on"],
        "opened_by": None,
        "opened_in": {"uuid": FLOW, "name": "Support"},
        "modified_on": ticket["modified_on"],
        "closed_on": None,
    }
    uuid = ticket["uuid"]
    stored = await row(db, Ticket, Ticket.uuid == uuid)
    assert stored.opened_in_id == flow.id
    async with db() as session:
        events = await session.execute(
            select(TicketEvent.event_type, TicketEvent.note, TicketEvent.origin)
            .where(TicketEvent.ticket_id == stored.id)
            .order_by(TicketEvent.id)
        )
        assert list(events) == [("opened", None, "flow"), ("note_added", "Bob needs help", "flow")]
    assert await _texts(db, bob["uuid"]) == [f"Ticket {uuid} filed under Billing for Agnes Agent"]
    assert await _counts(client) == {"Billing": {"open": 1, "closed": 0}, "General": {"open": 0, "closed": 0}}
    assert (await row(db, Contact, Contact.uuid == bob["uuid"])).tickets == 1
    groups = (await client.get("/api/v2/contacts.json", params={"uuid": bob["uuid"]})).json()["results"][0]["groups"]
    assert [g["name"] for g in groups] == ["Open Tickets"]

    # again: Bob has an open ticket, so nothing is opened and the flow takes its Failure branch
    await _start(client, worker, bob["uuid"])
    assert await count(db, Ticket) == 1
    assert (await _texts(db, bob["uuid"]))[-1] == f"You already have ticket {uuid}"

    # a start for two contacts is a batch: no tickets are opened in batch starts
    await _start(client, worker, bob["uuid"], ann["uuid"])
    assert await count(db, Ticket) == 1
    assert (await _texts(db, ann["uuid"])) == ["You already have ticket "]
    assert await _counts(client) == {"Billing": {"open": 1, "closed": 0}, "General": {"open": 0, "closed": 0}}

    actions = "/api/v2/ticket_actions.json"
    resp = await client.post(actions, json={"tickets": [uuid], "action": "assign", "assignee": "second@nyaruka.com"})
    assert resp.status_code == 204
    assignee = (await client.get("/api/v2/tickets.json")).json()["results"][0]["assignee"]
    assert assignee == {"email": "second@nyaruka.com", "name": "Sam Agent"}

    resp = await client.post(actions, json={"tickets": [uuid], "action": "add_note", "note": "Refund sent"})
    assert resp.status_code == 204
    assert await count(db, TicketEvent, TicketEvent.note == "Refund sent") == 1

    general = next(t for t in (await client.get("/api/v2/topics.json")).json()["results"] if t["system"])
    resp = await client.post(actions, json={"tickets": [uuid], "action": "change_topic", "topic": general["uuid"]})
    assert resp.status_code == 204
    assert await _counts(client) == {"Billing": {"open": 0, "closed": 0}, "General": {"open": 1, "closed": 0}}

    resp = await client.post(actions, json={"tickets": [uuid], "action": "close"})
    assert resp.status_code == 204
    assert await _counts(client) == {"Billing": {"open": 0, "closed": 0}, "General": {"open": 0, "closed": 1}}
    assert (await row(db, Contact, Contact.uuid == bob["uuid"])).tickets == 0
    closed = (await client.get("/api/v2/tickets.json", params={"uuid": uuid})).json()["results"][0]
    assert closed["status"] == "closed" and closed["closed_on"] is not None

    # closed: the flow may open a new ticket for Bob, and then the old one can't be reopened
    await _start(client, worker, bob["uuid"])
    assert await count(db, Ticket, Ticket.status == "open") == 1
    assert await _counts(client) == {"Billing": {"open": 1, "closed": 0}, "General": {"open": 0, "closed": 1}}
    resp = await client.post(actions, json={"tickets": [uuid], "action": "reopen"})
    assert resp.status_code == 200 and resp.json() == {"failures": [uuid]}
    newer = (await row(db, Ticket, Ticket.status == "open")).uuid
    assert (await client.post(actions, json={"tickets": [newer], "action": "close"})).status_code == 204
    resp = await client.post(actions, json={"tickets": [uuid], "action": "reopen"})
    assert resp.status_code == 204
    assert await _counts(client) == {"Billing": {"open": 0, "closed": 1}, "General": {"open": 1, "closed": 0}}
    assert await kept_counts(db, tenant.workspace.id) == {
        "Billing": {"open": 0, "closed": 1},
        "General": {"open": 1, "closed": 0},
    }
    async with db() as session:
        kinds = await session.execute(
            select(TicketEvent.event_type).where(TicketEvent.ticket_id == stored.id).order_by(TicketEvent.id)
        )
        assert list(kinds.scalars()) == [
            "opened", "note_added", "assigned", "note_added", "topic_changed", "closed", "reopened",
        ]  # fmt: skip
    assert await row(db, Flow, Flow.id == flow.id) is not None
