"""globals.json."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sauti.models import Global
from tests.api.rapidpro.helpers import count, row

pytestmark = pytest.mark.usefixtures("app")


async def test_create_list_update(client: httpx.AsyncClient, db: Any) -> None:
    resp = await client.post("/api/v2/globals.json", json={"name": "Org Name", "value": "Acme Ltd"})
    assert resp.status_code == 201
    created = resp.json()
    assert list(created) == ["key", "name", "value", "modified_on"]
    assert created["key"] == "org_name" and created["value"] == "Acme Ltd"
    await client.post("/api/v2/globals.json", json={"name": "Access Code", "value": "1234"})
    listing = (await client.get("/api/v2/globals.json")).json()["results"]
    assert [g["key"] for g in listing] == ["access_code", "org_name"]
    assert [g["key"] for g in (await client.get("/api/v2/globals.json?reverse=true")).json()["results"]] == [
        "org_name",
        "access_code",
    ]
    updated = await client.post("/api/v2/globals.json?key=org_name", json={"name": "Ignored", "value": "Acme Inc"})
    assert updated.status_code == 200
    assert updated.json()["name"] == "Org Name" and updated.json()["value"] == "Acme Inc"
    assert updated.json()["modified_on"] > created["modified_on"]
    stored = await row(db, Global, Global.key == "org_name")
    assert stored.value == "Acme Inc" and stored.name == "Org Name"
    after = await client.get("/api/v2/globals.json", params={"after": updated.json()["modified_on"]})
    assert [g["key"] for g in after.json()["results"]] == ["org_name"]
    assert (await client.get("/api/v2/globals.json?key=access_code")).json()["results"][0]["value"] == "1234"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"value": "x"}, {"non_field_errors": ["Name is required when creating new global."]}),
        ({"name": "Thing"}, {"value": ["This field is required."]}),
        ({"name": "Bad!", "value": "x"}, {"name": ["Name contains illegal characters."]}),
        ({"name": "2cool key", "value": "x"}, {"name": ["Name creates Key that is invalid"]}),
        ({"name": "x" * 37, "value": "x"}, {"name": ["Ensure this field has no more than 36 characters."]}),
        ({"name": "Big", "value": "x" * 10_001}, {"value": ["Ensure this field has no more than 10000 characters."]}),
    ],
)
async def test_create_errors(client: httpx.AsyncClient, db: Any, body: dict[str, Any], errors: dict[str, Any]) -> None:
    resp = await client.post("/api/v2/globals.json", json=body)
    assert resp.status_code == 400
    assert resp.json() == errors
    assert await count(db, Global) == 0


async def test_unique_and_missing(client: httpx.AsyncClient, db: Any) -> None:
    await client.post("/api/v2/globals.json", json={"name": "Org Name", "value": "A"})
    dup = await client.post("/api/v2/globals.json", json={"name": "org name", "value": "B"})
    assert dup.status_code == 400 and dup.json() == {"name": ["This field must be unique."]}
    missing = await client.post("/api/v2/globals.json?key=nope", json={"value": "x"})
    assert missing.status_code == 404
    assert await count(db, Global) == 1
    assert (await client.delete("/api/v2/globals.json?key=org_name")).status_code == 405
