"""topics.json: the system topic General, creating and renaming topics, and their kept ticket counts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from sauti.models import Topic, TopicTicketCount, Workspace
from tests.api.rapidpro.helpers import count, create_contact, row
from tests.api.rapidpro.ticket_helpers import open_ticket
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("app")
URL = "/api/v2/topics.json"


async def create_topic(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    resp = await client.post(URL, json={"name": name})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def test_every_workspace_has_general(client: httpx.AsyncClient, tenant: Tenant, other: Tenant, db: Any) -> None:
    resp = await client.get(URL)
    assert resp.status_code == 200
    (general,) = resp.json()["results"]
    assert general == {
        "uuid": general["uuid"],
        "name": "General",
        "counts": {"open": 0, "closed": 0},
        "system": True,
        "created_on": general["created_on"],
    }
    stored = await row(db, Topic, Topic.uuid == general["uuid"])
    assert (stored.workspace_id, stored.is_system, stored.is_default) == (tenant.workspace.id, True, True)
    assert await count(db, Topic, Topic.workspace_id == other.workspace.id, Topic.is_system) == 1
    assert await count(db, TopicTicketCount, TopicTicketCount.topic_id == stored.id) == 2


async def test_create_list_and_rename(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    resp = await client.post(URL, json={"name": "Food"})
    assert resp.status_code == 201
    food = resp.json()
    assert food == {
        "uuid": food["uuid"],
        "name": "Food",
        "counts": {"open": 0, "closed": 0},
        "system": False,
        "created_on": food["created_on"],
    }
    stored = await row(db, Topic, Topic.uuid == food["uuid"])
    assert (stored.name, stored.workspace_id, stored.is_system) == ("Food", tenant.workspace.id, False)
    billing = await create_topic(client, "Billing")
    listing = (await client.get(URL)).json()["results"]
    assert [t["name"] for t in listing] == ["Billing", "Food", "General"]  # newest first, General last
    resp = await client.post(f"{URL}?uuid={food['uuid']}", json={"name": "Drinks"})
    assert resp.status_code == 200
    assert resp.json() == {**food, "name": "Drinks"}
    assert (await row(db, Topic, Topic.uuid == food["uuid"])).name == "Drinks"
    # renaming to its own name in another case is fine; to another topic's name is not
    assert (await client.post(f"{URL}?uuid={food['uuid']}", json={"name": "DRINKS"})).status_code == 200
    resp = await client.post(f"{URL}?uuid={food['uuid']}", json={"name": "billing"})
    assert resp.status_code == 400 and resp.json() == {"name": ["This field must be unique."]}
    assert (await row(db, Topic, Topic.uuid == billing["uuid"])).name == "Billing"


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"name": "general"}, {"name": ["This field must be unique."]}),
        ({"name": "FOOD"}, {"name": ["This field must be unique."]}),
        ({"name": '"Hi"'}, {"name": ['Cannot contain the character: "']}),
        ({"name": "x" * 65}, {"name": ["Ensure this field has no more than 64 characters."]}),
        ({"name": " Food2"}, {"name": ["Cannot begin or end with whitespace."]}),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        ({"name": None}, {"name": ["This field may not be null."]}),
        ({"name": ["x"]}, {"name": ["Not a valid string."]}),
        ({}, {"name": ["This field is required."]}),
    ],
)
async def test_create_errors(client: httpx.AsyncClient, db: Any, payload: dict[str, Any], errors: Any) -> None:
    await create_topic(client, "Food")
    resp = await client.post(URL, json=payload)
    assert resp.status_code == 400
    assert resp.json() == errors
    assert await count(db, Topic) == 2  # General and Food


async def test_system_topic_and_unknown_topic(
    client: httpx.AsyncClient, tenant: Tenant, other: Tenant, db: Any
) -> None:
    general = (await client.get(URL)).json()["results"][0]
    resp = await client.post(f"{URL}?uuid={general['uuid']}", json={"name": "Won't work"})
    assert resp.status_code == 403 and resp.json() == {"detail": "Cannot modify system object."}
    assert (await row(db, Topic, Topic.uuid == general["uuid"])).name == "General"
    resp = await client.post(f"{URL}?uuid=4b2c0f3e-0000-4000-8000-000000000001", json={"name": "X"})
    assert resp.status_code == 404 and resp.json() == {"detail": "Not found."}
    resp = await client.post(f"{URL}?uuid=xyz", json={"name": "X"})
    assert resp.status_code == 400 and resp.json() == {"detail": "Param 'uuid': xyz is not a valid UUID."}
    assert await count(db, Topic, Topic.workspace_id == tenant.workspace.id) == 1
    assert (await client.delete(URL)).status_code == 405


async def test_topic_limit(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    async with db() as session:
        await session.execute(update(Workspace).where(Workspace.id == tenant.workspace.id).values(limits={"topics": 2}))
        await session.commit()
    await create_topic(client, "One")
    await create_topic(client, "Two")  # General is not counted
    resp = await client.post(URL, json={"name": "Interesting"})
    assert resp.status_code == 409
    assert resp.json() == {"detail": "Cannot create object because workspace has reached limit."}
    assert await count(db, Topic, Topic.workspace_id == tenant.workspace.id) == 3


async def test_counts_are_kept_per_topic(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    food = await create_topic(client, "Food")
    a = await create_contact(client, name="A")
    b = await create_contact(client, name="B")
    await open_ticket(db, tenant.workspace.id, a["uuid"], topic_uuid=food["uuid"])
    await open_ticket(db, tenant.workspace.id, b["uuid"])
    counts = {t["name"]: t["counts"] for t in (await client.get(URL)).json()["results"]}
    assert counts == {"Food": {"open": 1, "closed": 0}, "General": {"open": 1, "closed": 0}}
    # the counts are the kept rows, not a count of tickets
    async with db() as session:
        topic_id = (await row(db, Topic, Topic.uuid == food["uuid"])).id
        await session.execute(
            update(TopicTicketCount)
            .where(TopicTicketCount.topic_id == topic_id, TopicTicketCount.status == "closed")
            .values(count=7)
        )
        await session.commit()
    counts = {t["name"]: t["counts"] for t in (await client.get(URL)).json()["results"]}
    assert counts["Food"] == {"open": 1, "closed": 7}
