"""/api/contacts: create, read, update and delete contacts, their phone, names, tags, flags and notes; the
listing's search, scopes and orders."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.models import Contact, ContactTag, ContactURN
from tests.api.textus.helpers import count, create, row
from tests.support.queries import query_count

pytestmark = pytest.mark.usefixtures("app")

KEYS = [
    "business_name", "account_id", "flagged", "notes", "phone", "country", "line_type", "id", "created_at",
    "updated_at", "first_name", "last_name", "opted_out", "tags",
]  # fmt: skip


async def test_create_with_every_parameter(api: httpx.AsyncClient, db: Any, tenant: Any) -> None:
    resp = await api.post(
        "/api/contacts",
        json={
            "phone": "(202) 555-0147",
            "country": "us",
            "first_name": " Marge ",
            "last_name": "Simpson",
            "business_name": "Springfield Nuclear",
            "tags": ["VIP", " donor ", "vip", ""],
        },
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert list(body) == KEYS
    assert body["phone"] == "12025550147" and body["country"] == "US"
    assert (body["first_name"], body["last_name"], body["business_name"]) == ("Marge", "Simpson", "Springfield Nuclear")
    assert body["tags"] == ["donor", "VIP"]  # trimmed, blank dropped, repeats once, sorted case-insensitively
    assert body["flagged"] is False and body["notes"] is None and body["opted_out"] is False
    assert body["account_id"] == tenant.workspace.id
    assert body["created_at"].endswith("Z") and len(body["created_at"]) == 20
    stored = await row(db, Contact, Contact.id == body["id"])
    assert stored.name == "Marge Simpson" and stored.status == "active" and stored.country == "US"
    urn = await row(db, ContactURN, ContactURN.contact_id == body["id"])
    assert urn.identity == "tel:+12025550147"
    async with db() as session:
        tags = (await session.execute(select(ContactTag.name).where(ContactTag.contact_id == body["id"]))).scalars()
        assert sorted(tags) == ["VIP", "donor"]


async def test_phone_read_with_the_accounts_country_and_described(api: httpx.AsyncClient) -> None:
    # the tenant's workspace is in Rwanda: a local number is read there, and its line is a mobile one
    body = await create(api, "/api/contacts", phone="0788 123 123")
    assert (body["phone"], body["country"], body["line_type"]) == ("250788123123", "RW", "mobile")
    landline = await create(api, "/api/contacts", phone="+44 20 7123 4567")
    assert (landline["country"], landline["line_type"]) == ("GB", "landline")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"phone": "+12025550147"}, "Validation failed: Phone has already been taken"),
        ({"phone": "12"}, "Validation failed: Phone is invalid"),
        ({"phone": "   "}, "Validation failed: Phone can't be blank"),
        ({"phone": "+12025550148", "first_name": "x" * 64}, "Validation failed: First name is too long"),
        ({"phone": "+12025550148", "tags": ["x" * 65]}, "Validation failed: Tags is too long (maximum is 64"),
        ({"phone": "+12025550148", "country": "USA"}, "Validation failed: Country is invalid"),
    ],
)
async def test_create_refusals(api: httpx.AsyncClient, db: Any, body: dict[str, Any], error: str) -> None:
    await create(api, "/api/contacts", phone="+12025550147")
    resp = await api.post("/api/contacts", json=body)
    assert resp.status_code == 422 and resp.json()["error"].startswith(error), resp.text
    assert await count(db, Contact) == 1


async def test_read_update_and_delete(api: httpx.AsyncClient, db: Any) -> None:
    made = await create(api, "/api/contacts", phone="+12025550147", first_name="Homer", tags=["a"])
    cid = made["id"]
    assert (await api.get(f"/api/contacts/{cid}")).json() == made
    resp = await api.put(
        f"/api/contacts/{cid}",
        json={"last_name": "Simpson", "flagged": "true", "notes": "Likes donuts", "business_name": "Plant"},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["first_name"], body["last_name"], body["flagged"], body["notes"]) == (
        "Homer",
        "Simpson",
        True,
        "Likes donuts",
    )
    assert body["tags"] == ["a"] and body["phone"] == "12025550147"  # what was not sent stays
    stored = await row(db, Contact, Contact.id == cid)
    assert stored.name == "Homer Simpson" and stored.flagged is True and stored.business_name == "Plant"
    # a new phone replaces the old one; tags replace the set, [] clears it; PATCH does the same as PUT
    moved = (await api.patch(f"/api/contacts/{cid}", json={"phone": "+12025550199", "tags": []})).json()
    assert moved["phone"] == "12025550199" and moved["tags"] == []
    async with db() as session:
        urns = (await session.execute(select(ContactURN.identity).where(ContactURN.contact_id == cid))).scalars()
        assert list(urns) == ["tel:+12025550199"]
    cleared = (await api.put(f"/api/contacts/{cid}", json={"notes": None, "first_name": None})).json()
    assert cleared["notes"] is None and cleared["first_name"] is None and cleared["last_name"] == "Simpson"
    assert (await row(db, Contact, Contact.id == cid)).name == "Simpson"
    # the old number is free for someone else
    assert (await api.post("/api/contacts", json={"phone": "+12025550147"})).status_code == 201
    gone = await api.delete(f"/api/contacts/{cid}")
    assert gone.status_code == 200 and gone.json()["id"] == cid and gone.json()["phone"] == "12025550199"
    stored = await row(db, Contact, Contact.id == cid)
    assert stored.is_active is False  # soft deleted: API v2 lists it with deleted=true
    assert (await api.get(f"/api/contacts/{cid}")).status_code == 404
    assert (await api.put(f"/api/contacts/{cid}", json={"notes": "x"})).status_code == 404


async def test_update_refusals_change_nothing(api: httpx.AsyncClient, db: Any) -> None:
    first = await create(api, "/api/contacts", phone="+12025550147")
    second = await create(api, "/api/contacts", phone="+12025550148", first_name="Bart")
    for body, status, error in [
        ({"phone": "+12025550147"}, 422, "Validation failed: Phone has already been taken"),
        ({"flagged": "maybe"}, 400, "flagged is invalid"),
        ({"first_name": "Lisa", "phone": "nope"}, 422, "Validation failed: Phone is invalid"),
    ]:
        resp = await api.put(f"/api/contacts/{second['id']}", json=body)
        assert resp.status_code == status and resp.json() == {"error": error}, resp.text
    assert (await api.get(f"/api/contacts/{second['id']}")).json() == second
    assert (await api.get(f"/api/contacts/{first['id']}")).json() == first


async def test_search_scopes_and_orders(api: httpx.AsyncClient) -> None:
    bart = await create(api, "/api/contacts", phone="+12025550101", first_name="Bart", last_name="Simpson")
    lisa = await create(api, "/api/contacts", phone="+12025550102", first_name="Lisa", last_name="Simpson")
    moe = await create(api, "/api/contacts", phone="+442071234567", first_name="Moe", business_name="Moe's Tavern")
    nameless = await create(api, "/api/contacts", phone="+12025550104")
    await api.put(f"/api/contacts/{lisa['id']}", json={"flagged": True, "notes": "Plays sax"})
    await api.put(f"/api/contacts/{bart['id']}", json={"notes": "  "})

    async def ids(**params: Any) -> list[int]:
        resp = await api.get("/api/contacts", params=params)
        assert resp.status_code == 200, resp.text
        return [c["id"] for c in resp.json()]

    assert await ids() == [bart["id"], lisa["id"], moe["id"], nameless["id"]]
    assert await ids(q="simp") == [bart["id"], lisa["id"]]
    assert await ids(q="TAVERN") == [moe["id"]]
    assert await ids(q="555-0104") == [nameless["id"]]
    assert await ids(q="20712") == [moe["id"]]
    assert await ids(scope="flagged") == [lisa["id"]]
    assert await ids(scope="with_notes") == [lisa["id"]]  # blank notes are none
    assert await ids(scope="landlines") == [moe["id"]]
    assert await ids(scope="textable") == [bart["id"], lisa["id"], nameless["id"]]
    # last name, first name, phone; those without a name last
    assert await ids(order_by_name_then_phone="true") == [bart["id"], lisa["id"], moe["id"], nameless["id"]]
    await api.post("/api/opt_outs", json={"phone": "+12025550101"})
    assert await ids(scope="textable") == [lisa["id"], nameless["id"]]
    opted = (await api.get(f"/api/contacts/{bart['id']}")).json()
    assert opted["opted_out"] is True


async def test_listing_runs_a_fixed_number_of_queries(app: Any, api: httpx.AsyncClient) -> None:
    await create(api, "/api/contacts", phone="+12025550101", tags=["x"])
    one = await query_count(app, api, "/api/contacts")
    for i in range(2, 12):
        await create(api, "/api/contacts", phone=f"+120255501{i:02d}", tags=["x", f"t{i}"])
    assert await query_count(app, api, "/api/contacts") == one
    # auth, count, page, phones, tags, opt outs
    assert one == 6
