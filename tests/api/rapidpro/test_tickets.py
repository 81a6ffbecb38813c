"""tickets.json (list, filters, ordering) and ticket_actions.json (assign, add_note, change_topic, close,
reopen): the responses, the tickets and events stored, and the kept counts of each topic."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.models import Contact, Ticket, TicketEvent
from tests.api.rapidpro.helpers import all_pages, count, create_contact, row
from tests.api.rapidpro.ticket_helpers import add_user, kept_counts, open_ticket
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("app")
URL = "/api/v2/tickets.json"
ACTIONS = "/api/v2/ticket_actions.json"
MISSING = "4b2c0f3e-0000-4000-8000-000000000001"


async def _events(db: Any, ticket_uuid: str) -> list[tuple[str, Any]]:
    async with db() as session:
        rows = await session.execute(
            select(TicketEvent.event_type, TicketEvent.note)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.uuid == ticket_uuid)
            .order_by(TicketEvent.id)
        )
        return [(k, n) for k, n in rows]


async def _seed(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> dict[str, Any]:
    await add_user(db, tenant.workspace.id, "agent@nyaruka.com")
    food = (await client.post("/api/v2/topics.json", json={"name": "Food"})).json()
    bob = await create_contact(client, name="Bob")
    ann = await create_contact(client, name="Ann")
    t1 = await open_ticket(db, tenant.workspace.id, bob["uuid"], assignee="agent@nyaruka.com")
    t2 = await open_ticket(db, tenant.workspace.id, ann["uuid"], topic_uuid=food["uuid"])
    assert t1 is not None and t2 is not None
    return {"food": food, "bob": bob, "ann": ann, "t1": t1.uuid, "t2": t2.uuid}


async def test_list_and_filters(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    s = await _seed(client, db, tenant)
    resp = await client.get(URL)
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert [t["uuid"] for t in results] == [s["t2"], s["t1"]]  # most recently modified first
    t1 = results[1]
    general = next(t for t in (await client.get("/api/v2/topics.json")).json()["results"] if t["system"])
    assert t1 == {
        "uuid": s["t1"],
        "contact": {"uuid": s["bob"]["uuid"], "name": "Bob"},
        "status": "open",
        "topic": {"uuid": general["uuid"], "name": "General"},
        "body": None,
        "assignee": {"email": "agent@nyaruka.com", "name": "Agnes Agent"},
        "opened_on": t1["opened_on"],
        "opened_by": None,
        "opened_in": None,
        "modified_on": t1["modified_on"],
        "closed_on": None,
    }
    assert results[0]["topic"] == {"uuid": s["food"]["uuid"], "name": "Food"} and results[0]["assignee"] is None
    reverse = (await client.get(URL, params={"reverse": "true"})).json()["results"]
    assert [t["uuid"] for t in reverse] == [s["t1"], s["t2"]]
    assert [t["uuid"] for t in (await client.get(URL, params={"uuid": s["t1"]})).json()["results"]] == [s["t1"]]
    by_contact = (await client.get(URL, params={"contact": s["ann"]["uuid"]})).json()["results"]
    assert [t["uuid"] for t in by_contact] == [s["t2"]]
    assert (await client.get(URL, params={"contact": MISSING})).json()["results"] == []
    assert (await client.get(URL, params={"contact": "nobody"})).json()["results"] == []  # DECISION: unchecked
    assert (await client.get(URL, params={"uuid": MISSING})).json()["results"] == []
    bad = await client.get(URL, params={"uuid": "xyz"})
    assert bad.status_code == 400 and bad.json() == {"detail": "Param 'uuid': xyz is not a valid UUID."}
    assert (await client.post(URL, json={})).status_code == 405
    assert (await client.get(ACTIONS)).status_code == 405


async def test_pages(app: Any, client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    for i in range(3):
        c = await create_contact(client, name=f"C{i}")
        await open_ticket(db, tenant.workspace.id, c["uuid"])
    app.state.settings.page_size = 2
    try:
        listed = await all_pages(client, URL)
    finally:
        app.state.settings.page_size = 250
    assert len({t["uuid"] for t in listed}) == 3


async def test_one_open_ticket_per_contact(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    bob = await create_contact(client, name="Bob")
    assert await open_ticket(db, tenant.workspace.id, bob["uuid"]) is not None
    assert await open_ticket(db, tenant.workspace.id, bob["uuid"]) is None
    assert await count(db, Ticket) == 1
    contact = await row(db, Contact, Contact.uuid == bob["uuid"])
    assert contact.tickets == 1
    # the "Open Tickets" smart group follows
    groups = (await client.get("/api/v2/contacts.json", params={"uuid": bob["uuid"]})).json()["results"][0]["groups"]
    assert [g["name"] for g in groups] == ["Open Tickets"]


async def test_actions_change_tickets_and_counts(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    s = await _seed(client, db, tenant)
    ws = tenant.workspace.id
    both = [s["t1"], s["t2"]]
    assert await kept_counts(db, ws) == {"General": {"open": 1, "closed": 0}, "Food": {"open": 1, "closed": 0}}

    # assign: t1 already has that assignee, so it is a failure; t2 changes
    resp = await client.post(ACTIONS, json={"tickets": both, "action": "assign", "assignee": "AGENT@nyaruka.com"})
    assert resp.status_code == 200 and resp.json() == {"failures": [s["t1"]]}
    assert (await row(db, Ticket, Ticket.uuid == s["t2"])).assignee_id is not None
    assert [k for k, _ in await _events(db, s["t2"])] == ["opened", "note_added", "assigned"]
    assert [k for k, _ in await _events(db, s["t1"])] == ["opened", "note_added"]
    resp = await client.post(ACTIONS, json={"tickets": [s["t2"]], "action": "assign", "assignee": None})
    assert resp.status_code == 204 and resp.content == b""
    assert (await row(db, Ticket, Ticket.uuid == s["t2"])).assignee_id is None

    resp = await client.post(ACTIONS, json={"tickets": both, "action": "add_note", "note": " Called back "})
    assert resp.status_code == 204
    assert (await _events(db, s["t1"]))[-1] == ("note_added", "Called back")

    resp = await client.post(ACTIONS, json={"tickets": both, "action": "change_topic", "topic": s["food"]["uuid"]})
    assert resp.status_code == 200 and resp.json() == {"failures": [s["t2"]]}
    assert await kept_counts(db, ws) == {"General": {"open": 0, "closed": 0}, "Food": {"open": 2, "closed": 0}}

    resp = await client.post(ACTIONS, json={"tickets": [s["t1"]], "action": "close"})
    assert resp.status_code == 204
    t1 = await row(db, Ticket, Ticket.uuid == s["t1"])
    assert (t1.status, t1.closed_on is not None) == ("closed", True)
    assert (await row(db, Contact, Contact.uuid == s["bob"]["uuid"])).tickets == 0
    resp = await client.post(ACTIONS, json={"tickets": both, "action": "close"})
    assert resp.status_code == 200 and resp.json() == {"failures": [s["t1"]]}
    assert await kept_counts(db, ws) == {"General": {"open": 0, "closed": 0}, "Food": {"open": 0, "closed": 2}}
    listed = {t["uuid"]: t for t in (await client.get(URL)).json()["results"]}
    assert listed[s["t1"]]["status"] == "closed" and listed[s["t1"]]["closed_on"] is not None

    resp = await client.post(ACTIONS, json={"tickets": both, "action": "reopen"})
    assert resp.status_code == 204
    assert await kept_counts(db, ws) == {"General": {"open": 0, "closed": 0}, "Food": {"open": 2, "closed": 0}}
    assert (await row(db, Ticket, Ticket.uuid == s["t1"])).closed_on is None
    resp = await client.post(ACTIONS, json={"tickets": [s["t1"]], "action": "reopen"})
    assert resp.status_code == 200 and resp.json() == {"failures": [s["t1"]]}
    topics = {t["name"]: t["counts"] for t in (await client.get("/api/v2/topics.json")).json()["results"]}
    assert topics == {"Food": {"open": 2, "closed": 0}, "General": {"open": 0, "closed": 0}}


async def test_reopen_refused_when_the_contact_has_another_open_ticket(
    client: httpx.AsyncClient, tenant: Tenant, db: Any
) -> None:
    bob = await create_contact(client, name="Bob")
    first = await open_ticket(db, tenant.workspace.id, bob["uuid"])
    assert first is not None
    assert (await client.post(ACTIONS, json={"tickets": [first.uuid], "action": "close"})).status_code == 204
    second = await open_ticket(db, tenant.workspace.id, bob["uuid"])
    assert second is not None
    resp = await client.post(ACTIONS, json={"tickets": [first.uuid], "action": "reopen"})
    assert resp.status_code == 200 and resp.json() == {"failures": [first.uuid]}
    assert (await row(db, Ticket, Ticket.uuid == first.uuid)).status == "closed"
    # both closed, then reopened together: only one of them may be open (the first listed wins)
    assert (await client.post(ACTIONS, json={"tickets": [second.uuid], "action": "close"})).status_code == 204
    resp = await client.post(ACTIONS, json={"tickets": [second.uuid, first.uuid], "action": "reopen"})
    assert resp.status_code == 200 and resp.json() == {"failures": [first.uuid]}
    assert await count(db, Ticket, Ticket.status == "open") == 1
    assert (await row(db, Contact, Contact.uuid == bob["uuid"])).tickets == 1
    assert await kept_counts(db, tenant.workspace.id) == {"General": {"open": 1, "closed": 1}}


async def test_closed_tickets_may_still_be_assigned_and_noted(
    client: httpx.AsyncClient, tenant: Tenant, db: Any
) -> None:
    """DECISION (tickets.service): assign, add_note and change_topic don't refuse closed tickets."""
    await add_user(db, tenant.workspace.id, "agent@nyaruka.com")
    bob = await create_contact(client, name="Bob")
    ticket = await open_ticket(db, tenant.workspace.id, bob["uuid"])
    assert ticket is not None
    assert (await client.post(ACTIONS, json={"tickets": [ticket.uuid], "action": "close"})).status_code == 204
    resp = await client.post(
        ACTIONS, json={"tickets": [ticket.uuid], "action": "assign", "assignee": "agent@nyaruka.com"}
    )
    assert resp.status_code == 204
    resp = await client.post(ACTIONS, json={"tickets": [ticket.uuid], "action": "add_note", "note": "done"})
    assert resp.status_code == 204
    stored = await row(db, Ticket, Ticket.uuid == ticket.uuid)
    assert (stored.status, stored.assignee_id is not None) == ("closed", True)
    assert [k for k, _ in await _events(db, ticket.uuid)][-3:] == ["closed", "assigned", "note_added"]


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"tickets": ["This field is required."], "action": ["This field is required."]}),
        ({"tickets": ["{t1}"], "action": "note"}, {"action": ['"note" is not a valid choice.']}),
        (
            {"tickets": ["{t1}"], "action": "assign"},
            {"non_field_errors": ['For action "assign" you must specify the assignee']},
        ),
        (
            {"tickets": ["{t1}"], "action": "add_note"},
            {"non_field_errors": ['For action "add_note" you must specify the note']},
        ),
        (
            {"tickets": ["{t1}"], "action": "add_note", "note": "  "},
            {"non_field_errors": ['For action "add_note" you must specify the note']},
        ),
        (
            {"tickets": ["{t1}"], "action": "add_note", "note": "n" * 10001},
            {"note": ["Ensure this field has no more than 10000 characters."]},
        ),
        (
            {"tickets": ["{t1}"], "action": "change_topic"},
            {"non_field_errors": ['For action "change_topic" you must specify the topic']},
        ),
        ({"tickets": ["{t1}"], "action": "change_topic", "topic": MISSING}, {"topic": [f"No such object: {MISSING}"]}),
        (
            {"tickets": ["{t1}"], "action": "assign", "assignee": "nobody@x.org"},
            {"assignee": ["No such object: nobody@x.org"]},
        ),
        ({"tickets": ["{t1}", MISSING], "action": "close"}, {"tickets": [f"No such object: {MISSING}"]}),
        (
            {"tickets": ["{t1}"] * 101, "action": "close"},
            {"tickets": ["Ensure this field has no more than 100 elements."]},
        ),
        ({"tickets": "{t1}", "action": "close"}, {"tickets": ['Expected a list of items but got type "str".']}),
    ],
)
async def test_action_errors_change_nothing(
    client: httpx.AsyncClient, tenant: Tenant, db: Any, payload: dict[str, Any], errors: Any
) -> None:
    s = await _seed(client, db, tenant)
    filled = {
        k: (
            [s["t1"] if v == "{t1}" else v for v in val] if isinstance(val, list) else s["t1"] if val == "{t1}" else val
        )
        for k, val in payload.items()
    }
    before = await count(db, TicketEvent)
    resp = await client.post(ACTIONS, json=filled)
    assert resp.status_code == 400, resp.text
    assert resp.json() == errors
    assert await count(db, TicketEvent) == before
    assert await count(db, Ticket, Ticket.status == "open") == 2


async def test_other_workspace_tickets_are_no_such_object(
    client: httpx.AsyncClient, tenant: Tenant, other: Tenant, db: Any
) -> None:
    s = await _seed(client, db, tenant)
    transport = httpx.ASGITransport(app=client._transport.app)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=other.headers) as b:
        resp = await b.post(ACTIONS, json={"tickets": [s["t1"]], "action": "close"})
        assert resp.status_code == 400 and resp.json() == {"tickets": [f"No such object: {s['t1']}"]}
        assert (await b.get(URL)).json()["results"] == []
    assert (await row(db, Ticket, Ticket.uuid == s["t1"])).status == "open"


async def test_two_openings_at_the_same_moment_leave_one_ticket(
    client: httpx.AsyncClient, db: Any, tenant: Tenant
) -> None:
    """The second transaction's check cannot see the first's uncommitted ticket; the one-open-ticket index
    refuses its insert, and it opens nothing (no error, counts moved once)."""
    import asyncio

    from sauti.domain.tickets import service as tickets
    from sauti.domain.topics import queries as topic_queries
    from sauti.models import Workspace

    contact = await create_contact(client, name="Ann", urns=["tel:+250788000001"])

    async def opener(session: Any) -> Ticket | None:
        ws = await session.get(Workspace, tenant.workspace.id)
        found = (await session.execute(select(Contact).where(Contact.uuid == contact["uuid"]))).scalar_one()
        topic = await topic_queries.default_topic(session, ws)
        return await tickets.open_ticket(session, ws, found, topic=topic)

    async with db() as first, db() as second:
        made = await opener(first)  # written, not committed
        assert made is not None
        racing = asyncio.create_task(opener(second))  # waits for the first's lock on the row or the database
        await asyncio.sleep(0.3)
        await first.commit()
        assert await racing is None
        await second.commit()
    assert await count(db, Ticket) == 1
    assert (await kept_counts(db, tenant.workspace.id))["General"]["open"] == 1
