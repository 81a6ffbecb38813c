"""Every list endpoint runs a fixed number of queries per page, whatever the page size (1 or 250) and however
many related rows its objects have: the count is pinned here, so an N+1 fails a test."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from sauti.domain.classifiers import service as classifiers
from sauti.kit import clock
from sauti.models import Archive, Contact, FlowStart, Message, Ticket
from tests.api.rapidpro.flow_helpers import add_flow, add_run, contact_id, registration, variant
from tests.api.rapidpro.helpers import create_contact, create_field, create_group
from tests.api.rapidpro.ticket_helpers import open_ticket
from tests.conftest import Backend, Tenant, add_channel
from tests.support.queries import counted

pytestmark = pytest.mark.usefixtures("app")

# statements per list request: authentication (1), the page (1), and what each endpoint loads for its page. Counted
# after one request of the same listing, as a running server serves it: what is kept per process under the
# workspace's assets version (the fields a contact page shows, the usages a field listing shows) is in place then
EXPECTED = {
    "archives": 3,  # + the count (limit/offset pages say how many match)
    "broadcasts": 4,  # + contacts, groups named by the page
    "channels": 2,
    "classifiers": 2,
    "contacts": 6,  # + URNs, groups and values (one union), notes, the flows contacts are in (fields: kept)
    "fields": 2,  # the usages by smart groups, flows and campaign events: kept (see below)
    "flows": 2,
    "flow_starts": 5,  # + flows, contacts, groups named by the page
    "runs": 6,  # + flows, contacts, their URNs, starts
    "globals": 2,
    "groups": 2,
    "labels": 3,  # + message counts
    "messages": 7,  # + contacts, URNs, channels, labels, flows
    "users": 3,  # + the page's users
    "resthooks": 2,
    "resthook_subscribers": 3,  # + the slugs of the page's resthooks
    "resthook_events": 3,  # + the slugs of the page's resthooks
    "tickets": 6,  # + contacts, topics, users (assignees), flows (opened_in)
    "topics": 3,  # + the kept ticket counts
}


async def _seed(client: httpx.AsyncClient, backend: Backend, tenant: Tenant) -> None:
    await add_channel(backend, tenant)
    await add_channel(backend, tenant, "EX", name="Gateway", address="+250788000009", config={"send_url": "http://x"})
    async with backend.sessionmaker() as session:
        from sauti.domain.workspaces import service as ws_service
        from sauti.models import Workspace

        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        for day in (1, 2, 3):
            session.add(
                Archive(
                    uuid=clock.new_uuid(),
                    workspace_id=ws.id,
                    archive_type="message",
                    period="daily",
                    start_date=date(2026, 1, day),
                    status="ready",
                    record_count=2,
                    size=40,
                    hash="0" * 32,
                    path=f"archives/{ws.uuid}/{day}.jsonl.gz",
                    created_on=clock.now(),
                    modified_on=clock.now(),
                )
            )
        for name in ("Booking", "Support"):
            await classifiers.add(session, ws, classifier_type="wit", name=name, token="t", intents=["a", "b"])
        for email, role in (("ed@nyaruka.com", "editor"), ("ag@nyaruka.com", "agent")):
            user = await ws_service.create_user(session, email=email, first_name="E", last_name="D")
            await ws_service.grant_role(session, ws, user, role)
        await session.commit()
    await create_field(client, "Age", "number")
    await create_field(client, "Nickname")
    await create_group(client, "Adults", "age >= 18")
    await create_group(client, "Team")
    for i in range(4):
        contact = await create_contact(
            client,
            name=f"C{i}",
            urns=[f"tel:+25078812310{i}", f"telegram:{1000 + i}"],
            groups=["Team"],
            fields={"age": 20 + i, "nickname": f"n{i}"},
        )
        await client.post(f"/api/v2/contacts.json?uuid={contact['uuid']}", json={"note": f"note {i}"})
        await client.post("/api/v2/messages.json", json={"contact": contact["uuid"], "text": f"hi {i}"})
        await client.post(
            "/api/v2/broadcasts.json", json={"text": "b", "contacts": [contact["uuid"]], "groups": ["Team"]}
        )
        await client.post("/api/v2/labels.json", json={"name": f"L{i}"})
        await client.post("/api/v2/globals.json", json={"name": f"G{i}", "value": "v"})
    reg = await add_flow(backend.sessionmaker, tenant.workspace.id, registration())
    await add_flow(backend.sessionmaker, tenant.workspace.id, variant("Other", "9a1b2c3d-0000-4000-8000-0000000000aa"))
    for i, contact in enumerate((await client.get("/api/v2/contacts.json")).json()["results"]):
        resp = await client.post(
            "/api/v2/flow_starts.json", json={"flow": reg.uuid, "contacts": [contact["uuid"]], "groups": ["Team"]}
        )
        assert resp.status_code == 201, resp.text
        async with backend.sessionmaker() as session:
            start_id = (
                await session.execute(select(FlowStart.id).where(FlowStart.uuid == resp.json()["uuid"]))
            ).scalar()
        await add_run(
            backend.sessionmaker,
            tenant.workspace.id,
            reg,
            await contact_id(backend.sessionmaker, contact["uuid"]),
            start_id=start_id if i % 2 else None,
        )
    channels = (await client.get("/api/v2/channels.json")).json()["results"]
    channel = next(c["uuid"] for c in channels if c["type"] == "test")
    for i in range(3):
        await client.post(f"/c/test/{channel}/receive", data={"from": f"+25078812310{i}", "text": f"in {i}"})
    inbox = (await client.get("/api/v2/messages.json", params={"folder": "inbox"})).json()["results"]
    for label in ("L0", "L1"):
        await client.post(
            "/api/v2/message_actions.json",
            json={"messages": [m["id"] for m in inbox], "action": "label", "label": label},
        )
    async with backend.sessionmaker() as session:
        from sauti.domain.resthooks import service as resthooks
        from sauti.models import ResthookEvent, Workspace

        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        for hook in await resthooks.ensure(session, ws, ["new-mother", "new-father"]):
            for n in range(2):
                await resthooks.subscribe(session, ws, resthook=hook.slug, target_url=f"https://x.example/{n}")
                session.add(
                    ResthookEvent(workspace_id=ws.id, resthook_id=hook.id, data={"n": n}, created_on=hook.created_on)
                )
        await session.commit()
    async with backend.sessionmaker() as session:  # every contact waits in the flow, every message belongs to it
        await session.execute(
            update(Contact).where(Contact.workspace_id == tenant.workspace.id).values(current_flow_id=reg.id)
        )
        await session.execute(update(Message).where(Message.workspace_id == tenant.workspace.id).values(flow_id=reg.id))
        await session.commit()
    # a ticket per contact, each assigned and opened in a flow, under two topics
    await client.post("/api/v2/topics.json", json={"name": "Billing"})
    topics = (await client.get("/api/v2/topics.json")).json()["results"]
    for i, contact in enumerate((await client.get("/api/v2/contacts.json")).json()["results"]):
        ticket = await open_ticket(
            backend.sessionmaker,
            tenant.workspace.id,
            contact["uuid"],
            topic_uuid=topics[i % 2]["uuid"],
            assignee="ag@nyaruka.com",
        )
        assert ticket is not None
        async with backend.sessionmaker() as session:
            await session.execute(update(Ticket).where(Ticket.id == ticket.id).values(opened_in_id=reg.id))
            await session.commit()


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
async def test_a_page_costs_a_fixed_number_of_queries(
    app: Any, client: httpx.AsyncClient, backend: Backend, tenant: Tenant, endpoint: str
) -> None:
    await _seed(client, backend, tenant)
    settings = app.state.settings
    counts: dict[int, int] = {}
    rows: dict[int, int] = {}
    assert (await client.get(f"/api/v2/{endpoint}.json")).status_code == 200
    for size in (1, 250):
        settings.page_size = size
        try:
            async with counted(app) as statements:
                response = await client.get(f"/api/v2/{endpoint}.json")
        finally:
            settings.page_size = 250
        assert response.status_code == 200, response.text
        rows[size] = len(response.json()["results"])
        counts[size] = len(statements)
    assert rows[1] == 1 and rows[250] > 1, rows  # both pages hold rows with their related rows
    assert counts == {1: EXPECTED[endpoint], 250: EXPECTED[endpoint]}, counts


@pytest.mark.parametrize(("endpoint", "param"), [("messages", "contact"), ("contacts", "uuid")])
async def test_a_contact_filter_costs_no_statement_of_its_own(
    app: Any, client: httpx.AsyncClient, backend: Backend, tenant: Tenant, endpoint: str, param: str
) -> None:
    """A contact's messages and a contact by UUID (two of bench.contacts' mixed small reads) find the contact in
    the page's own statement: as many statements as the listing without a filter, and one page of that contact's
    rows; an unknown contact is an empty page."""
    await _seed(client, backend, tenant)
    uuid = (await client.get("/api/v2/contacts.json")).json()["results"][0]["uuid"]
    assert (await client.get(f"/api/v2/{endpoint}.json", params={param: uuid})).status_code == 200
    async with counted(app) as statements:
        response = await client.get(f"/api/v2/{endpoint}.json", params={param: uuid})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    owner = [r["uuid"] if endpoint == "contacts" else r["contact"]["uuid"] for r in results]
    assert owner and set(owner) == {uuid}, owner
    assert len(statements) == EXPECTED[endpoint], statements
    unknown = await client.get(f"/api/v2/{endpoint}.json", params={param: "9f8e7d6c-0000-4000-8000-000000000001"})
    assert unknown.json() == {"next": None, "previous": None, "results": []}
