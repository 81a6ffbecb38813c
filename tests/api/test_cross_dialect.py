"""One domain behind two doors: what one dialect writes, the other reads and can change, and their views of a
contact's status, a group's members and a message's progress agree."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.models import Broadcast, Contact, ContactGroup
from tests.conftest import Backend, Tenant, add_channel

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
async def textus(app: Any, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", auth=(tenant.user.email, tenant.token)
    ) as c:
        yield c


async def _uuid_of(db: Any, model: Any, row_id: int) -> str:
    async with db() as session:
        return str((await session.execute(select(model.uuid).where(model.id == row_id))).scalar_one())


async def _id_of(db: Any, model: Any, uuid: str) -> int:
    async with db() as session:
        return int((await session.execute(select(model.id).where(model.uuid == uuid))).scalar_one())


async def test_a_contact_made_in_textus_is_read_and_changed_in_api_v2(
    textus: httpx.AsyncClient, client: httpx.AsyncClient, db: Any
) -> None:
    made = (
        await textus.post("/api/contacts", json={"phone": "+12025550147", "first_name": "Bart", "last_name": "Simpson"})
    ).json()
    uuid = await _uuid_of(db, Contact, made["id"])
    seen = (await client.get("/api/v2/contacts.json", params={"uuid": uuid})).json()["results"][0]
    assert (seen["name"], seen["urns"], seen["status"]) == ("Bart Simpson", ["tel:+12025550147"], "active")
    changed = await client.post(
        f"/api/v2/contacts.json?uuid={uuid}", json={"name": "Bartholomew J Simpson", "urns": ["tel:+12025550148"]}
    )
    assert changed.status_code == 200, changed.text
    again = (await textus.get(f"/api/contacts/{made['id']}")).json()
    assert (again["first_name"], again["last_name"], again["phone"]) == ("Bartholomew", "J Simpson", "12025550148")


async def test_a_contact_made_in_api_v2_is_read_and_changed_in_textus(
    textus: httpx.AsyncClient, client: httpx.AsyncClient, db: Any
) -> None:
    made = (
        await client.post("/api/v2/contacts.json", json={"name": "Lisa Simpson", "urns": ["tel:+250788123123"]})
    ).json()
    cid = await _id_of(db, Contact, made["uuid"])
    seen = (await textus.get(f"/api/contacts/{cid}")).json()
    assert (seen["first_name"], seen["last_name"], seen["phone"], seen["country"], seen["line_type"]) == (
        "Lisa",
        "Simpson",
        "250788123123",
        "RW",
        "mobile",
    )
    await textus.put(f"/api/contacts/{cid}", json={"last_name": "Bouvier", "tags": ["sax"]})
    after = (await client.get("/api/v2/contacts.json", params={"uuid": made["uuid"]})).json()["results"][0]
    assert after["name"] == "Lisa Bouvier"
    await textus.delete(f"/api/contacts/{cid}")
    assert (await client.get("/api/v2/contacts.json", params={"deleted": "true"})).json()["results"][0]["uuid"] == made[
        "uuid"
    ]


async def test_messages_sent_in_either_are_listed_in_the_other_with_their_status(
    textus: httpx.AsyncClient,
    client: httpx.AsyncClient,
    anon_client: httpx.AsyncClient,
    backend: Backend,
    tenant: Tenant,
    worker: Any,
    db: Any,
) -> None:
    channel = await add_channel(backend, tenant, address="+12025550100")
    sent = (
        await textus.post(
            "/api/messages", json={"sender": tenant.user.email, "receiver": "+12025550147", "content": "From TextUs"}
        )
    ).json()
    outbox = (await client.get("/api/v2/messages.json", params={"folder": "outbox"})).json()["results"]
    assert [(m["id"], m["text"], m["status"]) for m in outbox] == [(sent["id"], "From TextUs", "queued")]
    contact_uuid = await _uuid_of(db, Contact, sent["receiver_id"])
    v2 = (await client.post("/api/v2/messages.json", json={"contact": contact_uuid, "text": "From v2"})).json()
    pending = {m["id"]: m["status"] for m in (await textus.get("/api/messages")).json()}
    assert pending == {sent["id"]: "created", v2["id"]: "created"}
    await worker.drain()
    delivered = {m["id"]: m["status"] for m in (await textus.get(f"/api/messages/{sent['receiver_id']}")).json()}
    assert delivered == {sent["id"]: "delivered", v2["id"]: "delivered"}
    in_v2 = (await client.get("/api/v2/messages.json", params={"folder": "sent"})).json()["results"]
    assert {(m["id"], m["status"]) for m in in_v2} == {(sent["id"], "delivered"), (v2["id"], "delivered")}
    await anon_client.post(f"/c/test/{channel.uuid}/receive", data={"from": "+12025550147", "text": "Thanks both"})
    inbox = (await client.get("/api/v2/messages.json", params={"folder": "inbox"})).json()["results"]
    received = [m for m in (await textus.get("/api/messages")).json() if m["status"] == "received"]
    assert [m["text"] for m in inbox] == [m["content"] for m in received] == ["Thanks both"]
    assert inbox[0]["id"] == received[0]["id"]


async def test_opt_outs_are_stopped_contacts_and_blocks_are_blocked_numbers(
    textus: httpx.AsyncClient, client: httpx.AsyncClient, db: Any
) -> None:
    made = (await client.post("/api/v2/contacts.json", json={"name": "Milhouse", "urns": ["tel:+12025550147"]})).json()

    async def status() -> str:
        return str(
            (await client.get("/api/v2/contacts.json", params={"uuid": made["uuid"]})).json()["results"][0]["status"]
        )

    opt_out = (await textus.post("/api/opt_outs", json={"phone": "+12025550147"})).json()
    assert await status() == "stopped"
    await textus.delete(f"/api/opt_outs/{opt_out['id']}")
    assert await status() == "active"
    action = {"contacts": [made["uuid"]], "action": "block"}
    assert (await client.post("/api/v2/contact_actions.json", json=action)).status_code == 204
    assert [b["phone"] for b in (await textus.get("/api/blocked_numbers")).json()] == ["12025550147"]
    assert (await client.post("/api/v2/contact_actions.json", json={**action, "action": "unblock"})).status_code == 204
    assert (await textus.get("/api/blocked_numbers")).json() == []
    assert await status() == "active"
    blocked = (await textus.post("/api/blocked_numbers", json={"phone": "+12025550147"})).json()
    assert await status() == "blocked"
    await textus.delete(f"/api/blocked_numbers/{blocked['id']}")
    assert await status() == "active"


async def test_a_groups_members_agree(textus: httpx.AsyncClient, client: httpx.AsyncClient, db: Any) -> None:
    group = (await textus.post("/api/groups", json={"name": "Kids"})).json()
    bart = (await textus.post("/api/contacts", json={"phone": "+12025550147", "first_name": "Bart"})).json()
    await textus.put(f"/api/groups/{group['id']}/contacts/{bart['id']}")
    group_uuid = await _uuid_of(db, ContactGroup, group["id"])
    lisa = (
        await client.post(
            "/api/v2/contacts.json", json={"name": "Lisa", "urns": ["tel:+12025550148"], "groups": [group_uuid]}
        )
    ).json()
    in_v2 = (await client.get("/api/v2/contacts.json", params={"group": group_uuid})).json()["results"]
    in_textus = (await textus.get(f"/api/groups/{group['id']}/contacts")).json()
    assert sorted(c["name"] for c in in_v2) == sorted(c["first_name"] for c in in_textus) == ["Bart", "Lisa"]
    v2_group = (await client.get("/api/v2/groups.json", params={"uuid": group_uuid})).json()["results"][0]
    assert v2_group["count"] == (await textus.get(f"/api/groups/{group['id']}")).json()["size"] == 2
    await client.post(
        "/api/v2/contact_actions.json", json={"contacts": [lisa["uuid"]], "action": "remove", "group": group_uuid}
    )
    assert [c["id"] for c in (await textus.get(f"/api/groups/{group['id']}/contacts")).json()] == [bart["id"]]


async def test_broadcasts_of_either_are_listed_by_the_other(
    textus: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant, db: Any
) -> None:
    group = (await textus.post("/api/groups", json={"name": "All"})).json()
    made = (
        await textus.post(
            "/api/broadcasts", json={"sender": tenant.user.id, "group": group["id"], "message_body": "Hi all"}
        )
    ).json()
    uuid = await _uuid_of(db, Broadcast, made["id"])
    listed = (await client.get("/api/v2/broadcasts.json", params={"uuid": uuid})).json()["results"]
    assert listed[0]["text"] == {"eng": "Hi all"} and listed[0]["groups"][0]["name"] == "All"
    v2 = (await client.post("/api/v2/broadcasts.json", json={"text": "From v2", "groups": ["All"]})).json()
    shown = {b["id"]: b for b in (await textus.get("/api/broadcasts")).json()}
    assert shown[v2["id"]]["group_name"] == "All" and shown[v2["id"]]["message_body"] == "From v2"
