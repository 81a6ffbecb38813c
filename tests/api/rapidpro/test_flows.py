"""flows.json: every field, the filters (uuid, type, archived, before/after on modified_on), the order (newest
created first), deleted flows never listed, and the run counters as stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sauti.models import Flow
from tests.api.rapidpro.flow_helpers import add_flow, registration, variant
from tests.api.rapidpro.helpers import count
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("app")
URL = "/api/v2/flows.json"
REG = "8d3f5a2e-61b4-4c1e-9a57-3b2c6e0f1a01"
SURVEY = "9a1b2c3d-0000-4000-8000-000000000002"
OLD = "9a1b2c3d-0000-4000-8000-000000000003"
GONE = "9a1b2c3d-0000-4000-8000-000000000004"


@pytest.fixture
async def flows(db: Any, tenant: Tenant) -> dict[str, Flow]:
    ws = tenant.workspace.id
    reg = await add_flow(
        db,
        ws,
        registration(),
        runs_completed=3,
        runs_waiting=1,
        labels=[{"uuid": "5a4eb79e-1b1f-4ae3-8700-09384cca385f", "name": "Reporting"}],
        modified_on=datetime(2026, 1, 10, tzinfo=UTC),
    )
    survey = await add_flow(
        db,
        ws,
        variant("Media Survey", SURVEY, type="messaging_offline"),
        modified_on=datetime(2026, 1, 20, tzinfo=UTC),
    )
    old = await add_flow(
        db, ws, variant("Favorites", OLD), is_archived=True, modified_on=datetime(2026, 1, 5, tzinfo=UTC)
    )
    gone = await add_flow(db, ws, variant("Deleted", GONE), is_active=False)
    return {"reg": reg, "survey": survey, "old": old, "gone": gone}


async def names(client: httpx.AsyncClient, **params: Any) -> list[str]:
    resp = await client.get(URL, params=params)
    assert resp.status_code == 200, resp.text
    return [f["name"] for f in resp.json()["results"]]


async def test_every_field(client: httpx.AsyncClient, flows: dict[str, Flow], db: Any) -> None:
    resp = await client.get(URL, params={"uuid": REG})
    assert resp.status_code == 200
    body = resp.json()
    assert body["next"] is None and body["previous"] is None
    (flow,) = body["results"]
    assert flow == {
        "uuid": REG,
        "name": "Registration",
        "type": "message",
        "archived": False,
        "labels": [{"uuid": "5a4eb79e-1b1f-4ae3-8700-09384cca385f", "name": "Reporting"}],
        "expires": 1440,
        "runs": {"active": 0, "waiting": 1, "completed": 3, "interrupted": 0, "expired": 0, "failed": 0},
        "results": [
            {
                "key": "name",
                "name": "Name",
                "categories": ["Has Name", "Other"],
                "node_uuids": ["0c6b8f1d-4e2a-4b7c-9d31-5a8e2f7c0b02"],
            },
            {
                "key": "age",
                "name": "Age",
                "categories": ["Valid", "Other"],
                "node_uuids": ["0c6b8f1d-4e2a-4b7c-9d31-5a8e2f7c0b03"],
            },
            {
                "key": "district",
                "name": "District",
                "categories": ["Has District", "Other"],
                "node_uuids": ["0c6b8f1d-4e2a-4b7c-9d31-5a8e2f7c0b04"],
            },
        ],
        "parent_refs": [],
        "created_on": flow["created_on"],
        "modified_on": "2026-01-10T00:00:00.000000Z",
    }
    assert list(flow["runs"]) == ["active", "waiting", "completed", "interrupted", "expired", "failed"]
    assert flow["created_on"].endswith("Z") and len(flow["created_on"]) == 27
    assert await count(db, Flow) == 4  # a listing changes nothing


async def test_order_and_filters(client: httpx.AsyncClient, flows: dict[str, Flow]) -> None:
    # newest created first; the deleted flow never shows, the archived one does unless filtered out
    assert await names(client) == ["Favorites", "Media Survey", "Registration"]
    assert await names(client, archived="false") == ["Media Survey", "Registration"]
    assert await names(client, archived="0") == ["Media Survey", "Registration"]
    assert await names(client, archived="1") == ["Favorites"]
    assert await names(client, archived="TRUE") == ["Favorites"]
    assert await names(client, type="survey") == ["Media Survey"]
    assert await names(client, type="message") == ["Favorites", "Registration"]
    assert await names(client, type="ussd") == []  # an unknown type matches nothing: no error
    # before/after bound modified_on, inclusive
    assert await names(client, after="2026-01-10T00:00:00.000Z") == ["Media Survey", "Registration"]
    assert await names(client, before="2026-01-10T00:00:00.000Z") == ["Favorites", "Registration"]
    assert await names(client, before="longago") == []
    assert await names(client, uuid=GONE) == []
    survey = (await client.get(URL, params={"uuid": SURVEY})).json()["results"][0]
    assert (survey["type"], survey["expires"]) == ("survey", 0)


async def test_errors(client: httpx.AsyncClient, flows: dict[str, Flow], db: Any) -> None:
    resp = await client.get(URL, params={"uuid": "xyz"})
    assert resp.status_code == 400
    assert resp.json() == {"detail": "Param 'uuid': xyz is not a valid UUID."}
    for method in ("POST", "DELETE"):
        resp = await client.request(method, URL, json={"name": "x"})
        assert resp.status_code == 405, method
        assert resp.json() == {"detail": f'Method "{method}" not allowed.'}
    assert await count(db, Flow) == 4


async def test_paging(client: httpx.AsyncClient, flows: dict[str, Flow], app: Any) -> None:
    app.state.settings.page_size = 2
    try:
        first = (await client.get(URL)).json()
        assert [f["name"] for f in first["results"]] == ["Favorites", "Media Survey"]
        second = (await client.get(first["next"])).json()
        assert [f["name"] for f in second["results"]] == ["Registration"]
        assert second["next"] is None and second["previous"] is not None
    finally:
        app.state.settings.page_size = 250


async def test_docs_pages(anon_client: httpx.AsyncClient) -> None:
    for name, title, param in (
        ("flows", "List Flows", "archived"),
        ("runs", "List Flow Runs", "responded"),
        ("flow_starts", "List or Start Flows", "restart_participants"),
    ):
        page = await anon_client.get(f"/api/v2/{name}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert title in page.text and param in page.text, name


async def test_fields_count_the_flows_using_them(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> None:
    from sauti.models import FlowDependency
    from tests.api.rapidpro.helpers import create_field

    for name, type_ in (("Age", "number"), ("District", "text"), ("Unused", "text")):
        await create_field(client, name, type_)

    async def usages() -> dict[str, int]:
        resp = await client.get("/api/v2/fields.json")
        assert resp.status_code == 200
        return {f["key"]: f["usages"]["flows"] for f in resp.json()["results"]}

    reg = await add_flow(db, tenant.workspace.id, registration())
    assert await usages() == {"age": 1, "district": 1, "unused": 0}
    await add_flow(db, tenant.workspace.id, variant("Copy", SURVEY))
    assert await usages() == {"age": 2, "district": 2, "unused": 0}
    # saving a definition again replaces what it depends on: the copy no longer reads the district
    copy = variant("Copy", SURVEY)
    copy["nodes"][-1]["actions"] = [a for a in copy["nodes"][-1]["actions"] if a["type"] == "add_contact_groups"]
    await add_flow(db, tenant.workspace.id, copy)
    assert await usages() == {"age": 2, "district": 1, "unused": 0}
    async with db() as session:  # through the ORM, as every write of the product: the assets version moves
        deleted = await session.get(Flow, reg.id)
        assert deleted is not None
        deleted.is_active = False
        await session.commit()
    assert await usages() == {"age": 1, "district": 0, "unused": 0}  # deleted flows use nothing
    assert await count(db, FlowDependency, FlowDependency.flow_id == reg.id) == 3  # age, district, Registered


async def test_contacts_and_messages_name_their_flow(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> None:
    from sqlalchemy import update

    from sauti.models import Contact, Message
    from tests.api.rapidpro.helpers import create_contact

    reg = await add_flow(db, tenant.workspace.id, registration())
    joe = await create_contact(client, name="Joe", urns=["tel:+250788123123"])
    ann = await create_contact(client, name="Ann")
    sent = (await client.post("/api/v2/messages.json", json={"contact": joe["uuid"], "text": "Hi"})).json()
    async with db() as session:
        await session.execute(update(Contact).where(Contact.uuid == joe["uuid"]).values(current_flow_id=reg.id))
        await session.execute(update(Message).where(Message.uuid == sent["uuid"]).values(flow_id=reg.id))
        await session.commit()
    contacts = {c["name"]: c["flow"] for c in (await client.get("/api/v2/contacts.json")).json()["results"]}
    assert contacts == {"Joe": {"uuid": REG, "name": "Registration"}, "Ann": None}
    (message,) = (await client.get("/api/v2/messages.json")).json()["results"]
    assert message["flow"] == {"uuid": REG, "name": "Registration"}
    assert ann["flow"] is None
