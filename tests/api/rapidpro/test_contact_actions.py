"""contact_actions.json."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sauti.models import Contact, ContactGroup, GroupMember
from tests.api.rapidpro.helpers import count, create_contact, create_group, row

pytestmark = pytest.mark.usefixtures("app")
URL = "/api/v2/contact_actions.json"


async def test_add_remove(client: httpx.AsyncClient, db: Any) -> None:
    group = await create_group(client, "Testers")
    a = await create_contact(client, name="A", urns=["tel:+250788000001"])
    b = await create_contact(client, name="B")
    resp = await client.post(
        URL, json={"contacts": [a["uuid"], "tel:+250788000001", b["uuid"]], "action": "add", "group": "testers"}
    )
    assert resp.status_code == 204 and resp.content == b""
    stored = await row(db, ContactGroup, ContactGroup.uuid == group["uuid"])
    assert stored.member_count == 2
    assert await count(db, GroupMember, GroupMember.group_id == stored.id) == 2
    after = await row(db, Contact, Contact.uuid == a["uuid"])
    assert after.modified_on.strftime("%Y-%m-%dT%H:%M:%S.%fZ") > a["modified_on"]
    resp = await client.post(URL, json={"contacts": [b["uuid"]], "action": "remove", "group": group["uuid"]})
    assert resp.status_code == 204
    assert (await row(db, ContactGroup, ContactGroup.uuid == group["uuid"])).member_count == 1


async def test_block_unblock_delete(client: httpx.AsyncClient, db: Any) -> None:
    await create_group(client, "Testers")
    a = await create_contact(client, name="A", groups=["Testers"])
    assert (await client.post(URL, json={"contacts": [a["uuid"]], "action": "block"})).status_code == 204
    blocked = (await client.get("/api/v2/contacts.json")).json()["results"][0]
    assert blocked["status"] == "blocked" and blocked["blocked"] is True and blocked["groups"] == []
    assert (await row(db, ContactGroup, ContactGroup.name == "Testers")).member_count == 0
    add = await client.post(URL, json={"contacts": [a["uuid"]], "action": "add", "group": "Testers"})
    assert add.status_code == 400
    assert add.json() == {"non_field_errors": [f"Non-active contacts cannot be added to groups: {a['uuid']}"]}
    assert (await client.post(URL, json={"contacts": [a["uuid"]], "action": "unblock"})).status_code == 204
    assert (await row(db, Contact, Contact.uuid == a["uuid"])).status == "active"
    assert (await client.post(URL, json={"contacts": [a["uuid"]], "action": "delete"})).status_code == 204
    assert (await row(db, Contact, Contact.uuid == a["uuid"])).is_active is False
    gone = await client.post(URL, json={"contacts": [a["uuid"]], "action": "block"})
    assert gone.status_code == 400 and gone.json() == {"contacts": [f"No such object: {a['uuid']}"]}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"contacts": ["x"] * 101, "action": "add", "group": "Testers"},
            {"contacts": ["Ensure this field has no more than 100 elements."]},
        ),
        (
            {"contacts": ["{a}"], "action": "add"},
            {"non_field_errors": ['For action "add" you should also specify a group']},
        ),
        (
            {"contacts": ["{a}"], "action": "block", "group": "Testers"},
            {"non_field_errors": ['For action "block" you should not specify a group']},
        ),
        ({"contacts": [], "action": "block"}, {"contacts": ["Contacts can't be empty."]}),
        ({"contacts": ["{a}"], "action": "like"}, {"action": ['"like" is not a valid choice.']}),
        ({"contacts": ["{a}"], "action": "add", "group": ""}, {"group": ["This field may not be null."]}),
        ({"contacts": ["{a}"], "action": "add", "group": "Nope"}, {"group": ["No such object: Nope"]}),
        ({"action": "block"}, {"contacts": ["This field is required."]}),
        ({"contacts": ["{a}"]}, {"action": ["This field is required."]}),
    ],
)
async def test_errors_change_nothing(
    client: httpx.AsyncClient, db: Any, body: dict[str, Any], errors: dict[str, Any]
) -> None:
    await create_group(client, "Testers")
    a = await create_contact(client, name="A")
    body = dict(body)
    if "contacts" in body:
        body["contacts"] = [c.replace("{a}", a["uuid"]) for c in body["contacts"]]
    resp = await client.post(URL, json=body)
    assert resp.status_code == 400
    assert resp.json() == errors
    stored = await row(db, Contact, Contact.uuid == a["uuid"])
    assert stored.status == "active" and stored.is_active
    assert await count(db, GroupMember) == 0


async def test_get_not_allowed(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 405
    assert (await client.delete(URL)).status_code == 405


async def test_archive_messages(client: httpx.AsyncClient, db: Any, backend: Any, tenant: Any) -> None:
    from sqlalchemy import select

    from sauti.models import Message
    from tests.conftest import add_channel

    channel = await add_channel(backend, tenant)
    a = await create_contact(client, urns=["tel:+250788000001"])
    b = await create_contact(client, urns=["tel:+250788000002"])
    transport = client._transport
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as provider:
        for sender in ("+250788000001", "+250788000001", "+250788000002"):
            await provider.post(f"/c/test/{channel.uuid}/receive", data={"from": sender, "text": "hi"})
    await client.post("/api/v2/messages.json", json={"contact": a["uuid"], "text": "outgoing stays"})
    resp = await client.post(URL, json={"contacts": [a["uuid"]], "action": "archive_messages"})
    assert resp.status_code == 204
    async with db() as session:
        rows = (await session.execute(select(Message.direction, Message.visibility, Message.contact_id))).all()
    a_id = (await row(db, Contact, Contact.uuid == a["uuid"])).id
    assert sorted((d, v) for d, v, c in rows if c == a_id) == [
        ("in", "archived"),
        ("in", "archived"),
        ("out", "visible"),
    ]
    assert [v for d, v, c in rows if c != a_id] == ["visible"]
    archived = (await client.get("/api/v2/messages.json", params={"folder": "archived"})).json()["results"]
    assert len(archived) == 2 and all(m["archived"] for m in archived)
    assert b["uuid"] not in {m["contact"]["uuid"] for m in archived}


async def test_interrupt_ends_the_waiting_session(client: httpx.AsyncClient, db: Any, tenant: Any) -> None:
    import json
    from pathlib import Path

    from sauti.domain.flows import runner
    from sauti.domain.flows.definitions import save_flow
    from sauti.models import Flow, FlowRun, FlowSession, Workspace

    a = await create_contact(client, name="A", urns=["tel:+250788000001"])
    b = await create_contact(client, name="B", urns=["tel:+250788000002"])
    flow_json = Path(__file__).parents[2] / "domain" / "flow_defs" / "registration.json"
    # read in their own sessions first: SQLite's writer lock is one session's at a time
    ids = [(await row(db, Contact, Contact.uuid == c["uuid"])).id for c in (a, b)]
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        flow = await save_flow(session, ws, json.loads(flow_json.read_text()))
        assert await runner.start_contacts(session, ws, flow, ids) == 2
        await session.commit()
    resp = await client.post(URL, json={"contacts": [a["uuid"]], "action": "interrupt"})
    assert resp.status_code == 204 and resp.content == b""
    statuses = {s.contact_id: s.status for s in await _all(db, FlowSession)}
    assert statuses == {ids[0]: "interrupted", ids[1]: "waiting"}
    assert {r.contact_id: r.status for r in await _all(db, FlowRun)} == statuses
    assert (await row(db, Contact, Contact.uuid == a["uuid"])).current_flow_id is None
    stored = await row(db, Flow, Flow.uuid == flow.uuid)
    assert (stored.runs_waiting, stored.runs_interrupted) == (1, 1)
    # interrupting a contact that waits in no flow is a no-op, not an error
    again = await client.post(URL, json={"contacts": [a["uuid"]], "action": "interrupt"})
    assert again.status_code == 204
    assert (await row(db, Flow, Flow.uuid == flow.uuid)).runs_interrupted == 1


async def _all(db: Any, model: Any) -> list[Any]:
    from sqlalchemy import select

    async with db() as session:
        return list((await session.execute(select(model))).scalars())
