"""workspace.json / org.json and users.json."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Backend, Tenant, make_tenant


@pytest.mark.parametrize("name", ["workspace", "org"])
async def test_workspace_object(client: httpx.AsyncClient, tenant: Tenant, name: str) -> None:
    resp = await client.get(f"/api/v2/{name}.json")
    assert resp.status_code == 200
    assert resp.json() == {
        "uuid": tenant.workspace.uuid,
        "name": "Nyaruka",
        "country": "RW",
        "languages": ["eng", "kin"],
        "timezone": "Africa/Kigali",
        "date_style": "day_first",
        "anon": False,
        "credits": {"used": -1, "remaining": -1},
        "primary_language": "eng",
    }
    assert resp.headers["X-Temba-Workspace"] == tenant.workspace.uuid


async def test_workspace_is_read_only(client: httpx.AsyncClient) -> None:
    resp = await client.post("/api/v2/workspace.json", json={"name": "x"})
    assert resp.status_code == 405
    assert resp.json() == {"detail": 'Method "POST" not allowed.'}


async def test_users_lists_members_newest_first(
    app: Any, client: httpx.AsyncClient, tenant: Tenant, backend: Backend
) -> None:
    from sauti.domain.workspaces import service

    async with backend.sessionmaker() as session:
        editor = await service.create_user(session, email="Editor@Nyaruka.com", first_name="Ed", last_name="McEdits")
        ws = await session.get(type(tenant.workspace), tenant.workspace.id)
        assert ws is not None
        await service.grant_role(session, ws, editor, "editor")
        await session.commit()
    resp = await client.get("/api/v2/users.json")
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert [(u["email"], u["role"]) for u in results] == [
        ("Editor@Nyaruka.com", "editor"),
        ("admin@nyaruka.com", "administrator"),
    ]
    assert results[0]["name"] == "Ed McEdits" and results[0]["first_name"] == "Ed"
    assert set(results[0]) == {
        "uuid",
        "name",
        "email",
        "role",
        "team",
        "created_on",
        "avatar",
        "first_name",
        "last_name",
    }
    by_email = await client.get("/api/v2/users.json", params={"email": "editor@nyaruka.com"})
    assert [u["email"] for u in by_email.json()["results"]] == ["Editor@Nyaruka.com"]
    by_role = await client.get("/api/v2/users.json", params=[("role", "administrator"), ("role", "bogus")])
    assert [u["role"] for u in by_role.json()["results"]] == ["administrator"]
    unknown_roles = await client.get("/api/v2/users.json", params={"role": "bogus"})
    assert unknown_roles.json()["results"] == []
    by_uuid = await client.get("/api/v2/users.json", params={"uuid": results[1]["uuid"]})
    assert [u["email"] for u in by_uuid.json()["results"]] == ["admin@nyaruka.com"]


async def test_users_uuid_validation(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v2/users.json", params={"uuid": "xyz"})
    assert resp.status_code == 400
    assert resp.json() == {"detail": "Param 'uuid': xyz is not a valid UUID."}
    many = [("uuid", "ad6acad9-959b-4d70-b144-5de2891e4d00")] * 101
    resp = await client.get("/api/v2/users.json", params=many)
    assert resp.status_code == 400
    assert resp.json() == {"detail": "Param 'uuid' can have a maximum of 100 values."}


async def test_users_of_other_workspaces_are_invisible(app: Any, client: httpx.AsyncClient, backend: Backend) -> None:
    await make_tenant(backend, "Elsewhere", "someone@elsewhere.org")
    emails = [u["email"] for u in (await client.get("/api/v2/users.json")).json()["results"]]
    assert emails == ["admin@nyaruka.com"]
