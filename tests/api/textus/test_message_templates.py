"""/api/message_templates: saved texts, for the account or (administrators only) the organization."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sauti.models import MessageTemplate
from tests.api.textus.helpers import count, create, row
from tests.conftest import Backend, make_tenant
from tests.support.queries import query_count

pytestmark = pytest.mark.usefixtures("app")

KEYS = ["content", "title", "owner_id", "owner_type", "id", "created_at", "updated_at", "account_id", "is_active"]


async def test_crud_search_and_owner(api: httpx.AsyncClient, db: Any, tenant: Any) -> None:
    hello = await create(api, "/api/message_templates", title="Hello Template", content="Hello {{contact.first_name}}")
    assert list(hello) == KEYS
    assert (hello["owner_type"], hello["owner_id"], hello["account_id"]) == (
        "Account",
        tenant.workspace.id,
        tenant.workspace.id,
    )
    shared = await create(
        api, "/api/message_templates", title="Appointment", content="See you", owner_type="Organization"
    )
    assert shared["owner_type"] == "Organization"
    assert (await row(db, MessageTemplate, MessageTemplate.id == shared["id"])).owner_type == "organization"
    assert [t["title"] for t in (await api.get("/api/message_templates")).json()] == ["Appointment", "Hello Template"]
    assert [t["id"] for t in (await api.get("/api/message_templates", params={"q": "first_NAME"})).json()] == [
        hello["id"]
    ]
    assert [t["id"] for t in (await api.get("/api/message_templates", params={"q": "appoint"})).json()] == [
        shared["id"]
    ]
    assert (await api.get("/api/message_templates", params={"q": "%"})).json() == []
    changed = (
        await api.put(f"/api/message_templates/{hello['id']}", json={"title": "Greeting", "is_active": False})
    ).json()
    assert changed["title"] == "Greeting" and changed["is_active"] is False and changed["content"] == hello["content"]
    for body, status, error in [
        ({"title": "x"}, 400, "content is missing"),
        ({"title": " ", "content": "x"}, 422, "Validation failed: Title can't be blank"),
        ({"title": "x", "content": "y", "owner_type": "Planet"}, 400, "owner_type does not have a valid value"),
    ]:
        resp = await api.post("/api/message_templates", json=body)
        assert (resp.status_code, resp.json()) == (status, {"error": error})
    gone = await api.delete(f"/api/message_templates/{shared['id']}")
    assert gone.json()["title"] == "Appointment" and await count(db, MessageTemplate) == 1
    assert (await api.get(f"/api/message_templates/{shared['id']}")).status_code == 404


async def test_only_administrators_share_with_the_organization(app: Any, backend: Backend, db: Any) -> None:
    editor = await make_tenant(backend, "Editors", "ed@example.org", role="editor")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", auth=(editor.user.email, editor.token)) as c:
        body = {"title": "T", "content": "C", "owner_type": "Organization"}
        resp = await c.post("/api/message_templates", json=body)
        assert resp.status_code == 403
        assert resp.json() == {"error": "Only administrators may share a template with the organization"}
        assert (await c.post("/api/message_templates", json={"title": "T", "content": "C"})).status_code == 201
    assert await count(db, MessageTemplate) == 1


async def test_listing_query_count(app: Any, api: httpx.AsyncClient) -> None:
    await create(api, "/api/message_templates", title="a", content="b")
    one = await query_count(app, api, "/api/message_templates")
    for i in range(4):
        await create(api, "/api/message_templates", title=f"t{i}", content="c")
    assert await query_count(app, api, "/api/message_templates") == one == 3
