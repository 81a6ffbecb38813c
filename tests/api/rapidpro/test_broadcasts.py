"""broadcasts.json: validation, recording, and expansion into messages by the worker."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.models import Broadcast, Contact, Message
from tests.api.rapidpro.helpers import count, create_contact, create_group, row
from tests.conftest import Backend, Tenant, add_channel

pytestmark = pytest.mark.usefixtures("app")
URL = "/api/v2/broadcasts.json"


@pytest.fixture
async def channel(backend: Backend, tenant: Tenant) -> Any:
    return await add_channel(backend, tenant)


async def test_validation(client: httpx.AsyncClient, db: Any) -> None:
    joe = await create_contact(client, name="Joe Blow", urns=["tel:+250788123123"])
    cases = [
        ({"text": "Hello"}, {"non_field_errors": ["Must provide either urns, contacts or groups."]}),
        ({"contacts": [joe["uuid"]]}, {"non_field_errors": ["Must provide either text or attachments."]}),
        (
            {"text": {"kin": "Muraho"}, "base_language": "eng", "contacts": [joe["uuid"]]},
            {"non_field_errors": ["No text translation provided in base language."]},
        ),
        (
            {"text": {"xyz": "Hi"}, "contacts": [joe["uuid"]]},
            {"text": {"xyz": ["Not an allowed ISO 639-3 language code."]}},
        ),
        ({"text": "Hi", "groups": [123456]}, {"groups": ["No such object: 123456"]}),
        (
            {"text": "Hi", "urns": ["12345"]},
            {"urns": {"0": ["Invalid URN: 12345. Ensure phone numbers contain country codes."]}},
        ),
        ({"text": "Hi", "contacts": ["nope"]}, {"contacts": ["No such object: nope"]}),
        (
            {"text": "x" * 4097, "contacts": [joe["uuid"]]},
            {"text": ["Ensure this field has no more than 4096 characters."]},
        ),
        (
            {"text": "Hi", "contacts": [joe["uuid"]], "quick_replies": [{"type": "url", "text": "Go"}]},
            {"quick_replies": {"0": ["Quick replies of type 'url' require 'text' and 'extra' values."]}},
        ),
    ]
    for payload, errors in cases:
        resp = await client.post(URL, json=payload)
        assert resp.status_code == 400, payload
        assert resp.json() == errors, payload
    assert await count(db, Broadcast) == 0


async def test_broadcast_is_recorded_then_expanded_by_the_worker(
    client: httpx.AsyncClient, channel: Any, worker: Any, db: Any
) -> None:
    await create_group(client, "Reporters")
    joe = await create_contact(client, name="Joe Blow", urns=["tel:+250788123123"], groups=["Reporters"])
    ann = await create_contact(client, name="Ann", language="kin", urns=["tel:+250788000002"], groups=["Reporters"])
    blocked = await create_contact(client, urns=["tel:+250788000003"], groups=["Reporters"])
    await client.post("/api/v2/contact_actions.json", json={"contacts": [blocked["uuid"]], "action": "block"})
    resp = await client.post(
        URL,
        json={
            "text": {"eng": "Hello", "kin": "Muraho"},
            "groups": ["Reporters"],
            "contacts": [joe["uuid"]],
            "urns": ["tel:0788555666"],
        },
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "queued" and body["progress"] == {"total": -1, "started": 0}
    assert body["text"] == {"eng": "Hello", "kin": "Muraho"} and body["base_language"] == "eng"
    assert body["attachments"] == {"eng": [], "kin": []} and body["quick_replies"] == {"eng": [], "kin": []}
    assert body["urns"] == ["tel:+250788555666"]
    assert body["contacts"] == [{"uuid": joe["uuid"], "name": "Joe Blow"}]
    assert [g["name"] for g in body["groups"]] == ["Reporters"]
    assert await count(db, Message) == 0  # the request only records it
    await worker.drain()
    stored = await row(db, Broadcast, Broadcast.uuid == body["uuid"])
    assert stored.status == "completed" and stored.total == 3 and stored.started == 3
    async with db() as session:
        sent = (await session.execute(select(Message.text, Contact.uuid, Message.status).join(Contact))).all()
    by_contact = {uuid: (text, status) for text, uuid, status in sent}
    assert by_contact[joe["uuid"]] == ("Hello", "delivered")
    assert by_contact[ann["uuid"]] == ("Muraho", "delivered")  # the contact's own language
    assert blocked["uuid"] not in by_contact  # not active: nothing sent
    new = (await client.get("/api/v2/contacts.json", params={"urn": "tel:+250788555666"})).json()["results"]
    assert len(new) == 1 and by_contact[new[0]["uuid"]] == ("Hello", "delivered")
    listed = (await client.get(URL)).json()["results"][0]
    assert listed["status"] == "completed" and listed["progress"] == {"total": 3, "started": 3}
    msgs = (await client.get("/api/v2/messages.json", params={"broadcast": listed["id"]})).json()["results"]
    assert len(msgs) == 3 and all(m["broadcast"] == listed["id"] for m in msgs)


async def test_plain_text_goes_under_the_primary_language(client: httpx.AsyncClient, db: Any) -> None:
    joe = await create_contact(client, urns=["tel:+250788123123"])
    resp = await client.post(URL, json={"text": "Hello", "contacts": [joe["uuid"]]})
    assert resp.status_code == 201
    assert resp.json()["text"] == {"eng": "Hello"}
    assert resp.json()["attachments"] == {"eng": []} and resp.json()["quick_replies"] == {"eng": []}
    stored = await row(db, Broadcast, Broadcast.uuid == resp.json()["uuid"])
    assert stored.translations == {"eng": {"text": "Hello"}}


async def test_large_broadcast_expands_in_batches(
    client: httpx.AsyncClient, channel: Any, worker: Any, db: Any, tenant: Tenant
) -> None:
    from sauti.domain.broadcasts import service

    await create_group(client, "All")
    for i in range(25):
        await create_contact(client, urns=[f"tel:+2507880001{i:02d}"], groups=["All"])
    resp = await client.post(URL, json={"text": "Hi all", "groups": ["All"]})
    async with db() as session:
        b = (await session.execute(select(Broadcast))).scalar_one()
        assert await service.expand(session, b, batch=10) == 10
        await session.commit()
        assert (b.status, b.total, b.started) == ("started", 25, 10)
        assert await service.expand(session, b, batch=10) == 10
        assert await service.expand(session, b, batch=10) == 5
        await session.commit()
        assert b.status == "completed"
    assert await count(db, Message) == 25
    assert resp.json()["uuid"] == b.uuid
