"""/api/auto_replies: the one active auto reply answers what nothing else did, once a day per contact."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.models import AutoReply, Message
from tests.api.textus.conftest import inject
from tests.api.textus.helpers import count, create, row
from tests.support.queries import query_count

pytestmark = pytest.mark.usefixtures("app")

KEYS = ["account_id", "message", "is_active", "id", "created_at", "updated_at"]


async def test_crud_and_one_active_at_a_time(api: httpx.AsyncClient, db: Any, tenant: Any) -> None:
    first = await create(api, "/api/auto_replies", message="Back soon")
    assert list(first) == KEYS and first["is_active"] is False and first["account_id"] == tenant.workspace.id
    second = await create(api, "/api/auto_replies", message="Closed today", is_active="true")
    assert second["is_active"] is True
    activated = (await api.put(f"/api/auto_replies/{first['id']}", json={"is_active": True})).json()
    assert activated["is_active"] is True
    assert (await row(db, AutoReply, AutoReply.id == second["id"])).is_active is False
    assert (await api.get(f"/api/auto_replies/{second['id']}")).json()["is_active"] is False
    changed = await api.patch(f"/api/auto_replies/{second['id']}", json={"message": "Closed all week"})
    assert changed.json()["message"] == "Closed all week"
    assert [r["id"] for r in (await api.get("/api/auto_replies")).json()] == [first["id"], second["id"]]
    for body, status, error in [
        ({}, 400, "message is missing"),
        ({"message": " "}, 422, "Validation failed: Message can't be blank"),
        ({"message": "x", "is_active": "sometimes"}, 400, "is_active is invalid"),
    ]:
        resp = await api.post("/api/auto_replies", json=body)
        assert (resp.status_code, resp.json()) == (status, {"error": error})
    gone = await api.delete(f"/api/auto_replies/{first['id']}")
    assert gone.status_code == 200 and gone.json()["message"] == "Back soon"
    assert await count(db, AutoReply) == 1
    assert (await api.get(f"/api/auto_replies/{first['id']}")).status_code == 404


async def test_the_active_reply_answers_once_a_day(
    api: httpx.AsyncClient, anon_client: httpx.AsyncClient, channel: Any, db: Any, worker: Any, travel: Any
) -> None:
    await create(api, "/api/auto_replies", message="Thanks {{contact.first_name}}, we answer soon", is_active=True)
    await create(api, "/api/message_signatures", content="-- The team", is_active=True)
    bart = await create(api, "/api/contacts", phone="+12025550147", first_name="Bart")
    await inject(anon_client, channel, "+12025550147", "Is anybody there?")
    async with db() as session:
        answers = list((await session.execute(select(Message).where(Message.direction == "out"))).scalars())
    assert len(answers) == 1
    answer = answers[0]
    assert answer.text == "Thanks Bart, we answer soon"  # rendered, unsigned
    assert answer.from_autoresponse is True and answer.created_by_id is None and answer.contact_id == bart["id"]
    shown = (await api.get(f"/api/messages/{bart['id']}")).json()[0]
    assert (shown["from_autoresponse"], shown["sender_type"], shown["sender_email"]) == (True, "Account", None)
    await worker.drain()
    assert (await row(db, Message, Message.id == answer.id)).status == "delivered"
    # within the day, no second answer; an opt-out word is never answered
    await inject(anon_client, channel, "+12025550147", "Hello??")
    assert await count(db, Message, Message.direction == "out") == 1
    travel(timedelta(hours=25))
    await inject(anon_client, channel, "+12025550147", "stop")
    assert await count(db, Message, Message.direction == "out") == 1
    await inject(anon_client, channel, "+12025550199", "New here")
    assert await count(db, Message, Message.direction == "out") == 2
    # an inactive reply answers nobody
    async with db() as session:
        reply = (await session.execute(select(AutoReply))).scalar_one()
    await api.put(f"/api/auto_replies/{reply.id}", json={"is_active": False})
    await inject(anon_client, channel, "+12025550188", "Anyone?")
    assert await count(db, Message, Message.direction == "out") == 2


async def test_listing_query_count(app: Any, api: httpx.AsyncClient) -> None:
    await create(api, "/api/auto_replies", message="a")
    one = await query_count(app, api, "/api/auto_replies")
    for i in range(5):
        await create(api, "/api/auto_replies", message=f"m{i}")
    assert await query_count(app, api, "/api/auto_replies") == one == 3
