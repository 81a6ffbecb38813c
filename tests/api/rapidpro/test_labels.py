"""labels.json: message labels and their counts of visible messages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sauti.kit import clock
from sauti.models import Label, Message, MessageLabel
from tests.api.rapidpro.helpers import all_pages, count, row
from tests.api.rapidpro.test_message_actions import create_label, make_contact, make_message
from tests.conftest import Tenant
from tests.support.queries import counted as recording

pytestmark = pytest.mark.usefixtures("app")
URL = "/api/v2/labels.json"


async def label_messages(client: httpx.AsyncClient, label: str, *messages: Message) -> None:
    resp = await client.post(
        "/api/v2/message_actions.json", json={"messages": [m.id for m in messages], "action": "label", "label": label}
    )
    assert resp.status_code == 204, resp.text


async def test_create_and_list(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    resp = await client.post(URL, json={"name": "Spam"})
    assert resp.status_code == 201
    spam = resp.json()
    assert spam == {"uuid": spam["uuid"], "name": "Spam", "count": 0}
    stored = await row(db, Label, Label.uuid == spam["uuid"])
    assert (stored.name, stored.workspace_id, stored.is_active) == ("Spam", tenant.workspace.id, True)
    important = await create_label(client, "Important")
    # newest first
    listing = await client.get(URL)
    assert listing.status_code == 200
    assert listing.json() == {
        "next": None,
        "previous": None,
        "results": [
            {"uuid": important["uuid"], "name": "Important", "count": 0},
            {"uuid": spam["uuid"], "name": "Spam", "count": 0},
        ],
    }
    by_uuid = (await client.get(URL, params={"uuid": spam["uuid"]})).json()["results"]
    assert [lb["uuid"] for lb in by_uuid] == [spam["uuid"]]
    by_name = (await client.get(URL, params={"name": "IMPORTANT"})).json()["results"]
    assert [lb["uuid"] for lb in by_name] == [important["uuid"]]
    assert (await client.get(URL, params={"name": "Nothing"})).json()["results"] == []
    assert (await client.get(URL, params={"uuid": "2b2b2b2b-7b44-4fd0-9d5f-3f8e1d7d0a11"})).json()["results"] == []
    both = await client.get(URL, params={"uuid": spam["uuid"], "name": "Spam"})
    assert both.status_code == 400
    assert both.json() == {"detail": "You may only specify one of the uuid, name parameters"}
    bad = await client.get(URL, params={"uuid": "xyz"})
    assert bad.status_code == 400 and bad.json() == {"detail": "Param 'uuid': xyz is not a valid UUID."}


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"name": "spam"}, {"name": ["This field must be unique."]}),
        ({"name": '"Junk"'}, {"name": ['Cannot contain the character: "']}),
        ({"name": "a\\b"}, {"name": ["Cannot contain the character: \\"]}),
        ({"name": "x" * 65}, {"name": ["Ensure this field has no more than 64 characters."]}),
        ({"name": " Junk"}, {"name": ["Cannot begin or end with whitespace."]}),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        ({"name": None}, {"name": ["This field may not be null."]}),
        ({"name": ["Junk"]}, {"name": ["Not a valid string."]}),
        ({}, {"name": ["This field is required."]}),
    ],
)
async def test_create_errors(client: httpx.AsyncClient, db: Any, payload: dict[str, Any], errors: Any) -> None:
    await create_label(client, "Spam")
    resp = await client.post(URL, json=payload)
    assert resp.status_code == 400
    assert resp.json() == errors
    assert await count(db, Label) == 1


async def test_names_are_per_workspace(app: Any, client: httpx.AsyncClient, other: Tenant, db: Any) -> None:
    await create_label(client, "Spam")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=other.headers) as b:
        resp = await b.post(URL, json={"name": "SPAM"})
        assert resp.status_code == 201
    assert await count(db, Label, Label.workspace_id == other.workspace.id) == 1


async def test_update(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    spam = await create_label(client, "Spam")
    await create_label(client, "Junk")
    message = await make_message(db, tenant.workspace.id)
    await label_messages(client, spam["uuid"], message)
    resp = await client.post(URL, params={"uuid": spam["uuid"]}, json={"name": "Not Wanted"})
    assert resp.status_code == 200
    assert resp.json() == {"uuid": spam["uuid"], "name": "Not Wanted", "count": 1}
    assert (await row(db, Label, Label.uuid == spam["uuid"])).name == "Not Wanted"
    # renaming to its own name in another case is fine; to another label's name is not
    resp = await client.post(URL, params={"uuid": spam["uuid"]}, json={"name": "NOT WANTED"})
    assert resp.status_code == 200 and resp.json()["name"] == "NOT WANTED"
    resp = await client.post(URL, params={"uuid": spam["uuid"]}, json={"name": "junk"})
    assert resp.status_code == 400 and resp.json() == {"name": ["This field must be unique."]}
    assert (await row(db, Label, Label.uuid == spam["uuid"])).name == "NOT WANTED"
    missing = await client.post(URL, params={"uuid": "2b2b2b2b-7b44-4fd0-9d5f-3f8e1d7d0a11"}, json={"name": "X"})
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}
    bad = await client.post(URL, params={"uuid": "xyz"}, json={"name": "X"})
    assert bad.status_code == 400 and bad.json() == {"detail": "Param 'uuid': xyz is not a valid UUID."}
    assert await row(db, Label, Label.name == "X") is None


async def test_delete(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    spam = await create_label(client, "Spam")
    keep = await create_label(client, "Keep")
    contact = await make_contact(db, tenant.workspace.id)
    m1 = await make_message(db, tenant.workspace.id, contact.id)
    m2 = await make_message(db, tenant.workspace.id, contact.id)
    await label_messages(client, spam["uuid"], m1, m2)
    await label_messages(client, keep["uuid"], m1)
    resp = await client.delete(URL)
    assert resp.status_code == 400
    assert resp.json() == {"detail": "URL must contain one of the following parameters: uuid"}
    resp = await client.delete(URL, params={"uuid": spam["uuid"]})
    assert resp.status_code == 204 and resp.content == b""
    stored = await row(db, Label, Label.uuid == spam["uuid"])
    assert stored.is_active is False and stored.name.startswith("deleted-") and stored.name.endswith("-Spam")
    assert len(stored.name) <= 64
    # taken off every message; the messages stay, other labels stay
    assert await count(db, MessageLabel, MessageLabel.label_id == stored.id) == 0
    assert await count(db, Message, Message.visibility == "visible") == 2
    assert await count(db, MessageLabel) == 1
    assert [lb["name"] for lb in (await client.get(URL)).json()["results"]] == ["Keep"]
    listed = (await client.get("/api/v2/messages.json", params={"uuid": m1.uuid})).json()["results"][0]
    assert listed["labels"] == [{"uuid": keep["uuid"], "name": "Keep"}]
    # gone for good: not found, and its name is free again
    assert (await client.delete(URL, params={"uuid": spam["uuid"]})).status_code == 404
    assert (await client.post(URL, params={"uuid": spam["uuid"]}, json={"name": "Back"})).status_code == 404
    assert (await client.get(URL, params={"uuid": spam["uuid"]})).json()["results"] == []
    again = await create_label(client, "spam")
    assert again["uuid"] != spam["uuid"]


async def test_count_is_visible_messages_only(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    ws = tenant.workspace.id
    spam = await create_label(client, "Spam")
    empty = await create_label(client, "Empty")
    contact = await make_contact(db, ws)
    visible = [await make_message(db, ws, contact.id) for _ in range(3)]
    archived = await make_message(db, ws, contact.id, visibility="archived")
    await label_messages(client, spam["uuid"], *visible, archived)
    # a deleted message still carrying the label (e.g. written by an older version) is not counted either
    gone = await make_message(db, ws, contact.id, visibility="deleted")
    stored = await row(db, Label, Label.uuid == spam["uuid"])
    async with db() as session:
        session.add(MessageLabel(message_id=gone.id, label_id=stored.id))
        await session.commit()
    counts = {lb["name"]: lb["count"] for lb in (await client.get(URL)).json()["results"]}
    assert counts == {"Spam": 3, "Empty": 0}
    resp = await client.post("/api/v2/message_actions.json", json={"messages": [visible[0].id], "action": "archive"})
    assert resp.status_code == 204
    got = (await client.get(URL, params={"uuid": spam["uuid"]})).json()["results"][0]
    assert got["count"] == 2
    assert (await client.get(URL, params={"uuid": empty["uuid"]})).json()["results"][0]["count"] == 0


async def test_counts_take_one_query_per_page(app: Any, client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    """The page's counts come from one grouped query: more labels on a page cost no more queries."""
    ws = tenant.workspace.id
    contact = await make_contact(db, ws)
    messages = [await make_message(db, ws, contact.id) for _ in range(3)]
    statements: list[str] = []

    async def queries_for_listing() -> int:
        async with recording(app) as recorded:
            resp = await client.get(URL)
        assert resp.status_code == 200
        statements[:] = recorded
        return len(statements)

    first = await create_label(client, "First")
    await label_messages(client, first["uuid"], *messages)
    with_one = await queries_for_listing()
    for i in range(5):
        label = await create_label(client, f"More {i}")
        await label_messages(client, label["uuid"], *messages[: i % 3 + 1])
    assert await queries_for_listing() == with_one
    counted = {lb["name"]: lb["count"] for lb in (await client.get(URL)).json()["results"]}
    assert counted == {"First": 3, "More 0": 1, "More 1": 2, "More 2": 3, "More 3": 1, "More 4": 2}
    assert sum("count(" in s.lower() and "message_labels" in s.lower() for s in statements) == 1


async def test_pagination(app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    created = [await create_label(client, f"Label {i}") for i in range(5)]
    monkeypatch.setattr(app.state.settings, "page_size", 2)
    first = (await client.get(URL)).json()
    assert len(first["results"]) == 2 and first["next"] is not None
    everything = await all_pages(client, URL)
    assert [lb["uuid"] for lb in everything] == [lb["uuid"] for lb in reversed(created)]


async def test_limit(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    ws = tenant.workspace.id
    now = clock.now()
    async with db() as session:
        session.add_all(
            Label(uuid=clock.new_uuid(), workspace_id=ws, name=f"L{i}", is_active=True, created_on=now, modified_on=now)
            for i in range(250)
        )
        await session.commit()
    resp = await client.post(URL, json={"name": "One Too Many"})
    assert resp.status_code == 409
    assert resp.json() == {"detail": "Cannot create object because workspace has reached limit."}
    assert await count(db, Label) == 250
    # renaming is not creating
    some = (await client.get(URL, params={"name": "L0"})).json()["results"][0]
    assert (await client.post(URL, params={"uuid": some["uuid"]}, json={"name": "Renamed"})).status_code == 200
    # deleted labels do not count
    assert (await client.delete(URL, params={"uuid": some["uuid"]})).status_code == 204
    assert (await client.post(URL, json={"name": "One Too Many"})).status_code == 201
    assert await count(db, Label, Label.is_active) == 250


async def test_body_must_be_an_object(client: httpx.AsyncClient, db: Any) -> None:
    resp = await client.post(URL, json=[])
    assert resp.status_code == 400
    assert resp.json() == {"non_field_errors": ["Request body should be a single JSON object"]}
    resp = await client.put(URL, json={"name": "X"})
    assert resp.status_code == 405 and resp.json() == {"detail": 'Method "PUT" not allowed.'}
    assert await count(db, Label) == 0
