"""/api/broadcasts: a text to a group's members, expanded by the same worker as API v2 broadcasts, now or at
deliver_at; a scheduled one can be deleted; the listing's filters."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.kit import clock
from sauti.models import Broadcast, Message
from tests.api.textus.helpers import count, create, rates, row
from tests.support.queries import query_count

pytestmark = pytest.mark.usefixtures("app")

KEYS = [
    "user_id", "group_id", "message_body", "status", "deliver_at", "id", "created_at", "updated_at", "group_name",
    "total_messages",
]  # fmt: skip


@pytest.fixture(autouse=True)
async def many_a_minute(db: Any, tenant: Any) -> None:
    await rates(db, tenant, **{"textus.broadcasts": "100/minute"})


async def _group_of(api: httpx.AsyncClient, name: str, *people: tuple[str, str]) -> dict[str, Any]:
    group = await create(api, "/api/groups", name=name)
    for phone, first in people:
        contact = await create(api, "/api/contacts", phone=phone, first_name=first)
        await api.put(f"/api/groups/{group['id']}/contacts/{contact['id']}")
    return group


async def test_a_broadcast_reaches_the_textable_members(
    api: httpx.AsyncClient, channel: Any, worker: Any, db: Any, tenant: Any
) -> None:
    group = await _group_of(
        api, "Family", ("+12025550101", "Bart"), ("+12025550102", "Lisa"), ("+12025550103", "Maggie")
    )
    await api.post("/api/opt_outs", json={"phone": "+12025550102"})
    await create(api, "/api/message_signatures", content="-- Mom", is_active=True)
    resp = await api.post(
        "/api/broadcasts",
        json={
            "sender": tenant.user.id,
            "group": group["id"],
            "message_body": "Dinner, {{contact.first_name}}!",
            "from_template": "true",
        },
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert list(body) == KEYS
    assert (body["user_id"], body["group_id"], body["group_name"]) == (tenant.user.id, group["id"], "Family")
    assert body["message_body"] == "Dinner, {{contact.first_name}}!\n-- Mom" and body["status"] == "sending"
    assert body["deliver_at"].endswith(" UTC") and len(body["deliver_at"]) == 23
    stored = await row(db, Broadcast, Broadcast.id == body["id"])
    assert stored.from_template is True and stored.group_ids == [group["id"]] and stored.templated is True
    await worker.drain()
    async with db() as session:
        sent = list((await session.execute(select(Message).where(Message.broadcast_id == body["id"]))).scalars())
    # Lisa opted out (and so left the group); the others get their own text, signed
    assert sorted(m.text for m in sent) == ["Dinner, Bart!\n-- Mom", "Dinner, Maggie!\n-- Mom"]
    assert {m.status for m in sent} == {"delivered"} and {m.created_by_id for m in sent} == {tenant.user.id}
    shown = (await api.get(f"/api/broadcasts/{body['id']}")).json()
    assert (shown["status"], shown["total_messages"]) == ("sent", 2)
    listed = (await api.get("/api/messages", params={"q": "Dinner"})).json()
    assert {m["broadcast_id"] for m in listed} == {body["id"]} and {m["sender_type"] for m in listed} == {"User"}


async def test_scheduled_broadcasts_wait_and_can_be_deleted(
    api: httpx.AsyncClient, channel: Any, worker: Any, db: Any, tenant: Any, travel: Any
) -> None:
    group = await _group_of(api, "Team", ("+12025550101", "Ann"))
    when = (clock.now() + timedelta(days=1)).replace(microsecond=0)
    send = {"sender": tenant.user.id, "group": group["id"], "message_body": "Tomorrow", "deliver_at": when.isoformat()}
    kept = (await api.post("/api/broadcasts", json=send)).json()
    dropped = (await api.post("/api/broadcasts", json=send)).json()
    assert kept["status"] == "scheduled" and kept["deliver_at"] == when.strftime("%Y-%m-%d %H:%M:%S UTC")
    await worker.drain()
    assert await count(db, Message, Message.broadcast_id.is_not(None)) == 0
    gone = await api.delete(f"/api/broadcasts/{dropped['id']}")
    assert gone.status_code == 200 and gone.json()["status"] == "scheduled"
    assert (await row(db, Broadcast, Broadcast.id == dropped["id"])).is_active is False
    assert (await api.get(f"/api/broadcasts/{dropped['id']}")).status_code == 404
    travel(timedelta(days=1, minutes=1))
    await worker.drain()
    async with db() as session:
        sent = (await session.execute(select(Message.broadcast_id).where(Message.broadcast_id.is_not(None)))).all()
    assert [b for (b,) in sent] == [kept["id"]]
    late = await api.delete(f"/api/broadcasts/{kept['id']}")
    assert late.status_code == 422 and late.json() == {"error": "Validation failed: Broadcast has already been sent"}


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"group": "{group}", "message_body": "x"}, 400, "sender is missing"),
        ({"sender": "{user}", "group": "{group}"}, 400, "message_body is missing"),
        ({"sender": "{user}", "group": "one", "message_body": "x"}, 400, "group is invalid"),
        ({"sender": 999999, "group": "{group}", "message_body": "x"}, 422, "Validation failed: Sender is invalid"),
        ({"sender": "{user}", "group": 999999, "message_body": "x"}, 422, "Validation failed: Group is invalid"),
        (
            {"sender": "{user}", "group": "{group}", "message_body": " "},
            422,
            "Validation failed: Message body can't be blank",
        ),
        (
            {"sender": "{user}", "group": "{group}", "message_body": "x", "deliver_at": "tomorrow"},
            400,
            "deliver_at is invalid",
        ),
        (
            {"sender": "{user}", "group": "{group}", "message_body": "x", "from_template": "kinda"},
            400,
            "from_template is invalid",
        ),
    ],
)
async def test_refusals_record_nothing(
    api: httpx.AsyncClient, db: Any, tenant: Any, body: dict[str, Any], status: int, error: str
) -> None:
    group = await create(api, "/api/groups", name="G")
    filled = {k: group["id"] if v == "{group}" else tenant.user.id if v == "{user}" else v for k, v in body.items()}
    resp = await api.post("/api/broadcasts", json=filled)
    assert resp.status_code == status and resp.json() == {"error": error}, resp.text
    assert await count(db, Broadcast) == 0


async def test_listing_filters(api: httpx.AsyncClient, db: Any, tenant: Any, client: httpx.AsyncClient) -> None:
    a = await create(api, "/api/groups", name="A")
    b = await create(api, "/api/groups", name="B")

    async def broadcast(group: dict[str, Any], when: str) -> int:
        body = {"sender": tenant.user.id, "group": group["id"], "message_body": "x", "deliver_at": when}
        return int((await create(api, "/api/broadcasts", **body))["id"])

    a1 = await broadcast(a, "2031-05-02T08:00:00Z")
    a2 = await broadcast(a, "2031-05-03T23:59:59+00:00")
    b1 = await broadcast(b, "2031-05-02T17:27:55Z")
    # an API v2 broadcast to no group at all is listed, without a group
    v2 = (await client.post("/api/v2/broadcasts.json", json={"text": "v2", "urns": ["tel:+12025550101"]})).json()

    async def ids(**params: Any) -> list[int]:
        resp = await api.get("/api/broadcasts", params=params)
        assert resp.status_code == 200, resp.text
        return [x["id"] for x in resp.json()]

    listed = await ids()
    assert listed[:3] == [a2, b1, a1] and v2["id"] in listed  # latest delivery first
    assert await ids(date="2031-05-02") == [b1, a1]
    assert await ids(last_broadcast_to_each_group="true") == [a2, b1]
    assert (await api.get("/api/broadcasts", params={"date": "May 2nd"})).json() == {"error": "date is invalid"}
    per_group = (await api.get(f"/api/groups/{a['id']}/broadcasts")).json()
    assert [x["id"] for x in per_group] == [a2, a1] and {x["group_name"] for x in per_group} == {"A"}
    shown = next(x for x in (await api.get("/api/broadcasts")).json() if x["id"] == v2["id"])
    assert (shown["group_id"], shown["group_name"], shown["message_body"]) == (None, None, "v2")


async def test_listing_query_count(app: Any, api: httpx.AsyncClient, tenant: Any) -> None:
    groups = [await create(api, "/api/groups", name=f"G{i}") for i in range(4)]
    await create(api, "/api/broadcasts", sender=tenant.user.id, group=groups[0]["id"], message_body="x")
    one = await query_count(app, api, "/api/broadcasts")
    for g in groups:
        await create(api, "/api/broadcasts", sender=tenant.user.id, group=g["id"], message_body="y")
    assert await query_count(app, api, "/api/broadcasts") == one == 4  # auth, count, page, groups
