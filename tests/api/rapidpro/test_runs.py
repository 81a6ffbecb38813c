"""runs.json: every field (contact with URN and its display, start, path, values without input, exit type), every
filter, paths=false, reverse, the cursor on modified_on, and the flow+contact refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from sauti.models import Flow, FlowRun, FlowStart
from tests.api.rapidpro.flow_helpers import add_flow, add_run, contact_id, registration, variant
from tests.api.rapidpro.helpers import count, create_contact
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("app")
URL = "/api/v2/runs.json"
T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
NODE1 = "0c6b8f1d-4e2a-4b7c-9d31-5a8e2f7c0b01"
NODE2 = "0c6b8f1d-4e2a-4b7c-9d31-5a8e2f7c0b02"
OTHER_FLOW = "9a1b2c3d-0000-4000-8000-000000000009"


@pytest.fixture
async def world(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> dict[str, Any]:
    ws = tenant.workspace.id
    reg = await add_flow(db, ws, registration())
    other = await add_flow(db, ws, variant("Other", OTHER_FLOW))
    joe = await create_contact(client, name="Joe Blow", urns=["tel:+250788123123", "telegram:123"])
    frank = await create_contact(client, name="Frank", urns=["telegram:123456"])
    joe_id, frank_id = await contact_id(db, joe["uuid"]), await contact_id(db, frank["uuid"])
    async with db() as session:
        start = FlowStart(
            uuid="a1b2c3d4-0000-4000-8000-000000000001",
            workspace_id=ws,
            flow_id=reg.id,
            start_type="api",
            status="completed",
            created_by_id=tenant.user.id,
            created_on=T0,
            modified_on=T0,
        )
        session.add(start)
        await session.commit()
        start_id = start.id
    results = {
        "name": {
            "name": "Name",
            "value": "Joe",
            "category": "Has Name",
            "node_uuid": NODE2,
            "input": "Joe",
            "created_on": "2026-02-01T09:00:01.5Z",
        }
    }
    done = await add_run(db, ws, reg, joe_id, at=T0, results=results, start_id=start_id)
    waiting = await add_run(
        db, ws, reg, frank_id, status="waiting", responded=False, at=T0 + timedelta(hours=1), path_nodes=(NODE1,)
    )
    elsewhere = await add_run(db, ws, other, joe_id, status="expired", responded=False, at=T0 + timedelta(hours=2))
    return {"reg": reg, "joe": joe, "frank": frank, "done": done, "waiting": waiting, "elsewhere": elsewhere}


async def uuids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    resp = await client.get(URL, params=params)
    assert resp.status_code == 200, resp.text
    return [r["uuid"] for r in resp.json()["results"]]


async def test_every_field(client: httpx.AsyncClient, world: dict[str, Any], db: Any) -> None:
    done = world["done"]
    resp = await client.get(URL, params={"uuid": done.uuid})
    assert resp.status_code == 200
    assert resp.json()["results"] == [
        {
            "id": done.id,
            "uuid": done.uuid,
            "flow": {"uuid": "8d3f5a2e-61b4-4c1e-9a57-3b2c6e0f1a01", "name": "Registration"},
            "contact": {
                "uuid": world["joe"]["uuid"],
                "name": "Joe Blow",
                "urn": "tel:+250788123123",
                "urn_display": "0788 123 123",
            },
            "start": {"uuid": "a1b2c3d4-0000-4000-8000-000000000001"},
            "responded": True,
            "path": [
                {"node": NODE1, "time": "2026-02-01T09:00:00.000000Z"},
                {"node": NODE2, "time": "2026-02-01T09:00:01.000000Z"},
            ],
            "values": {
                "name": {
                    "name": "Name",
                    "value": "Joe",
                    "category": "Has Name",
                    "node": NODE2,
                    "time": "2026-02-01T09:00:01.500000Z",
                }
            },
            "created_on": "2026-02-01T09:00:00.000000Z",
            "modified_on": "2026-02-01T09:00:00.000000Z",
            "exited_on": "2026-02-01T09:00:00.000000Z",
            "exit_type": "completed",
        }
    ]
    waiting = world["waiting"]
    (row,) = (await client.get(URL, params={"uuid": waiting.uuid, "paths": "false"})).json()["results"]
    assert row["contact"] == {
        "uuid": world["frank"]["uuid"],
        "name": "Frank",
        "urn": "telegram:123456",
        "urn_display": "123456",
    }
    assert (row["start"], row["responded"], row["path"], row["values"]) == (None, False, None, {})
    assert (row["exited_on"], row["exit_type"]) == (None, None)
    assert await count(db, FlowRun) == 3  # listing changes nothing


async def test_filters_and_order(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    done, waiting, elsewhere = world["done"].uuid, world["waiting"].uuid, world["elsewhere"].uuid
    assert await uuids(client) == [elsewhere, waiting, done]  # most recently modified first
    assert await uuids(client, reverse="true") == [done, waiting, elsewhere]
    assert await uuids(client, flow=world["reg"].uuid) == [waiting, done]
    assert await uuids(client, flow="9a1b2c3d-0000-4000-8000-00000000ffff") == []  # unknown flow: empty
    assert await uuids(client, contact=world["joe"]["uuid"]) == [elsewhere, done]
    assert await uuids(client, contact="not-a-contact") == []
    assert await uuids(client, responded="TrUe") == [done]
    assert await uuids(client, responded="false") == [elsewhere, waiting, done]  # false is no filter
    assert await uuids(client, id=str(world["waiting"].id)) == [waiting]
    assert await uuids(client, id=str(world["waiting"].id), uuid=done) == []  # id and uuid combine with AND
    assert await uuids(client, after="2026-02-01T10:00:00.000000Z") == [elsewhere, waiting]  # inclusive
    assert await uuids(client, before="2026-02-01T10:00:00.000000Z") == [waiting, done]
    assert await uuids(client, before="longago") == []
    expired = (await client.get(URL, params={"uuid": elsewhere})).json()["results"][0]
    assert (expired["exit_type"], expired["flow"]["name"]) == ("expired", "Other")


async def test_errors(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    cases = [
        (
            {"contact": world["joe"]["uuid"], "flow": world["reg"].uuid},
            "You may only specify one of the contact, flow parameters",
        ),
        ({"flow": "invalid"}, "Param 'flow': invalid is not a valid UUID."),
        ({"uuid": "xyz"}, "Param 'uuid': xyz is not a valid UUID."),
        ({"id": "one"}, "Value for id must be an integer"),
    ]
    for params, detail in cases:
        resp = await client.get(URL, params=params)
        assert resp.status_code == 400, params
        assert resp.json() == {"detail": detail}
    resp = await client.post(URL, json={})
    assert resp.status_code == 405


async def test_cursor_walks_modified_on(client: httpx.AsyncClient, world: dict[str, Any], app: Any, db: Any) -> None:
    # a run that moves after the first page was read is found again where its new modified_on puts it
    app.state.settings.page_size = 2
    try:
        first = (await client.get(URL)).json()
        assert [r["uuid"] for r in first["results"]] == [world["elsewhere"].uuid, world["waiting"].uuid]
        async with db() as session:
            await session.execute(
                update(FlowRun).where(FlowRun.id == world["done"].id).values(modified_on=T0 - timedelta(days=1))
            )
            await session.commit()
        second = (await client.get(first["next"])).json()
        assert [r["uuid"] for r in second["results"]] == [world["done"].uuid]
        assert second["results"][0]["modified_on"] == "2026-01-31T09:00:00.000000Z"
        assert second["next"] is None
    finally:
        app.state.settings.page_size = 250


async def test_anonymous_workspace_masks_urns(
    client: httpx.AsyncClient, world: dict[str, Any], db: Any, tenant: Tenant
) -> None:
    from sauti.models import Workspace

    async with db() as session:
        await session.execute(update(Workspace).where(Workspace.id == tenant.workspace.id).values(anon=True))
        await session.commit()
    (row,) = (await client.get(URL, params={"uuid": world["done"].uuid})).json()["results"]
    contact = row["contact"]
    assert contact["urn"] == "tel:********" and contact["urn_display"] is None
    assert contact["ref"] == contact["anon_display"] and contact["ref"]
    assert "+250788123123" not in str(row)
    assert await count(db, Flow) == 2
