"""groups.json: manual and smart groups."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sauti.models import ContactGroup, GroupMember
from tests.api.rapidpro.helpers import count, create_contact, create_field, create_group, row

pytestmark = pytest.mark.usefixtures("app")


async def test_create_and_list(client: httpx.AsyncClient, db: Any) -> None:
    resp = await client.post("/api/v2/groups.json", json={"name": "Reporters"})
    assert resp.status_code == 201
    body = resp.json()
    assert body == {
        "uuid": body["uuid"],
        "name": "Reporters",
        "query": None,
        "status": "ready",
        "system": False,
        "count": 0,
    }
    listing = (await client.get("/api/v2/groups.json")).json()["results"]
    assert [g["name"] for g in listing] == ["Reporters", "Open Tickets"]
    system = listing[1]
    assert system["system"] is True and system["query"] == "tickets > 0"
    assert [g["name"] for g in (await client.get("/api/v2/groups.json?manual_only=1")).json()["results"]] == [
        "Reporters"
    ]
    assert [g["uuid"] for g in (await client.get("/api/v2/groups.json?name=REPORTERS")).json()["results"]] == [
        body["uuid"]
    ]
    both = await client.get(f"/api/v2/groups.json?uuid={body['uuid']}&name=x")
    assert both.status_code == 400
    assert both.json() == {"detail": "You may only specify one of the uuid, name parameters"}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": "reporters"}, {"name": ["This field must be unique."]}),
        ({"name": "open tickets"}, {"name": ["This field must be unique."]}),
        ({"name": '"People"'}, {"name": ['Cannot contain the character: "']}),
        ({"name": "x" * 65}, {"name": ["Ensure this field has no more than 64 characters."]}),
        ({}, {"name": ["This field is required."]}),
        ({"name": "Bad", "query": "age > 18"}, {"query": ["can't resolve 'age' to attribute, scheme or field"]}),
        (
            {"name": "Bad", "query": "status = blocked"},
            {"query": ["Smart group queries can't use id, ref, status, group, flow or history."]},
        ),
    ],
)
async def test_create_errors(client: httpx.AsyncClient, db: Any, body: dict[str, Any], errors: dict[str, Any]) -> None:
    await create_group(client, "Reporters")
    resp = await client.post("/api/v2/groups.json", json=body)
    assert resp.status_code == 400
    assert resp.json() == errors
    assert await count(db, ContactGroup, ~ContactGroup.is_system) == 1


async def test_update_and_delete(client: httpx.AsyncClient, db: Any) -> None:
    group = await create_group(client, "Reporters")
    contact = await create_contact(client, groups=["Reporters"])
    resp = await client.post(f"/api/v2/groups.json?uuid={group['uuid']}", json={"name": "Journalists"})
    assert resp.status_code == 200 and resp.json()["name"] == "Journalists" and resp.json()["count"] == 1
    system = (await client.get("/api/v2/groups.json?name=Open Tickets")).json()["results"][0]
    resp = await client.post(f"/api/v2/groups.json?uuid={system['uuid']}", json={"name": "Mine"})
    assert resp.status_code == 403 and resp.json() == {"detail": "Cannot modify system object."}
    resp = await client.delete(f"/api/v2/groups.json?uuid={system['uuid']}")
    assert resp.status_code == 403 and resp.json() == {"detail": "Cannot delete system object."}
    resp = await client.delete("/api/v2/groups.json")
    assert resp.status_code == 400 and resp.json() == {
        "detail": "URL must contain one of the following parameters: uuid"
    }
    resp = await client.delete(f"/api/v2/groups.json?uuid={group['uuid']}")
    assert resp.status_code == 204
    stored = await row(db, ContactGroup, ContactGroup.uuid == group["uuid"])
    assert stored.is_active is False and stored.name.startswith("deleted-")
    assert await count(db, GroupMember, GroupMember.group_id == stored.id) == 0
    assert [g["name"] for g in (await client.get("/api/v2/groups.json")).json()["results"]] == ["Open Tickets"]
    got = (await client.get(f"/api/v2/contacts.json?uuid={contact['uuid']}")).json()["results"][0]
    assert got["groups"] == []
    # the name is free again
    await create_group(client, "Journalists")
    assert (await client.delete(f"/api/v2/groups.json?uuid={group['uuid']}")).status_code == 404


async def test_smart_group_membership_follows_contacts(client: httpx.AsyncClient, db: Any) -> None:
    await create_field(client, "Age", "number")
    await create_field(client, "City")
    old = await create_contact(client, name="Old Timer", fields={"age": 70, "city": "Kigali"})
    young = await create_contact(client, name="Young", fields={"age": "12", "city": "Huye"})
    await create_contact(client, name="Ageless")
    group = await create_group(client, "Kigali Adults", 'age >= 18 AND city = "kigali"')
    assert group["query"] == 'fields.age >= 18 AND fields.city = "kigali"'
    assert group["count"] == 1

    async def members() -> set[str]:
        resp = await client.get("/api/v2/contacts.json", params={"group": group["uuid"]})
        return {c["uuid"] for c in resp.json()["results"]}

    assert await members() == {old["uuid"]}
    # an update that makes a contact match adds it at once, with the count
    await client.post(f"/api/v2/contacts.json?uuid={young['uuid']}", json={"fields": {"age": 30, "city": "KIGALI"}})
    assert await members() == {old["uuid"], young["uuid"]}
    assert (await row(db, ContactGroup, ContactGroup.uuid == group["uuid"])).member_count == 2
    # a contact that stops matching leaves
    await client.post(f"/api/v2/contacts.json?uuid={old['uuid']}", json={"fields": {"city": "Musanze"}})
    assert await members() == {young["uuid"]}
    # blocked contacts are in no group; unblocked ones come back to smart groups
    await client.post("/api/v2/contact_actions.json", json={"contacts": [young["uuid"]], "action": "block"})
    assert await members() == set()
    await client.post("/api/v2/contact_actions.json", json={"contacts": [young["uuid"]], "action": "unblock"})
    assert await members() == {young["uuid"]}
    # a new contact that matches joins on creation
    new = await create_contact(client, fields={"age": 19, "city": "kigali"})
    assert await members() == {young["uuid"], new["uuid"]}
    # changing the query re-evaluates
    resp = await client.post(f"/api/v2/groups.json?uuid={group['uuid']}", json={"name": "Adults", "query": "age >= 25"})
    assert resp.status_code == 200 and resp.json()["count"] == 2
    assert await members() == {young["uuid"], old["uuid"]}
    listed = (await client.get("/api/v2/groups.json", params={"uuid": group["uuid"]})).json()["results"][0]
    assert listed["count"] == 2 and listed["status"] == "ready"
    # manual membership of a smart group is refused
    resp = await client.post(
        "/api/v2/contact_actions.json", json={"contacts": [new["uuid"]], "action": "add", "group": group["uuid"]}
    )
    assert resp.status_code == 400
    assert resp.json() == {"group": [f"Contact group must not be query based: {group['uuid']}"]}


async def test_smart_group_on_names_and_urns(client: httpx.AsyncClient) -> None:
    alice = await create_contact(client, name="Alice Uwase", urns=["tel:+250788111222"])
    await create_contact(client, name="Bob", urns=["tel:+250722000000"])
    by_name = await create_group(client, "Alis", 'name ~ "ali"')
    by_tel = await create_group(client, "MTN", 'tel ~ "25078"')
    assert by_name["count"] == 1 and by_tel["count"] == 1
    for g in (by_name, by_tel):
        got = await client.get("/api/v2/contacts.json", params={"group": g["name"]})
        assert [c["uuid"] for c in got.json()["results"]] == [alice["uuid"]]


async def test_field_type_change_reevaluates_smart_groups(client: httpx.AsyncClient, db: Any) -> None:
    await create_field(client, "Score", "text")
    a = await create_contact(client, fields={"score": "7"})
    await create_contact(client, fields={"score": "3"})
    text_group = await create_group(client, "Sevens", 'score = "7"')
    assert text_group["count"] == 1
    resp = await client.post("/api/v2/fields.json?key=score", json={"name": "Score", "type": "number"})
    assert resp.status_code == 200
    high = await create_group(client, "High", "score > 5")
    assert high["count"] == 1
    got = await client.get("/api/v2/contacts.json", params={"group": high["uuid"]})
    assert [c["uuid"] for c in got.json()["results"]] == [a["uuid"]]
    # back to text: "score > 5" can no longer be evaluated, so the group is marked invalid and emptied
    resp = await client.post("/api/v2/fields.json?key=score", json={"name": "Score", "type": "text"})
    assert resp.status_code == 200
    stored = await row(db, ContactGroup, ContactGroup.uuid == high["uuid"])
    assert stored.status == "invalid" and stored.member_count == 0
    assert await count(db, GroupMember, GroupMember.group_id == stored.id) == 0
    still = await row(db, ContactGroup, ContactGroup.uuid == text_group["uuid"])
    assert still.status == "ready" and still.member_count == 1
