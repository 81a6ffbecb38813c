"""fields.json: list, create, update; keys, reserved names, limits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sauti.models import ContactField, ContactValue, Workspace
from tests.api.rapidpro.helpers import count, create_contact, create_field, create_group, row
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("app")

AGE = {
    "key": "age",
    "name": "Age",
    "type": "number",
    "featured": False,
    "priority": 0,
    "usages": {"flows": 0, "groups": 0, "campaign_events": 0},
    "agent_access": "view",
    "label": "Age",
    "value_type": "numeric",
}


async def test_create_and_list(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> None:
    resp = await client.post("/api/v2/fields.json", json={"name": "Age", "type": "number"})
    assert resp.status_code == 201
    assert resp.json() == AGE
    await create_field(client, "Nick name")
    listing = await client.get("/api/v2/fields.json")
    assert listing.status_code == 200
    assert [f["key"] for f in listing.json()["results"]] == ["nick_name", "age"]  # newest first, no proxies
    assert (await client.get("/api/v2/fields.json", params={"key": "age"})).json()["results"] == [AGE]
    stored = await row(db, ContactField, ContactField.key == "nick_name")
    assert stored.name == "Nick name" and stored.value_type == "text" and stored.workspace_id == tenant.workspace.id


async def test_legacy_names(client: httpx.AsyncClient, db: Any) -> None:
    resp = await client.post("/api/v2/fields.json", json={"label": "Age", "value_type": "numeric"})
    assert resp.status_code == 201
    assert resp.json() == AGE


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"non_field_errors": ["Field 'name' is required."]}),
        ({"name": "goats"}, {"non_field_errors": ["Field 'type' is required."]}),
        (
            {"name": "!@#$%", "type": "video"},
            {"name": ["Can only contain letters, numbers and hypens."], "type": ['"video" is not a valid choice.']},
        ),
        ({"name": "HAS", "type": "text"}, {"name": ['Generated key "has" is invalid or a reserved name.']}),
        ({"name": "2cool", "type": "text"}, {"name": ['Generated key "2cool" is invalid or a reserved name.']}),
        (
            {"label": "Created On", "value_type": "text"},
            {"label": ['Generated key "created_on" is invalid or a reserved name.']},
        ),
        ({"name": " Age", "type": "text"}, {"name": ["Can only contain letters, numbers and hypens."]}),
        ({"name": "x" * 37, "type": "text"}, {"name": ["Ensure this field has no more than 36 characters."]}),
    ],
)
async def test_create_errors(client: httpx.AsyncClient, db: Any, body: dict[str, Any], errors: dict[str, Any]) -> None:
    resp = await client.post("/api/v2/fields.json", json=body)
    assert resp.status_code == 400
    assert resp.json() == errors
    assert await count(db, ContactField, ~ContactField.is_system) == 0


async def test_uniqueness(client: httpx.AsyncClient, db: Any) -> None:
    await create_field(client, "Nick Name")
    for name in ("nick name", "Nick-Name"):  # same name case-insensitively; a different name with the same key
        resp = await client.post("/api/v2/fields.json", json={"name": name, "type": "text"})
        assert resp.status_code == 400
        assert resp.json() == {"name": ["This field must be unique."]}
    assert await count(db, ContactField, ~ContactField.is_system) == 1


async def test_update(client: httpx.AsyncClient, db: Any) -> None:
    await create_field(client, "Age", "text")
    contact = await create_contact(client, fields={"age": "23"})
    resp = await client.post("/api/v2/fields.json?key=age", json={"name": "Years", "type": "number"})
    assert resp.status_code == 200
    assert resp.json()["key"] == "age" and resp.json()["name"] == "Years" and resp.json()["type"] == "number"
    stored = await row(
        db, ContactValue, ContactValue.field_id == (await row(db, ContactField, ContactField.key == "age")).id
    )
    assert stored.number_value == 23  # values were re-read for the new type
    got = await client.get("/api/v2/contacts.json", params={"uuid": contact["uuid"]})
    assert got.json()["results"][0]["fields"] == {"age": "23"}
    missing = await client.post("/api/v2/fields.json?key=nope", json={"name": "Nope", "type": "text"})
    assert missing.status_code == 404
    incomplete = await client.post("/api/v2/fields.json?key=age", json={"name": "Years"})
    assert incomplete.status_code == 400
    assert incomplete.json() == {"non_field_errors": ["Field 'type' is required."]}


async def test_group_usages(client: httpx.AsyncClient) -> None:
    await create_field(client, "Age", "number")
    await create_group(client, "Adults", "age >= 18")
    await create_group(client, "Teens", "age < 18 and age > 12")
    resp = await client.get("/api/v2/fields.json", params={"key": "age"})
    assert resp.json()["results"][0]["usages"] == {"flows": 0, "groups": 2, "campaign_events": 0}
    # the counts are kept per process under the assets version: a group's change is seen by the next listing
    teens = (await client.get("/api/v2/groups.json", params={"name": "Teens"})).json()["results"][0]
    changed = await client.post(
        f"/api/v2/groups.json?uuid={teens['uuid']}", json={"name": "Teens", "query": "name = Bob"}
    )
    assert changed.status_code == 200, changed.text
    resp = await client.get("/api/v2/fields.json", params={"key": "age"})
    assert resp.json()["results"][0]["usages"] == {"flows": 0, "groups": 1, "campaign_events": 0}
    adults = (await client.get("/api/v2/groups.json", params={"name": "Adults"})).json()["results"][0]
    assert (await client.delete(f"/api/v2/groups.json?uuid={adults['uuid']}")).status_code == 204
    resp = await client.get("/api/v2/fields.json", params={"key": "age"})
    assert resp.json()["results"][0]["usages"] == {"flows": 0, "groups": 0, "campaign_events": 0}


async def test_limit(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> None:
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        ws.limits = {"fields": 2}
        await session.commit()
    await create_field(client, "One")
    await create_field(client, "Two")
    resp = await client.post("/api/v2/fields.json", json={"label": "Age", "value_type": "numeric"})
    assert resp.status_code == 409
    assert resp.json() == {"detail": "Cannot create object because workspace has reached limit."}
    assert await count(db, ContactField, ~ContactField.is_system) == 2


async def test_delete_not_allowed(client: httpx.AsyncClient) -> None:
    resp = await client.delete("/api/v2/fields.json")
    assert resp.status_code == 405
    assert resp.json() == {"detail": 'Method "DELETE" not allowed.'}
