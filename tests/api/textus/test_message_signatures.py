"""/api/message_signatures: one active signature, appended to what users send (messages and broadcasts)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sauti.models import MessageSignature
from tests.api.textus.helpers import count, create, row
from tests.support.queries import query_count

pytestmark = pytest.mark.usefixtures("app")

KEYS = ["content", "is_active", "account_id", "id", "created_at", "updated_at"]


async def test_crud_and_one_active_at_a_time(api: httpx.AsyncClient, db: Any, tenant: Any) -> None:
    first = await create(api, "/api/message_signatures", content="-- Ann", is_active=True)
    assert list(first) == KEYS and first["is_active"] is True and first["account_id"] == tenant.workspace.id
    second = await create(api, "/api/message_signatures", content="-- Sales", is_active="1")
    assert (await row(db, MessageSignature, MessageSignature.id == first["id"])).is_active is False
    assert (await api.get(f"/api/message_signatures/{first['id']}")).json()["is_active"] is False
    updated = (await api.put(f"/api/message_signatures/{second['id']}", json={"content": "-- Sales team"})).json()
    assert updated["content"] == "-- Sales team" and updated["is_active"] is True
    off = (await api.patch(f"/api/message_signatures/{second['id']}", json={"is_active": "false"})).json()
    assert off["is_active"] is False
    assert [s["id"] for s in (await api.get("/api/message_signatures")).json()] == [first["id"], second["id"]]
    assert (await api.post("/api/message_signatures", json={})).json() == {"error": "content is missing"}
    too_long = await api.post("/api/message_signatures", json={"content": "x" * 321})
    assert too_long.json() == {"error": "Validation failed: Content is too long (maximum is 320 characters)"}
    gone = await api.delete(f"/api/message_signatures/{first['id']}")
    assert gone.json()["content"] == "-- Ann" and await count(db, MessageSignature) == 1


async def test_inactive_signatures_sign_nothing(api: httpx.AsyncClient, channel: Any, tenant: Any) -> None:
    await create(api, "/api/message_signatures", content="-- Ann")
    body = (
        await api.post("/api/messages", json={"sender": tenant.user.id, "receiver": "+12025550147", "content": "Hi"})
    ).json()
    assert body["content"] == "Hi"


async def test_listing_query_count(app: Any, api: httpx.AsyncClient) -> None:
    await create(api, "/api/message_signatures", content="a")
    one = await query_count(app, api, "/api/message_signatures")
    for i in range(4):
        await create(api, "/api/message_signatures", content=f"s{i}")
    assert await query_count(app, api, "/api/message_signatures") == one == 3
