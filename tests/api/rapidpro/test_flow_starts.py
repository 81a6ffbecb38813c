"""flow_starts.json: validation exactly as API v2 words it, the pending start recorded (and nothing else), the
deprecated extra normalised, and the listing of starts users made."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.models import Contact, FlowStart
from tests.api.rapidpro.flow_helpers import add_flow, contact_id, registration
from tests.api.rapidpro.helpers import count, create_contact, create_group
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("app")
URL = "/api/v2/flow_starts.json"
FLOW = "8d3f5a2e-61b4-4c1e-9a57-3b2c6e0f1a01"


@pytest.fixture
async def world(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> dict[str, Any]:
    flow = await add_flow(db, tenant.workspace.id, registration())
    joe = await create_contact(client, name="Joe Blow", urns=["tel:+250788123123"])
    hans = await create_group(client, "hans")
    return {"flow": flow, "joe": joe, "hans": hans}


async def test_validation(client: httpx.AsyncClient, world: dict[str, Any], db: Any) -> None:
    joe = world["joe"]["uuid"]
    cases: list[tuple[Any, Any]] = [
        ({}, {"flow": ["This field is required."]}),
        ({"flow": "abcde", "urns": ["tel:+250788123123"]}, {"flow": ["No such object: abcde"]}),
        (
            {"flow": FLOW, "restart_participants": True},
            {"non_field_errors": ["Must specify at least one group, contact or URN"]},
        ),
        (
            {"flow": FLOW, "urns": ["foo:bar"], "contacts": [joe]},
            {"urns": {"0": ["Invalid URN: foo:bar. Ensure phone numbers contain country codes."]}},
        ),
        (
            {"flow": FLOW, "urns": ["tel:+12067791212"], "params": {"foo": "a" * 10000}},
            {"params": ["Cannot exceed 10,000 characters encoded."]},
        ),
        ({"flow": FLOW, "urns": ["tel:+12067791212"], "params": [1]}, {"params": ["Must be a valid JSON object"]}),
        ({"flow": FLOW, "urns": ["tel:+12067791212"], "params": "YES"}, {"params": ["Must be a valid JSON object"]}),
        ({"flow": FLOW, "urns": ["tel:+12067791212"], "extra": "YES"}, {"extra": ["Must be a valid JSON object"]}),
        (
            {"flow": FLOW, "groups": [f"group {i}" for i in range(101)]},
            {"groups": ["Ensure this field has no more than 100 elements."]},
        ),
        ({"flow": FLOW, "contacts": ["abcde"]}, {"contacts": ["No such object: abcde"]}),
        ({"flow": FLOW, "groups": ["nobody"]}, {"groups": ["No such object: nobody"]}),
        ({"flow": FLOW, "contacts": [True]}, {"contacts": {"0": ["Must be a string or integer"]}}),
        (
            {"flow": FLOW, "urns": ["tel:+12067791212"], "restart_participants": "maybe"},
            {"restart_participants": ["Must be a valid boolean."]},
        ),
        ([1, 2], {"non_field_errors": ["Request body should be a single JSON object"]}),
        # errors of shape and lookup problems come together in one answer, as broadcasts.json reports them
        (
            {"flow": "abcde", "groups": ["nobody"], "restart_participants": "maybe"},
            {
                "flow": ["No such object: abcde"],
                "groups": ["No such object: nobody"],
                "restart_participants": ["Must be a valid boolean."],
            },
        ),
        (
            {"urns": ["foo:bar"], "contacts": ["abcde", joe], "params": "YES"},
            {
                "flow": ["This field is required."],
                "contacts": ["No such object: abcde"],
                "urns": {"0": ["Invalid URN: foo:bar. Ensure phone numbers contain country codes."]},
                "params": ["Must be a valid JSON object"],
            },
        ),
    ]
    for payload, errors in cases:
        resp = await client.post(URL, json=payload)
        assert resp.status_code == 400, payload
        assert resp.json() == errors, payload
    assert await count(db, FlowStart) == 0
    assert await count(db, Contact) == 1  # no contact was made for any URN


async def test_start_is_recorded_pending(
    client: httpx.AsyncClient, world: dict[str, Any], db: Any, tenant: Tenant
) -> None:
    joe = world["joe"]["uuid"]
    resp = await client.post(
        URL,
        json={
            "flow": FLOW,
            "contacts": [joe, "tel:+250788123123"],  # the same contact by UUID and by URN: listed once
            "groups": ["HANS"],  # by name, whatever its case
            "urns": ["tel:0788555666"],  # normalised with the workspace's country
            "restart_participants": False,
            "extra": {"first_name": "Ryan"},
            "params": {"first_name": "Bob", "last_name": "Marley"},  # params wins over extra
        },
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    stored = await db_start(db, body["uuid"])
    assert body == {
        "uuid": stored.uuid,
        "flow": {"uuid": FLOW, "name": "Registration"},
        "status": "pending",
        "progress": {"total": -1, "started": 0},
        "groups": [{"uuid": world["hans"]["uuid"], "name": "hans"}],
        "contacts": [{"uuid": joe, "name": "Joe Blow"}],
        "params": {"first_name": "Bob", "last_name": "Marley"},
        "created_on": body["created_on"],
        "modified_on": body["created_on"],
        "id": stored.id,
        "extra": {"first_name": "Bob", "last_name": "Marley"},
        "restart_participants": False,
        "exclude_active": False,
    }
    assert stored.status == "pending" and stored.start_type == "api"
    assert stored.contact_ids == [await contact_id(db, joe)]
    assert stored.urns == ["tel:+250788555666"]
    assert (stored.restart_participants, stored.exclude_active) == (False, False)
    assert stored.created_by_id == tenant.user.id and stored.flow_id == world["flow"].id
    assert await count(db, Contact) == 1  # the worker, not the request, makes contacts for new URNs

    listed = (await client.get(URL)).json()["results"]
    assert listed == [body]
    assert (await client.get(URL, params={"uuid": body["uuid"]})).json()["results"] == [body]


async def db_start(db: Any, uuid: str) -> FlowStart:
    async with db() as session:
        return (await session.execute(select(FlowStart).where(FlowStart.uuid == uuid))).scalar_one()


async def test_extra_is_normalised_and_zapier_recorded(
    client: httpx.AsyncClient, world: dict[str, Any], db: Any
) -> None:
    resp = await client.post(
        URL,
        json={"flow": FLOW, "urns": ["tel:+250788000001"], "extra": {"first name!": None, "list": ["a", "b" * 700]}},
        headers={"User-Agent": "Zapier/1.0"},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["params"] == {"first_name_": "", "list": {"0": "a", "1": "b" * 640}}
    assert (body["restart_participants"], body["exclude_active"]) == (True, False)
    stored = await db_start(db, body["uuid"])
    assert stored.start_type == "zapier" and stored.params == body["params"]


async def test_listing_hides_starts_without_a_user(
    client: httpx.AsyncClient, world: dict[str, Any], db: Any, tenant: Tenant
) -> None:
    made = (await client.post(URL, json={"flow": FLOW, "urns": ["tel:+250788000001"], "exclude_active": True})).json()
    assert made["exclude_active"] is True
    async with db() as session:
        start = await db_start(db, made["uuid"])
        trigger_start = FlowStart(
            uuid="b0000000-0000-4000-8000-00000000000b",
            workspace_id=tenant.workspace.id,
            flow_id=world["flow"].id,
            start_type="trigger",
            created_on=start.created_on,
            modified_on=start.modified_on,
        )
        session.add(trigger_start)
        await session.commit()
    assert [s["uuid"] for s in (await client.get(URL)).json()["results"]] == [made["uuid"]]
    assert (await client.get(URL, params={"uuid": "b0000000-0000-4000-8000-00000000000b"})).json()["results"] == []
    resp = await client.get(URL, params={"uuid": "xyz"})
    assert resp.status_code == 400 and resp.json() == {"detail": "Param 'uuid': xyz is not a valid UUID."}
    assert (await client.get(URL, params={"before": "longago"})).json()["results"] == []
    assert (await client.delete(URL)).status_code == 405
    assert await count(db, FlowStart) == 2
