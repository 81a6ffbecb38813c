"""definitions.json: the export document for each dependencies mode (none, flows, all), its 400s, and an export
that the import reads back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sauti.domain.flows import triggers
from sauti.domain.groups.queries import by_uuid
from sauti.models import Flow, FlowTrigger, Workspace
from tests.api.rapidpro.flow_helpers import add_flow, registration
from tests.api.rapidpro.helpers import count, create_field, create_group
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("app")
URL = "/api/v2/definitions.json"
REG = "8d3f5a2e-61b4-4c1e-9a57-3b2c6e0f1a01"
PARENT = "7a000000-0000-4000-8000-000000000001"
LONELY = "7b000000-0000-4000-8000-000000000001"


def parent() -> dict[str, Any]:
    """A flow that hands over to the registration flow."""
    return {
        "uuid": PARENT,
        "name": "Parent",
        "spec_version": "14.4.2",
        "language": "eng",
        "type": "messaging",
        "nodes": [
            {
                "uuid": "7a000000-0000-4000-8000-000000000002",
                "actions": [
                    {
                        "uuid": "7a000000-0000-4000-8000-000000000003",
                        "type": "enter_flow",
                        "flow": {"uuid": REG, "name": "Registration"},
                        "terminal": True,
                    }
                ],
                "exits": [{"uuid": "7a000000-0000-4000-8000-000000000004"}],
            }
        ],
    }


def lonely() -> dict[str, Any]:
    flow = parent()
    flow.update(uuid=LONELY, name="Lonely", nodes=[])
    return flow


@pytest.fixture
async def world(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> dict[str, Any]:
    await create_field(client, "Age", "number")
    await create_field(client, "District")
    await create_field(client, "Unused")
    group = await create_group(client, "Registered")
    await create_group(client, "Unrelated")
    vip = await create_group(client, "VIP", "age > 60")
    definition = registration()
    definition["nodes"][4]["actions"][1]["groups"][0]["uuid"] = group["uuid"]  # the workspace's own group
    reg = await add_flow(db, tenant.workspace.id, definition)
    par = await add_flow(db, tenant.workspace.id, parent())
    await add_flow(db, tenant.workspace.id, lonely())
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        flow = await session.get(Flow, reg.id)
        assert flow is not None
        vip_group = await by_uuid(session, ws, vip["uuid"])
        assert vip_group is not None
        vip_id = vip_group.id
        await triggers.create(
            session, ws, trigger_type="keyword", flow=flow, keywords=["join", "Register"], exclude_group_ids=[vip_id]
        )
        await session.commit()
    return {"reg": reg, "parent": par, "group": group, "vip": vip}


async def test_modes(client: httpx.AsyncClient, world: dict[str, Any], db: Any, tenant: Tenant) -> None:
    resp = await client.get(URL, params={"flow": PARENT, "dependencies": "none"})
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["version"] == "13" and doc["site"] == "http://testserver"
    assert [f["uuid"] for f in doc["flows"]] == [PARENT]
    assert (doc["campaigns"], doc["triggers"], doc["fields"], doc["groups"]) == ([], [], [], [])
    assert doc["flows"][0]["spec_version"] == "14.4.2"

    doc = (await client.get(URL, params={"flow": PARENT, "dependencies": "flows"})).json()
    assert [f["name"] for f in doc["flows"]] == ["Registration", "Parent"]  # the flow it enters comes along
    assert doc["triggers"] == [
        {
            "trigger_type": "K",
            "keywords": ["join", "register"],
            "match_type": "F",
            "flow": {"uuid": REG, "name": "Registration"},
            "groups": [],
            "exclude_groups": [{"uuid": world["vip"]["uuid"], "name": "VIP"}],
            "channel": None,
        }
    ]
    assert (doc["fields"], doc["groups"]) == ([], [])

    doc = (await client.get(URL, params={"flow": PARENT})).json()  # all is the default
    assert [f["name"] for f in doc["flows"]] == ["Registration", "Parent"]
    assert doc["fields"] == [
        {"key": "age", "name": "Age", "type": "number"},
        {"key": "district", "name": "District", "type": "text"},
    ]
    assert doc["groups"] == [
        {"uuid": world["group"]["uuid"], "name": "Registered", "query": None},
        {"uuid": world["vip"]["uuid"], "name": "VIP", "query": world["vip"]["query"]},
    ]
    assert len(doc["triggers"]) == 1

    both = (await client.get(f"{URL}?flow={REG}&flow={LONELY}&dependencies=none")).json()
    assert [f["name"] for f in both["flows"]] == ["Registration", "Lonely"]
    assert (await client.get(URL)).json()["flows"] == []  # nothing named, nothing exported
    unknown = (await client.get(URL, params={"flow": "7c000000-0000-4000-8000-000000000001"})).json()
    assert unknown["flows"] == []
    assert await count(db, Flow) == 3 and await count(db, FlowTrigger) == 1


async def test_errors(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    cases = [
        ({"flow": REG, "dependencies": "xx"}, "dependencies must be one of none, flows, all"),
        ({"flow": "nope"}, "Param 'flow': nope is not a valid UUID."),
        ({"campaign": "nope"}, "Param 'campaign': nope is not a valid UUID."),
    ]
    for params, detail in cases:
        resp = await client.get(URL, params=params)
        assert resp.status_code == 400, params
        assert resp.json() == {"detail": detail}
    assert (await client.post(URL, json={})).status_code == 405
    page = await client.get("/api/v2/definitions")
    assert page.status_code == 200 and "dependencies" in page.text
    assert "definitions" not in (await client.get("/api/v2/.json")).json()  # not in the root listing
