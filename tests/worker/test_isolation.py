"""A row the worker cannot process is marked failed with a reason, and everything else still flows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from sauti.kit import clock
from sauti.models import Broadcast, Message
from tests.api.rapidpro.helpers import create_contact, row
from tests.conftest import Backend, Tenant, add_channel, make_tenant

pytestmark = pytest.mark.usefixtures("app")


async def _plant_broadcast(db: Any, workspace_id: int, **columns: Any) -> int:
    now = clock.now()
    values: dict[str, Any] = {
        "uuid": clock.new_uuid(),
        "workspace_id": workspace_id,
        "status": "queued",
        "translations": {"eng": {"text": "poison"}},
        "base_language": "eng",
        "urns": [],
        "contact_ids": [],
        "urn_contact_ids": [],
        "group_ids": [],
        "created_on": now,
        "modified_on": now,
        **columns,
    }
    async with db() as session:
        b = Broadcast(**values)
        session.add(b)
        await session.commit()
        return int(b.id)


async def test_a_broadcast_that_cannot_expand_fails_and_the_others_go_on(
    client: httpx.AsyncClient, backend: Backend, tenant: Tenant, worker: Any, db: Any
) -> None:
    await add_channel(backend, tenant)
    other = await make_tenant(backend, "Second", "b@second.org", country="RW")
    await add_channel(backend, other)
    # written straight to the table, as a bug or a hand edit could: a URN no parser accepts
    bad = await _plant_broadcast(db, tenant.workspace.id, urns=["tel:not a number"])
    bad_other = await _plant_broadcast(db, other.workspace.id, translations={"eng": "not an object"}, urns=["tel:1"])
    joe = await create_contact(client, urns=["tel:+250788123123"])
    good = await client.post("/api/v2/broadcasts.json", json={"text": "Hello", "contacts": [joe["uuid"]]})
    assert good.status_code == 201
    await worker.drain()
    for broadcast_id in (bad, bad_other):
        failed = await row(db, Broadcast, Broadcast.id == broadcast_id)
        assert failed.status == "failed"
        assert failed.failure and ":" in failed.failure  # "ExceptionType: message"
    done = await row(db, Broadcast, Broadcast.uuid == good.json()["uuid"])
    assert done.status == "completed"
    sent = await row(db, Message, Message.broadcast_id == done.id)
    assert (sent.text, sent.status) == ("Hello", "delivered")
    listed = (await client.get("/api/v2/broadcasts.json")).json()["results"]
    assert {b["id"]: b["status"] for b in listed}[bad] == "failed"


async def test_a_message_that_cannot_be_read_fails_and_the_rest_are_sent(
    client: httpx.AsyncClient, backend: Backend, tenant: Tenant, worker: Any, db: Any
) -> None:
    await add_channel(backend, tenant)
    joe = await create_contact(client, urns=["tel:+250788123123"])
    uuids = []
    for text in ("one", "poison", "three"):
        resp = await client.post("/api/v2/messages.json", json={"contact": joe["uuid"], "text": text})
        uuids.append(resp.json()["uuid"])
    async with db() as session:
        await session.execute(update(Message).where(Message.text == "poison").values(attachments={"not": "a list"}))
        await session.commit()
    await worker.drain()
    by_text = {}
    for uuid in uuids:
        m = await row(db, Message, Message.uuid == uuid)
        by_text[m.text] = m
    assert by_text["one"].status == by_text["three"].status == "delivered"
    poison = by_text["poison"]
    assert (poison.status, poison.failed_reason, poison.claimed_by) == ("failed", "X", None)
    assert poison.failure.startswith("TypeError:")
