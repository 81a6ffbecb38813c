"""/api/users: the account's users (API v2's), the current one, and archived ones."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from sauti.domain.workspaces import service as ws_service
from sauti.models import User, Workspace
from tests.conftest import Backend
from tests.support.queries import query_count

pytestmark = pytest.mark.usefixtures("app")

KEYS = [
    "email", "first_name", "last_name", "account_id", "role", "archived", "last_sign_in_at", "should_play_audio",
    "forward_messages", "terms_accepted", "id", "created_at", "updated_at", "web_push_enabled", "v3_enabled",
]  # fmt: skip


async def _member(backend: Backend, tenant: Any, email: str, role: str) -> int:
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        user = await ws_service.create_user(session, email=email, first_name="Sam", last_name="Agent")
        await ws_service.grant_role(session, ws, user, role)
        await session.commit()
        return user.id


async def test_users_current_and_archived(api: httpx.AsyncClient, backend: Backend, db: Any, tenant: Any) -> None:
    agent_id = await _member(backend, tenant, "sam@nyaruka.com", "agent")
    listed = (await api.get("/api/users")).json()
    assert [u["email"] for u in listed] == ["admin@nyaruka.com", "sam@nyaruka.com"]
    me = listed[0]
    assert list(me) == KEYS
    assert (me["role"], me["archived"], me["account_id"], me["first_name"]) == (
        "admin",
        False,
        tenant.workspace.id,
        "Ann",
    )
    assert listed[1]["role"] == "standard_user"
    current = (await api.get("/api/users/current")).json()
    assert current == [me]  # DECISION: an array of one, as documented
    assert (await api.get(f"/api/users/{agent_id}")).json()["email"] == "sam@nyaruka.com"
    async with db() as session:
        await session.execute(update(User).where(User.id == agent_id).values(is_active=False))
        await session.commit()
    assert [u["email"] for u in (await api.get("/api/users")).json()] == ["admin@nyaruka.com"]
    archived = (await api.get("/api/users", params={"include_archived": "yes"})).json()
    assert [u["archived"] for u in archived] == [False, True]
    assert (await api.get(f"/api/users/{agent_id}")).json()["archived"] is True  # visible by id
    assert (await api.get("/api/users/999999")).status_code == 404
    assert (await api.get("/api/users/everyone")).status_code == 404


async def test_listing_query_count(app: Any, api: httpx.AsyncClient, backend: Backend, tenant: Any) -> None:
    one = await query_count(app, api, "/api/users")
    for i in range(4):
        await _member(backend, tenant, f"u{i}@nyaruka.com", "editor")
    assert await query_count(app, api, "/api/users") == one == 4  # auth, count, page, users
