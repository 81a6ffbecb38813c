"""message_actions.json: label, unlabel, archive, restore and delete incoming messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.kit import clock
from sauti.models import Contact, Label, Message, MessageLabel
from tests.api.rapidpro.helpers import count, row
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("app")
URL = "/api/v2/message_actions.json"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


async def make_contact(db: Any, workspace_id: int, name: str = "Joe Blow") -> Contact:
    async with db() as session:
        contact = Contact(
            uuid=clock.new_uuid(),
            workspace_id=workspace_id,
            name=name,
            status="active",
            is_active=True,
            created_on=LONG_AGO,
            modified_on=LONG_AGO,
        )
        session.add(contact)
        await session.commit()
        return contact


async def make_message(
    db: Any,
    workspace_id: int,
    contact_id: int | None = None,
    *,
    direction: str = "in",
    status: str = "handled",
    visibility: str = "visible",
    text: str = "Hello",
    created_on: datetime = LONG_AGO,
) -> Message:
    """A message row as the inbox (direction "in") or the outbox ("out") would have left it."""
    if contact_id is None:
        contact_id = (await make_contact(db, workspace_id)).id
    async with db() as session:
        message = Message(
            uuid=clock.new_uuid(),
            workspace_id=workspace_id,
            contact_id=contact_id,
            direction=direction,
            msg_type="text",
            status=status,
            visibility=visibility,
            text=text,
            attachments=["image/jpeg:https://example.com/a.jpg"] if direction == "in" else [],
            quick_replies=[],
            created_on=created_on,
            modified_on=created_on,
        )
        session.add(message)
        await session.commit()
        return message


async def label_ids_of(db: Any, message_id: int) -> set[int]:
    async with db() as session:
        rows = await session.execute(select(MessageLabel.label_id).where(MessageLabel.message_id == message_id))
        return set(rows.scalars())


async def create_label(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    resp = await client.post("/api/v2/labels.json", json={"name": name})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def test_label_and_unlabel(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    ws = tenant.workspace.id
    contact = await make_contact(db, ws)
    m1, m2, m3 = [await make_message(db, ws, contact.id, text=f"msg {i}") for i in range(3)]
    important = await create_label(client, "Important")

    resp = await client.post(URL, json={"messages": [m1.id, m2.id], "action": "label", "label": important["uuid"]})
    assert resp.status_code == 204 and resp.content == b""
    stored = await row(db, Label, Label.uuid == important["uuid"])
    assert await label_ids_of(db, m1.id) == {stored.id} and await label_ids_of(db, m2.id) == {stored.id}
    assert await label_ids_of(db, m3.id) == set()
    # labelling bumps modified_on of the messages it changed, and only those
    after1 = await row(db, Message, Message.id == m1.id)
    assert after1.modified_on > LONG_AGO
    assert (await row(db, Message, Message.id == m3.id)).modified_on == LONG_AGO
    listed = (await client.get("/api/v2/messages.json", params={"uuid": m1.uuid})).json()["results"][0]
    assert listed["labels"] == [{"uuid": important["uuid"], "name": "Important"}]
    got = (await client.get("/api/v2/labels.json", params={"uuid": important["uuid"]})).json()["results"]
    assert got == [{"uuid": important["uuid"], "name": "Important", "count": 2}]

    # by name, any case; a message already labelled stays as it was
    resp = await client.post(URL, json={"messages": [m1.id, m3.id], "action": "label", "label": "IMPORTANT"})
    assert resp.status_code == 204
    assert await label_ids_of(db, m3.id) == {stored.id}
    assert (await row(db, Message, Message.id == m1.id)).modified_on == after1.modified_on
    assert await count(db, MessageLabel, MessageLabel.label_id == stored.id) == 3

    # label_name creates a missing label for "label", and reuses an existing one whatever its case
    resp = await client.post(URL, json={"messages": [m1.id], "action": "label", "label_name": "Follow Up"})
    assert resp.status_code == 204
    follow = await row(db, Label, Label.name == "Follow Up")
    assert follow is not None and follow.workspace_id == ws and follow.is_active
    assert await label_ids_of(db, m1.id) == {stored.id, follow.id}
    resp = await client.post(URL, json={"messages": [m2.id], "action": "label", "label_name": "follow up"})
    assert resp.status_code == 204
    assert await count(db, Label, Label.workspace_id == ws) == 2
    assert await label_ids_of(db, m2.id) == {stored.id, follow.id}

    # unlabel by UUID, by name and by label_name; a missing label_name is ignored and never created
    resp = await client.post(URL, json={"messages": [m1.id, m2.id], "action": "unlabel", "label_name": "FOLLOW UP"})
    assert resp.status_code == 204
    assert await count(db, MessageLabel, MessageLabel.label_id == follow.id) == 0
    before = (await row(db, Message, Message.id == m3.id)).modified_on
    resp = await client.post(URL, json={"messages": [m3.id], "action": "unlabel", "label": "important"})
    assert resp.status_code == 204
    assert await label_ids_of(db, m3.id) == set()
    assert (await row(db, Message, Message.id == m3.id)).modified_on > before
    resp = await client.post(URL, json={"messages": [m1.id], "action": "unlabel", "label_name": "Nowhere"})
    assert resp.status_code == 204
    assert await row(db, Label, Label.name == "Nowhere") is None
    assert await label_ids_of(db, m1.id) == {stored.id}
    resp = await client.post(URL, json={"messages": [m1.id, m2.id], "action": "unlabel", "label": important["uuid"]})
    assert resp.status_code == 204
    assert await count(db, MessageLabel) == 0


async def test_archive_restore_and_delete(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    ws = tenant.workspace.id
    contact = await make_contact(db, ws)
    m1 = await make_message(db, ws, contact.id)
    m2 = await make_message(db, ws, contact.id, visibility="deleted")
    m3 = await make_message(db, ws, contact.id, visibility="archived")
    # vector 20: a deleted message is a failure, the rest is still done
    resp = await client.post(URL, json={"messages": [m2.id, m3.id], "action": "restore"})
    assert resp.status_code == 200 and resp.json() == {"failures": [m2.id]}
    restored = await row(db, Message, Message.id == m3.id)
    assert restored.visibility == "visible" and restored.modified_on > LONG_AGO
    assert (await row(db, Message, Message.id == m2.id)).visibility == "deleted"
    # all resolvable: 204
    resp = await client.post(URL, json={"messages": [m1.id, m3.id], "action": "archive"})
    assert resp.status_code == 204 and resp.content == b""
    for m in (m1, m3):
        assert (await row(db, Message, Message.id == m.id)).visibility == "archived"
    folder = (await client.get("/api/v2/messages.json", params={"folder": "archived"})).json()["results"]
    assert {m["id"] for m in folder} == {m1.id, m3.id}
    # restoring a visible message, or archiving an archived one, leaves it alone
    resp = await client.post(URL, json={"messages": [m1.id], "action": "restore"})
    assert resp.status_code == 204
    moved = (await row(db, Message, Message.id == m1.id)).modified_on
    resp = await client.post(URL, json={"messages": [m1.id], "action": "restore"})
    assert resp.status_code == 204 and (await row(db, Message, Message.id == m1.id)).modified_on == moved

    # delete: labels and content go, the row stays as "deleted" and never resolves again
    resp = await client.post(URL, json={"messages": [m1.id, m3.id], "action": "label", "label_name": "Spam"})
    assert resp.status_code == 204
    resp = await client.post(URL, json={"messages": [m1.id], "action": "delete"})
    assert resp.status_code == 204
    gone = await row(db, Message, Message.id == m1.id)
    assert (gone.visibility, gone.text, gone.attachments) == ("deleted", "", [])
    assert await label_ids_of(db, m1.id) == set() and len(await label_ids_of(db, m3.id)) == 1
    listed = (await client.get("/api/v2/messages.json")).json()["results"]
    assert [m["id"] for m in listed] == [m3.id]
    resp = await client.post(URL, json={"messages": [m1.id], "action": "restore"})
    assert resp.status_code == 200 and resp.json() == {"failures": [m1.id]}
    assert (await row(db, Message, Message.id == m1.id)).visibility == "deleted"


async def test_messages_by_uuid_and_failures(client: httpx.AsyncClient, tenant: Tenant, other: Tenant, db: Any) -> None:
    ws = tenant.workspace.id
    m1 = await make_message(db, ws)
    m2 = await make_message(db, ws)
    theirs = await make_message(db, other.workspace.id)
    unknown = "f2f1d4b4-7b44-4fd0-9d5f-3f8e1d7d0a11"
    refs = [
        m1.uuid,  # the python client sends UUIDs
        m2.id,
        m2.uuid.upper(),  # the same message again, differently written: once
        theirs.id,  # another workspace's message is not found
        theirs.uuid,
        unknown,
        str(m1.id),  # a numeric string is neither an id nor a UUID
        1.5,
        None,
        True,
        18446744073709551615,  # beyond 64 bits
        unknown,  # a repeat is reported once
    ]
    resp = await client.post(URL, json={"messages": refs, "action": "archive"})
    assert resp.status_code == 200
    assert resp.json() == {
        "failures": [theirs.id, theirs.uuid, unknown, str(m1.id), 1.5, None, True, 18446744073709551615]
    }
    for m in (m1, m2):
        assert (await row(db, Message, Message.id == m.id)).visibility == "archived"
    assert (await row(db, Message, Message.id == theirs.id)).visibility == "visible"
    # nothing resolved at all is still a 200 listing every failure
    resp = await client.post(URL, json={"messages": [theirs.id], "action": "delete"})
    assert resp.status_code == 200 and resp.json() == {"failures": [theirs.id]}
    assert (await row(db, Message, Message.id == theirs.id)).visibility == "visible"
    # an empty list does nothing
    assert (await client.post(URL, json={"messages": [], "action": "archive"})).status_code == 204


async def test_outgoing_messages_are_refused(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    ws = tenant.workspace.id
    incoming = await make_message(db, ws)
    out = await make_message(db, ws, direction="out", status="sent")
    for ref in (out.id, out.uuid):
        resp = await client.post(URL, json={"messages": [incoming.id, ref, 12345678], "action": "archive"})
        assert resp.status_code == 400
        assert resp.json() == {"messages": [f"Not an incoming message: {ref}"]}
    resp = await client.post(URL, json={"messages": [out.id], "action": "label", "label_name": "New"})
    assert resp.status_code == 400 and resp.json() == {"messages": [f"Not an incoming message: {out.id}"]}
    # nothing happened: not even the label was created
    assert (await row(db, Message, Message.id == incoming.id)).visibility == "visible"
    assert (await row(db, Message, Message.id == out.id)).modified_on == LONG_AGO
    assert await count(db, Label) == 0


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"messages": [1], "action": "like"}, {"action": ['"like" is not a valid choice.']}),
        ({}, {"messages": ["This field is required."], "action": ["This field is required."]}),
        (
            {"messages": list(range(101)), "action": "archive"},
            {"messages": ["Ensure this field has no more than 100 elements."]},
        ),
        ({"messages": "1", "action": "archive"}, {"messages": ['Expected a list of items but got type "str".']}),
        ({"messages": ["{m}"], "action": "label", "label": ""}, {"label": ["This field may not be null."]}),
        ({"messages": ["{m}"], "action": "label", "label": None}, {"label": ["This field may not be null."]}),
        ({"messages": ["{m}"], "action": "label", "label": "Nope"}, {"label": ["No such object: Nope"]}),
        ({"messages": ["{m}"], "action": "label", "label": 123}, {"label": ["No such object: 123"]}),
        ({"messages": ["{m}"], "action": "label", "label": ["x"]}, {"label": ["Must be a string or integer"]}),
        (
            {"messages": ["{m}"], "action": "label", "label_name": '"Bad"'},
            {"label_name": ['Cannot contain the character: "']},
        ),
        (
            {"messages": ["{m}"], "action": "label", "label_name": "x" * 65},
            {"label_name": ["Ensure this field has no more than 64 characters."]},
        ),
        ({"messages": ["{m}"], "action": "label", "label_name": ""}, {"label_name": ["This field may not be blank."]}),
        (
            {"messages": ["{m}"], "action": "label", "label_name": None},
            {"label_name": ["This field may not be null."]},
        ),
        (
            {"messages": ["{m}"], "action": "label", "label": "Existing", "label_name": "Other"},
            {"non_field_errors": ["Can't specify both label and label_name."]},
        ),
        (
            {"messages": ["{m}"], "action": "label"},
            {"non_field_errors": ['For action "label" you should also specify a label']},
        ),
        (
            {"messages": ["{m}"], "action": "unlabel"},
            {"non_field_errors": ['For action "unlabel" you should also specify a label']},
        ),
        (
            {"messages": ["{m}"], "action": "archive", "label": "Existing"},
            {"non_field_errors": ['For action "archive" you should not specify a label']},
        ),
        (
            {"messages": ["{m}"], "action": "delete", "label_name": "Other"},
            {"non_field_errors": ['For action "delete" you should not specify a label']},
        ),
    ],
)
async def test_errors(
    client: httpx.AsyncClient, tenant: Tenant, db: Any, payload: dict[str, Any], errors: dict[str, Any]
) -> None:
    message = await make_message(db, tenant.workspace.id)
    await create_label(client, "Existing")
    if payload.get("messages") == ["{m}"]:
        payload = {**payload, "messages": [message.id]}
    resp = await client.post(URL, json=payload)
    assert resp.status_code == 400
    assert resp.json() == errors
    after = await row(db, Message, Message.id == message.id)
    assert (after.visibility, after.modified_on) == ("visible", LONG_AGO)
    assert await count(db, Label) == 1 and await count(db, MessageLabel) == 0


async def test_body_and_methods(client: httpx.AsyncClient) -> None:
    resp = await client.post(URL, json=[])
    assert resp.status_code == 400 and resp.json() == {
        "non_field_errors": ["Request body should be a single JSON object"]
    }
    for method in ("GET", "DELETE"):
        resp = await client.request(method, URL)
        assert resp.status_code == 405 and resp.json() == {"detail": f'Method "{method}" not allowed.'}


async def test_label_name_respects_the_label_limit(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    ws = tenant.workspace.id
    message = await make_message(db, ws)
    now = clock.now()
    async with db() as session:
        session.add_all(
            Label(uuid=clock.new_uuid(), workspace_id=ws, name=f"L{i}", is_active=True, created_on=now, modified_on=now)
            for i in range(250)
        )
        await session.commit()
    resp = await client.post(URL, json={"messages": [message.id], "action": "label", "label_name": "One Too Many"})
    assert resp.status_code == 409
    assert resp.json() == {"detail": "Cannot create object because workspace has reached limit."}
    assert await count(db, Label) == 250 and await count(db, MessageLabel) == 0
    # an existing label is still usable by name
    resp = await client.post(URL, json={"messages": [message.id], "action": "label", "label_name": "l7"})
    assert resp.status_code == 204 and await count(db, MessageLabel) == 1


async def test_modified_on_moves_forward(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    recent = clock.now() - timedelta(minutes=1)
    message = await make_message(db, tenant.workspace.id, created_on=recent)
    resp = await client.post(URL, json={"messages": [message.uuid], "action": "label", "label_name": "Later"})
    assert resp.status_code == 204
    after = await row(db, Message, Message.id == message.id)
    assert after.modified_on > recent and after.created_on == recent


async def test_integer_ids_of_any_size_are_echoed_as_sent(client: httpx.AsyncClient) -> None:
    huge = [2**53 + 1, 2**63, 2**64 + 5, -(2**70)]
    listed = ", ".join(str(i) for i in huge)
    raw = '{"messages": [' + listed + '], "action": "archive"}'
    resp = await client.post(URL, content=raw, headers={"Content-Type": "application/json"})
    assert resp.status_code == 200, resp.text
    assert resp.text == '{"failures":[' + listed.replace(" ", "") + "]}"
    assert resp.json() == {"failures": huge}
