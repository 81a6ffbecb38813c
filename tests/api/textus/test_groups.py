"""/api/groups: groups, their members, their broadcasts; smart groups are locked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.models import Contact, ContactGroup, GroupMember
from tests.api.textus.helpers import count, create, row
from tests.support.queries import query_count

pytestmark = pytest.mark.usefixtures("app")

KEYS = ["name", "account_id", "locked", "id", "created_at", "updated_at", "size"]


async def _members(db: Any, group_id: int) -> list[int]:
    async with db() as session:
        rows = await session.execute(select(GroupMember.contact_id).where(GroupMember.group_id == group_id))
        return sorted(rows.scalars())


async def test_create_read_rename_delete(api: httpx.AsyncClient, db: Any, tenant: Any) -> None:
    made = await create(api, "/api/groups", name="Customers")
    assert list(made) == KEYS and made["size"] == 0 and made["locked"] is False
    assert made["account_id"] == tenant.workspace.id
    assert (await api.get(f"/api/groups/{made['id']}")).json() == made
    taken = await api.post("/api/groups", json={"name": "customers"})
    assert taken.status_code == 422 and taken.json() == {"error": "Validation failed: Name has already been taken"}
    assert (await api.post("/api/groups", json={})).json() == {"error": "name is missing"}
    blank = await api.post("/api/groups", json={"name": " "})
    assert blank.status_code == 422 and blank.json() == {"error": "Validation failed: Name can't be blank"}
    renamed = await api.put(f"/api/groups/{made['id']}", json={"name": "Clients"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Clients"
    assert (await row(db, ContactGroup, ContactGroup.id == made["id"])).name == "Clients"
    gone = await api.delete(f"/api/groups/{made['id']}")
    assert gone.status_code == 200 and gone.json()["name"] == "Clients"
    assert (await row(db, ContactGroup, ContactGroup.id == made["id"])).is_active is False
    assert (await api.get(f"/api/groups/{made['id']}")).status_code == 404
    # the name is free again
    assert (await api.post("/api/groups", json={"name": "Clients"})).status_code == 201


async def test_members_added_removed_and_listed(api: httpx.AsyncClient, db: Any) -> None:
    group = await create(api, "/api/groups", name="Team")
    ann = await create(api, "/api/contacts", phone="+12025550101", first_name="Ann", last_name="Zed")
    bob = await create(api, "/api/contacts", phone="+12025550102", first_name="Bob", last_name="Abe")
    added = await api.put(f"/api/groups/{group['id']}/contacts/{ann['id']}")
    assert added.status_code == 200 and added.json()["size"] == 1 and list(added.json()) == KEYS
    again = await api.put(f"/api/groups/{group['id']}/contacts/{ann['id']}", json={})
    assert again.json()["size"] == 1  # idempotent
    await api.put(f"/api/groups/{group['id']}/contacts/{bob['id']}")
    assert await _members(db, group["id"]) == sorted([ann["id"], bob["id"]])
    listed = await api.get(f"/api/groups/{group['id']}/contacts")
    assert [c["id"] for c in listed.json()] == [ann["id"], bob["id"]] and listed.headers["x-total"] == "2"
    assert listed.json()[0]["first_name"] == "Ann" and "opted_out" in listed.json()[0]
    by_last = await api.get(f"/api/groups/{group['id']}/contacts", params={"order_by": "last_name"})
    assert [c["id"] for c in by_last.json()] == [bob["id"], ann["id"]]
    newest = await api.get(f"/api/groups/{group['id']}/contacts", params={"order_by": "created_at desc"})
    assert [c["id"] for c in newest.json()] == [bob["id"], ann["id"]]
    assert (await api.get(f"/api/groups/{group['id']}/contacts", params={"order_by": "secret"})).status_code == 400
    removed = await api.delete(f"/api/groups/{group['id']}/contacts/{ann['id']}")
    assert removed.json()["size"] == 1 and await _members(db, group["id"]) == [bob["id"]]
    not_member = await api.delete(f"/api/groups/{group['id']}/contacts/{ann['id']}")
    assert not_member.status_code == 200 and not_member.json()["size"] == 1
    assert (await api.put(f"/api/groups/{group['id']}/contacts/999999")).status_code == 404
    assert (await api.put(f"/api/groups/999999/contacts/{ann['id']}")).status_code == 404


async def test_deleting_a_group_with_its_contacts(api: httpx.AsyncClient, db: Any) -> None:
    group = await create(api, "/api/groups", name="Leads")
    kept = await create(api, "/api/groups", name="Kept")
    ann = await create(api, "/api/contacts", phone="+12025550101")
    bob = await create(api, "/api/contacts", phone="+12025550102")
    for c in (ann, bob):
        await api.put(f"/api/groups/{group['id']}/contacts/{c['id']}")
        await api.put(f"/api/groups/{kept['id']}/contacts/{c['id']}")
    await api.delete(f"/api/groups/{kept['id']}", params={"delete_contacts": "false"})
    assert await count(db, Contact, Contact.is_active) == 2  # members are kept by default
    resp = await api.delete(f"/api/groups/{group['id']}", params={"delete_contacts": "true"})
    assert resp.status_code == 200
    assert await count(db, Contact, Contact.is_active) == 0
    assert (await api.get(f"/api/contacts/{ann['id']}")).status_code == 404


async def test_smart_groups_are_locked(api: httpx.AsyncClient, client: httpx.AsyncClient, db: Any) -> None:
    smart = (await client.post("/api/v2/groups.json", json={"name": "Named", "query": 'name ~ "ann"'})).json()
    ann = await create(api, "/api/contacts", phone="+12025550101", first_name="Ann")
    async with db() as session:
        group_id = (await session.execute(select(ContactGroup.id).where(ContactGroup.uuid == smart["uuid"]))).scalar()
    shown = (await api.get(f"/api/groups/{group_id}")).json()
    assert shown["locked"] is True and shown["size"] == 1
    for method, url in [
        ("PUT", f"/api/groups/{group_id}"),
        ("DELETE", f"/api/groups/{group_id}"),
        ("PUT", f"/api/groups/{group_id}/contacts/{ann['id']}"),
        ("DELETE", f"/api/groups/{group_id}/contacts/{ann['id']}"),
    ]:
        resp = await api.request(method, url, json={"name": "Changed"} if method == "PUT" else None)
        assert resp.status_code == 422 and resp.json() == {"error": "Validation failed: Group is locked"}, url
    assert (await row(db, ContactGroup, ContactGroup.id == group_id)).name == "Named"
    assert await _members(db, group_id) == [ann["id"]]


async def test_listing_search_and_order(app: Any, api: httpx.AsyncClient) -> None:
    made = [await create(api, "/api/groups", name=n) for n in ("Beta", "alpha", "Gamma")]
    member = await create(api, "/api/contacts", phone="+12025550101")
    await api.put(f"/api/groups/{made[2]['id']}/contacts/{member['id']}")

    async def names(**params: Any) -> list[str]:
        resp = await api.get("/api/groups", params=params)
        assert resp.status_code == 200, resp.text
        return [g["name"] for g in resp.json()]

    assert await names() == ["Open Tickets", "Beta", "alpha", "Gamma"]  # the system group is listed, locked
    assert await names(q="AL") == ["alpha"]
    assert await names(order_by="name") == ["alpha", "Beta", "Gamma", "Open Tickets"]
    assert await names(order_by="name desc") == ["Open Tickets", "Gamma", "Beta", "alpha"]
    assert (await names(order_by="size desc"))[0] == "Gamma"
    assert (await api.get("/api/groups", params={"order_by": "id; drop"})).status_code == 400
    one = await query_count(app, api, "/api/groups")
    for n in range(6):
        await create(api, "/api/groups", name=f"More {n}")
    assert await query_count(app, api, "/api/groups") == one == 3  # auth, count, page


async def test_member_listing_query_count(app: Any, api: httpx.AsyncClient) -> None:
    group = await create(api, "/api/groups", name="Team")
    url = f"/api/groups/{group['id']}/contacts"
    first = await create(api, "/api/contacts", phone="+12025550100")
    await api.put(f"/api/groups/{group['id']}/contacts/{first['id']}")
    one = await query_count(app, api, url)
    for i in range(1, 8):
        c = await create(api, "/api/contacts", phone=f"+1202555010{i}", tags=["t"])
        await api.put(f"/api/groups/{group['id']}/contacts/{c['id']}")
    assert await query_count(app, api, url) == one == 7  # auth, the group, count, page, phones, tags, opt outs


async def test_group_broadcast_listing_query_count(app: Any, api: httpx.AsyncClient, tenant: Any, db: Any) -> None:
    from tests.api.textus.helpers import rates

    await rates(db, tenant, **{"textus.broadcasts": "100/minute"})
    group = await create(api, "/api/groups", name="Team")
    url = f"/api/groups/{group['id']}/broadcasts"
    await create(api, "/api/broadcasts", sender=tenant.user.id, group=group["id"], message_body="x")
    one = await query_count(app, api, url)
    for _ in range(5):
        await create(api, "/api/broadcasts", sender=tenant.user.id, group=group["id"], message_body="y")
    assert await query_count(app, api, url) == one == 5  # auth, the group, count, page, groups
