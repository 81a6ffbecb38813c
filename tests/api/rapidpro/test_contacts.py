"""contacts.json: list, create, update and delete, with the reference's test vectors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.models import Contact, ContactGroup, ContactNote, ContactURN, ContactValue, GroupMember
from tests.api.rapidpro.helpers import count, create_contact, create_field, create_group, row

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
async def fields(client: httpx.AsyncClient) -> None:
    await create_field(client, "Nickname")
    await create_field(client, "Gender")


CONTACT_KEYS = [
    "uuid", "name", "status", "language", "urns", "groups", "notes", "fields", "flow",
    "created_on", "modified_on", "last_seen_on", "blocked", "stopped",
]  # fmt: skip


async def test_empty_contact_create(client: httpx.AsyncClient, fields: None, db: Any) -> None:
    resp = await client.post("/api/v2/contacts.json", json={})
    assert resp.status_code == 201
    body = resp.json()
    assert list(body) == CONTACT_KEYS
    assert body["name"] is None and body["status"] == "active" and body["language"] is None
    assert body["urns"] == [] and body["groups"] == [] and body["notes"] == []
    assert body["fields"] == {"nickname": None, "gender": None}
    assert body["flow"] is None and body["last_seen_on"] is None
    assert body["blocked"] is False and body["stopped"] is False
    assert body["created_on"] == body["modified_on"]
    assert body["created_on"].endswith("Z") and len(body["created_on"]) == 27
    stored = await row(db, Contact, Contact.uuid == body["uuid"])
    assert stored is not None and stored.is_active and stored.status == "active"


async def test_create_with_everything(client: httpx.AsyncClient, fields: None, db: Any) -> None:
    group = await create_group(client, "Customers")
    resp = await client.post(
        "/api/v2/contacts.json",
        json={
            "name": "Jean D'Amour",
            "language": "fra",
            "urns": ["tel:078-8000004", "twitter:JEAN"],
            "groups": [group["uuid"]],
            "fields": {"nickname": "Jado", "gender": 7},
        },
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["name"] == "Jean D'Amour"
    assert body["language"] == "fra"
    assert body["urns"] == ["tel:+250788000004", "twitter:jean"]
    assert body["groups"] == [{"uuid": group["uuid"], "name": "Customers"}]
    assert body["fields"] == {"nickname": "Jado", "gender": "7"}
    contact = await row(db, Contact, Contact.uuid == body["uuid"])
    assert await count(db, ContactURN, ContactURN.contact_id == contact.id) == 2
    assert await count(db, ContactValue, ContactValue.contact_id == contact.id) == 2
    assert await count(db, GroupMember, GroupMember.contact_id == contact.id) == 1
    stored_group = await row(db, ContactGroup, ContactGroup.uuid == group["uuid"])
    assert stored_group.member_count == 1


async def test_create_many_errors_at_once(client: httpx.AsyncClient, fields: None, db: Any) -> None:
    resp = await client.post(
        "/api/v2/contacts.json",
        json={
            "name": "Jim",
            "language": "xyz",
            "urns": ["1234556789"],
            "groups": ["59686b4e-14bc-4160-9376-b649b218c806"],
            "fields": {"hmmm": "X"},
        },
    )
    assert resp.status_code == 400
    assert resp.json() == {
        "language": ["Not a valid ISO639-3 language code."],
        "urns": {"0": ["Invalid URN: 1234556789. Ensure phone numbers contain country codes."]},
        "groups": ["No such object: 59686b4e-14bc-4160-9376-b649b218c806"],
        "fields": ["Invalid contact field key: hmmm"],
    }
    assert await count(db, Contact) == 0


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": "x" * 65}, {"name": ["Ensure this field has no more than 64 characters."]}),
        ({"language": "english"}, {"language": ["Ensure this field has no more than 3 characters."]}),
        ({"urns": "tel:+250788000001"}, {"urns": ['Expected a list of items but got type "str".']}),
        ({"urns": None}, {"urns": ["This field may not be null."]}),
        ({"urns": ["tel:+250788000001"] * 101}, {"urns": ["Ensure this field has no more than 100 elements."]}),
        ({"groups": [{"x": 1}]}, {"groups": {"0": ["Must be a string or integer"]}}),
        ({"fields": []}, {"fields": ['Expected a dictionary of items but got type "list".']}),
        ({"fields": {"nickname": "a\x00b"}}, {"fields": {"nickname": ["Null characters are not allowed."]}}),
        ({"name": True}, {"name": ["Not a valid string."]}),
        (
            {"urns": ["tel:+250788000001", "deleted:abc"]},
            {"urns": {"1": ["Invalid URN: deleted:abc. Ensure phone numbers contain country codes."]}},
        ),
    ],
)
async def test_create_field_errors(
    client: httpx.AsyncClient, fields: None, db: Any, body: dict[str, Any], errors: dict[str, Any]
) -> None:
    resp = await client.post("/api/v2/contacts.json", json=body)
    assert resp.status_code == 400
    assert resp.json() == errors
    assert await count(db, Contact) == 0


async def test_body_must_be_object(client: httpx.AsyncClient, db: Any) -> None:
    resp = await client.post("/api/v2/contacts.json", json=[])
    assert resp.status_code == 400
    assert resp.json() == {"non_field_errors": ["Request body should be a single JSON object"]}
    resp = await client.post("/api/v2/contacts.json", content=b"{nope", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["detail"].startswith("JSON parse error - ")
    resp = await client.post("/api/v2/contacts.json", content=b"name=x", headers={"Content-Type": "text/plain"})
    assert resp.status_code == 415
    assert resp.json() == {"detail": 'Unsupported media type "text/plain" in request.'}
    assert await count(db, Contact) == 0


async def test_urn_taken(client: httpx.AsyncClient, db: Any) -> None:
    await create_contact(client, name="A", urns=["tel:+250785555555"])
    resp = await client.post("/api/v2/contacts.json", json={"name": "Robert", "urns": ["tel:+250-78-5555555"]})
    assert resp.status_code == 400
    assert resp.json() == {"urns": {"0": ["URN is in use by another contact."]}}
    assert await count(db, Contact) == 1


async def test_upsert_by_urn(client: httpx.AsyncClient, db: Any) -> None:
    resp = await client.post("/api/v2/contacts.json?urn=tel%3A%2B250-78-5555555", json={"name": "Bobby"})
    assert resp.status_code == 201
    assert resp.json()["urns"] == ["tel:+250785555555"]
    assert resp.json()["name"] == "Bobby"
    again = await client.post("/api/v2/contacts.json?urn=tel%3A%2B250-78-5555555", json={"name": "Bob"})
    assert again.status_code == 200
    assert again.json()["uuid"] == resp.json()["uuid"] and again.json()["name"] == "Bob"
    assert await count(db, Contact) == 1
    bad = await client.post("/api/v2/contacts.json?urn=tel%3A%2B250784444444", json={"urns": ["tel:+250785555555"]})
    assert bad.status_code == 400
    assert bad.json() == {"urns": ["Field not allowed when using URN in URL"]}
    invalid = await client.post("/api/v2/contacts.json?urn=12345", json={})
    assert invalid.status_code == 400
    assert invalid.json() == {"detail": "Invalid URN: 12345"}
    assert await count(db, Contact) == 1


async def test_lookup_errors(client: httpx.AsyncClient) -> None:
    contact = await create_contact(client, name="X")
    resp = await client.post(f"/api/v2/contacts.json?uuid={contact['uuid']}&urn=tel%3A%2B250784444444", json={})
    assert resp.status_code == 400
    assert resp.json() == {"detail": "URL can only contain one of the following parameters: urn, uuid"}
    resp = await client.delete("/api/v2/contacts.json")
    assert resp.status_code == 400
    assert resp.json() == {"detail": "URL must contain one of the following parameters: urn, uuid"}
    resp = await client.post("/api/v2/contacts.json?uuid=ad6acad9-959b-4d70-b144-5de2891e4d00", json={})
    assert resp.status_code == 404
    assert resp.json() == {"detail": "Not found."}
    resp = await client.post("/api/v2/contacts.json?uuid=nope", json={})
    assert resp.status_code == 400
    assert resp.json() == {"detail": "Param 'uuid': nope is not a valid UUID."}


async def test_update(client: httpx.AsyncClient, fields: None, db: Any) -> None:
    g1 = await create_group(client, "One")
    g2 = await create_group(client, "Two")
    contact = await create_contact(
        client, name="Ann", urns=["tel:+250788000001"], groups=["One"], fields={"nickname": "Annie", "gender": "f"}
    )
    resp = await client.post(
        f"/api/v2/contacts.json?uuid={contact['uuid']}",
        json={
            "name": "Anne",
            "urns": ["twitter:anne", "tel:+250788000002"],
            "groups": ["two"],
            "fields": {"nickname": None},
            "note": "Met at the market",
        },
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["name"] == "Anne"
    assert body["urns"] == ["twitter:anne", "tel:+250788000002"]
    assert body["groups"] == [{"uuid": g2["uuid"], "name": "Two"}]
    assert body["fields"] == {"nickname": None, "gender": "f"}
    assert [n["text"] for n in body["notes"]] == ["Met at the market"]
    assert body["notes"][0]["created_by"] == {"email": "admin@nyaruka.com", "name": "Ann Admin"}
    assert body["modified_on"] > contact["modified_on"]
    # the old URN is free again: another contact may take it
    await create_contact(client, urns=["tel:+250788000001"])
    groups = {g.uuid: g.member_count for g in await _groups(db)}
    assert groups[g1["uuid"]] == 0 and groups[g2["uuid"]] == 1
    # only the keys sent change
    resp = await client.post(f"/api/v2/contacts.json?uuid={contact['uuid']}", json={"language": "kin"})
    assert resp.json()["name"] == "Anne" and resp.json()["language"] == "kin"
    assert resp.json()["urns"] == ["twitter:anne", "tel:+250788000002"]


async def test_notes_keep_newest_five(client: httpx.AsyncClient, db: Any) -> None:
    contact = await create_contact(client, name="Ann")
    for i in range(7):
        resp = await client.post(f"/api/v2/contacts.json?uuid={contact['uuid']}", json={"note": f"note {i}"})
        assert resp.status_code == 200
    assert [n["text"] for n in resp.json()["notes"]] == [f"note {i}" for i in range(2, 7)]
    assert await count(db, ContactNote) == 5


async def test_groups_must_be_manual_and_contact_active(client: httpx.AsyncClient) -> None:
    await create_field(client, "Age", "number")
    await create_group(client, "Adults", "age >= 18")
    resp = await client.post("/api/v2/contacts.json", json={"groups": ["Adults"]})
    assert resp.status_code == 400
    assert resp.json() == {"groups": ["Contact group must not be query based: Adults"]}
    await create_group(client, "Manual")
    contact = await create_contact(client, name="B")
    blocked = await client.post("/api/v2/contact_actions.json", json={"contacts": [contact["uuid"]], "action": "block"})
    assert blocked.status_code == 204
    resp = await client.post(f"/api/v2/contacts.json?uuid={contact['uuid']}", json={"groups": ["Manual"]})
    assert resp.status_code == 400
    assert resp.json() == {"groups": ["Non-active contacts can't be added to groups"]}


async def test_delete_and_deleted_listing(client: httpx.AsyncClient, fields: None, db: Any) -> None:
    group = await create_group(client, "Customers")
    contact = await create_contact(
        client, name="Gone", urns=["tel:+250788000009"], groups=["Customers"], fields={"nickname": "g"}
    )
    resp = await client.delete(f"/api/v2/contacts.json?uuid={contact['uuid']}")
    assert resp.status_code == 204 and resp.content == b""
    listing = await client.get("/api/v2/contacts.json", params={"deleted": "true"})
    assert listing.status_code == 200
    results = listing.json()["results"]
    assert listing.json()["next"] is None and listing.json()["previous"] is None
    assert len(results) == 1
    deleted = results[0]
    assert deleted["uuid"] == contact["uuid"]
    assert {k: deleted[k] for k in ("name", "status", "language", "blocked", "stopped")} == dict.fromkeys(
        ("name", "status", "language", "blocked", "stopped")
    )
    assert deleted["urns"] == [] and deleted["groups"] == [] and deleted["notes"] == [] and deleted["fields"] == {}
    assert deleted["created_on"] == contact["created_on"]
    assert deleted["modified_on"] > contact["modified_on"]
    assert (await client.get("/api/v2/contacts.json")).json()["results"] == []
    resp = await client.post(f"/api/v2/contacts.json?uuid={contact['uuid']}", json={})
    assert resp.status_code == 400
    assert resp.json() == {"non_field_errors": ["Deleted contacts can't be modified."]}
    # the URN is free for a new contact, and the group count went down
    await create_contact(client, urns=["tel:+250788000009"])
    stored = await row(db, ContactGroup, ContactGroup.uuid == group["uuid"])
    assert stored.member_count == 0
    assert await count(db, ContactValue) == 0
    # delete by URN; an unknown one is 404
    other = await create_contact(client, urns=["tel:+250788000010"])
    assert (await client.delete("/api/v2/contacts.json?urn=tel%3A%2B250788000010")).status_code == 204
    assert (await row(db, Contact, Contact.uuid == other["uuid"])).is_active is False
    assert (await client.delete("/api/v2/contacts.json?urn=tel%3A%2B250788000011")).status_code == 404


async def test_filters(client: httpx.AsyncClient) -> None:
    await create_group(client, "Customers")
    a = await create_contact(client, name="A", urns=["tel:+250788000001"], groups=["Customers"])
    b = await create_contact(client, name="B", urns=["tel:+250788000002"])
    c = await create_contact(client, name="C")

    async def uuids(**params: Any) -> list[str]:
        resp = await client.get("/api/v2/contacts.json", params=params)
        assert resp.status_code == 200, resp.text
        return [r["uuid"] for r in resp.json()["results"]]

    assert await uuids() == [c["uuid"], b["uuid"], a["uuid"]]
    assert await uuids(reverse="true") == [a["uuid"], b["uuid"], c["uuid"]]
    assert await uuids(reverse="1") == [a["uuid"], b["uuid"], c["uuid"]]
    assert await uuids(uuid=b["uuid"]) == [b["uuid"]]
    assert await uuids(urn="tel:0788000002") == [b["uuid"]]  # local number, workspace country RW
    assert await uuids(group="Customers") == [a["uuid"]]
    assert await uuids(group="customers") == []  # group names are case-sensitive here
    assert await uuids(group="Nope") == []
    assert await uuids(before=b["modified_on"]) == [b["uuid"], a["uuid"]]
    assert await uuids(after=b["modified_on"]) == [c["uuid"], b["uuid"]]
    assert await uuids(after=b["modified_on"], before=b["modified_on"]) == [b["uuid"]]
    assert await uuids(after="not a date") == []
    resp = await client.get("/api/v2/contacts.json", params={"urn": "12345"})
    assert resp.status_code == 400 and resp.json() == {"detail": "Invalid URN: 12345"}
    expanded = await client.get("/api/v2/contacts.json", params={"uuid": a["uuid"], "expand_urns": "true"})
    assert expanded.json()["results"][0]["urns"] == [
        {"channel": None, "scheme": "tel", "path": "+250788000001", "display": None}
    ]


async def test_field_values_are_typed(client: httpx.AsyncClient, db: Any) -> None:
    await create_field(client, "Age", "number")
    await create_field(client, "Joined", "datetime")
    await create_field(client, "District", "district")
    contact = await create_contact(
        client, fields={"age": "40.50", "joined": "2017-11-11T11:12:13Z", "district": "Rwanda > Kigali > Gasabo"}
    )
    assert contact["fields"] == {
        "age": "40.5",
        "joined": "2017-11-11T13:12:13+02:00",
        "district": "Rwanda > Kigali > Gasabo",
    }
    resp = await client.post(
        f"/api/v2/contacts.json?uuid={contact['uuid']}", json={"fields": {"age": "old", "joined": "15/01/2024"}}
    )
    assert resp.json()["fields"]["age"] is None  # not a number: the text is kept, the value shows null
    assert resp.json()["fields"]["joined"] == "2024-01-15T00:00:00+02:00"
    async with db() as session:
        values = {v.text_value for v in (await session.execute(select(ContactValue))).scalars()}
    assert "old" in values


async def _groups(db: Any) -> list[ContactGroup]:
    async with db() as session:
        return list((await session.execute(select(ContactGroup))).scalars())


async def test_racing_requests_are_run_again_not_failed(client: httpx.AsyncClient, db: Any) -> None:
    """Requests that collide in the database (the same new field value, the same new URN) are run again by the
    boundary in a fresh transaction: every one gets its proper answer, none a 500."""
    import asyncio

    await client.post("/api/v2/fields.json", json={"name": "Nickname", "type": "text"})
    joe = await create_contact(client, name="Joe")
    url = f"/api/v2/contacts.json?uuid={joe['uuid']}"
    updates = await asyncio.gather(*(client.post(url, json={"fields": {"nickname": f"n{i}"}}) for i in range(12)))
    assert [r.status_code for r in updates] == [200] * 12
    final = (await client.get("/api/v2/contacts.json", params={"uuid": joe["uuid"]})).json()["results"][0]
    assert final["fields"]["nickname"] in {f"n{i}" for i in range(12)}
    creates = await asyncio.gather(
        *(client.post("/api/v2/contacts.json", json={"urns": ["tel:+250788555000"]}) for _ in range(8))
    )
    assert sorted(r.status_code for r in creates) == [201] + [400] * 7
    refused = [r.json() for r in creates if r.status_code == 400]
    assert all(body == {"urns": {"0": ["URN is in use by another contact."]}} for body in refused)
    async with db() as session:
        owners = (
            await session.execute(select(ContactURN.contact_id).where(ContactURN.identity == "tel:+250788555000"))
        ).all()
    assert len(owners) == 1


async def test_a_listing_follows_changes_to_the_fields(client: httpx.AsyncClient, db: Any) -> None:
    """The fields a contact page shows are kept per process under the assets version: a new field, and a field
    whose type changed, show on the very next page."""
    await create_contact(client, name="Amina", urns=["tel:+250788123123"])
    first = (await client.get("/api/v2/contacts.json")).json()["results"][0]
    assert first["fields"] == {}
    await create_field(client, "Score")
    resp = await client.post("/api/v2/contacts.json?urn=tel:%2B250788123123", json={"fields": {"score": "007.50"}})
    assert resp.status_code == 200, resp.text
    listed = (await client.get("/api/v2/contacts.json")).json()["results"][0]
    assert listed["fields"] == {"score": "007.50"}  # a text field: the text as written
    resp = await client.post("/api/v2/fields.json?key=score", json={"name": "Score", "type": "number"})
    assert resp.status_code == 200, resp.text
    listed = (await client.get("/api/v2/contacts.json")).json()["results"][0]
    assert listed["fields"] == {"score": "7.5"}  # now a number field: the number's canonical text
    assert await count(db, ContactValue) == 1
