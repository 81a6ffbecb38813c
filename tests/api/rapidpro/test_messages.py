"""messages.json: sending one message, and the listing by folder, contact, label and broadcast."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from sauti.models import ChannelLog, Contact, Label, Message, MessageLabel
from tests.api.rapidpro.helpers import count, create_contact, row
from tests.conftest import Backend, Tenant, add_channel

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
async def channel(backend: Backend, tenant: Tenant) -> Any:
    return await add_channel(backend, tenant)


async def test_send_goes_through_the_outbox(client: httpx.AsyncClient, channel: Any, worker: Any, db: Any) -> None:
    joe = await create_contact(client, name="Joe Blow", urns=["tel:+250788123123"])
    resp = await client.post("/api/v2/messages.json", json={"contact": joe["uuid"], "text": "Interesting"})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["contact"] == {"uuid": joe["uuid"], "name": "Joe Blow"}
    assert body["urn"] == "tel:+250788123123"
    assert body["channel"] == {"uuid": channel.uuid, "name": "Test Channel"}
    assert (body["direction"], body["type"], body["status"], body["visibility"]) == ("out", "text", "queued", "visible")
    assert body["labels"] == [] and body["attachments"] == [] and body["quick_replies"] == []
    assert body["sent_on"] is None and body["broadcast"] is None and body["media"] is None and body["flow"] is None
    assert list(body) == [
        "uuid", "contact", "urn", "channel", "direction", "type", "status", "archived", "visibility", "text",
        "labels", "flow", "attachments", "quick_replies", "created_on", "sent_on", "modified_on", "media", "id",
        "broadcast",
    ]  # fmt: skip
    stored = await row(db, Message, Message.uuid == body["uuid"])
    assert stored.status == "queued" and stored.high_priority is True
    # nothing is sent inside the request: the worker does it
    assert await worker.drain() >= 1
    stored = await row(db, Message, Message.uuid == body["uuid"])
    assert stored.status == "delivered" and stored.external_id == f"test-{body['uuid']}" and stored.sent_on is not None
    assert stored.claimed_by is None
    assert await count(db, ChannelLog, ChannelLog.message_id == stored.id, ChannelLog.log_type == "msg_send") == 1
    listed = (await client.get("/api/v2/messages.json", params={"folder": "sent"})).json()["results"]
    assert [m["uuid"] for m in listed] == [body["uuid"]] and listed[0]["status"] == "delivered"
    assert listed[0]["sent_on"] is not None


async def test_send_by_urn_and_errors(client: httpx.AsyncClient, channel: Any, db: Any) -> None:
    joe = await create_contact(client, name="Joe", urns=["tel:+250788123123"])
    by_urn = await client.post("/api/v2/messages.json", json={"contact": "tel:+250788123123", "text": "Hi"})
    assert by_urn.status_code == 201 and by_urn.json()["contact"]["uuid"] == joe["uuid"]
    cases = [
        ({}, {"contact": ["This field is required."]}),
        ({"contact": joe["uuid"]}, {"non_field_errors": ["Must provide either text or attachments."]}),
        ({"contact": "tel:0788123123", "text": "x"}, {"contact": ["No such object: tel:0788123123"]}),
        (
            {"contact": joe["uuid"], "text": "x", "quick_replies": [{"type": "form", "text": "Book now"}]},
            {"quick_replies": {"0": ["Quick replies of type 'form' require 'text' and 'extra' values."]}},
        ),
        (
            {"contact": joe["uuid"], "text": "x", "quick_replies": [{"type": "text"}]},
            {"quick_replies": {"0": ["Quick replies of type 'text' require a 'text' value."]}},
        ),
        (
            {"contact": joe["uuid"], "text": "x" * 4097},
            {"text": ["Ensure this field has no more than 4096 characters."]},
        ),
        ({"contact": joe["uuid"], "text": "x", "attachments": ["nope"]}, {"attachments": ["No such object: nope"]}),
    ]
    for payload, errors in cases:
        resp = await client.post("/api/v2/messages.json", json=payload)
        assert resp.status_code == 400, payload
        assert resp.json() == errors
    assert await count(db, Message) == 1


async def test_quick_replies_are_normalised(client: httpx.AsyncClient, channel: Any) -> None:
    joe = await create_contact(client, urns=["tel:+250788123123"])
    resp = await client.post(
        "/api/v2/messages.json",
        json={"contact": joe["uuid"], "text": "Pick", "quick_replies": [{"text": "Red"}, {"type": "location"}]},
    )
    assert resp.status_code == 201
    assert resp.json()["quick_replies"] == [{"type": "text", "text": "Red"}, {"type": "location"}]


async def test_unreachable_and_stopped_contacts_get_failed_messages(
    client: httpx.AsyncClient, channel: Any, db: Any
) -> None:
    nobody = await create_contact(client, name="No URN")
    resp = await client.post("/api/v2/messages.json", json={"contact": nobody["uuid"], "text": "Hi"})
    assert resp.status_code == 201
    assert resp.json()["status"] == "failed" and resp.json()["channel"] is None and resp.json()["urn"] is None
    assert (await row(db, Message, Message.uuid == resp.json()["uuid"])).failed_reason == "D"
    stopped = await create_contact(client, urns=["tel:+250788000001"])
    async with db() as session:
        await session.execute(update(Contact).where(Contact.uuid == stopped["uuid"]).values(status="stopped"))
        await session.commit()
    resp = await client.post("/api/v2/messages.json", json={"contact": stopped["uuid"], "text": "Hi"})
    assert resp.json()["status"] == "failed"
    assert (await row(db, Message, Message.uuid == resp.json()["uuid"])).failed_reason == "C"
    failed = (await client.get("/api/v2/messages.json", params={"folder": "failed"})).json()["results"]
    assert len(failed) == 2


async def test_inbox_and_filters(client: httpx.AsyncClient, channel: Any, db: Any, tenant: Tenant) -> None:
    joe = await create_contact(client, name="Joe", urns=["tel:+250788123123"])
    transport = client._transport  # the same app, without a token: providers do not authenticate with one
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as provider:
        for text in ("first", "second"):
            resp = await provider.post(f"/c/test/{channel.uuid}/receive", data={"from": "+250788123123", "text": text})
            assert resp.status_code == 200, resp.text
        resp = await provider.post(f"/c/test/{channel.uuid}/receive", data={"from": "0788999888", "text": "new"})
        assert resp.status_code == 200
    inbox = (await client.get("/api/v2/messages.json", params={"folder": "INBOX"})).json()["results"]
    assert [m["text"] for m in inbox] == ["new", "second", "first"]
    assert inbox[0]["urn"] == "tel:+250788999888" and inbox[0]["direction"] == "in" and inbox[0]["status"] == "handled"
    by_contact = (await client.get("/api/v2/messages.json", params={"contact": joe["uuid"]})).json()["results"]
    assert [m["text"] for m in by_contact] == ["second", "first"]
    assert (await client.get("/api/v2/messages.json", params={"folder": "invalid"})).json()["results"] == []
    both = await client.get("/api/v2/messages.json", params={"contact": joe["uuid"], "label": "Spam"})
    assert both.status_code == 400
    assert both.json() == {"detail": "You may only specify one of the contact, folder, label, broadcast parameters"}
    bad_id = await client.get("/api/v2/messages.json", params={"id": "xyz"})
    assert bad_id.status_code == 400 and bad_id.json() == {"detail": "Value for id must be an integer"}
    first_id = inbox[2]["id"]
    assert [m["text"] for m in (await client.get(f"/api/v2/messages.json?id={first_id}")).json()["results"]] == [
        "first"
    ]
    # a label filter, set up directly
    async with db() as session:
        from sauti.kit import clock

        label = Label(
            uuid=clock.new_uuid(),
            workspace_id=tenant.workspace.id,
            name="Spam",
            is_active=True,
            created_on=clock.now(),
            modified_on=clock.now(),
        )
        session.add(label)
        await session.flush()
        session.add(MessageLabel(message_id=first_id, label_id=label.id))
        await session.commit()
    labelled = (await client.get("/api/v2/messages.json", params={"label": "Spam"})).json()["results"]
    assert [m["text"] for m in labelled] == ["first"] and labelled[0]["labels"][0]["name"] == "Spam"
    after = await client.get("/api/v2/messages.json", params={"after": inbox[1]["created_on"]})
    assert [m["text"] for m in after.json()["results"]] == ["new", "second"]


async def test_pending_incoming_is_hidden(client: httpx.AsyncClient, channel: Any, db: Any) -> None:
    await create_contact(client, urns=["tel:+250788123123"])
    transport = client._transport
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as provider:
        await provider.post(f"/c/test/{channel.uuid}/receive", data={"from": "+250788123123", "text": "hi"})
    async with db() as session:
        await session.execute(update(Message).values(status="pending"))
        await session.commit()
    assert (await client.get("/api/v2/messages.json")).json()["results"] == []
    async with db() as session:
        assert len((await session.execute(select(Message))).all()) == 1
