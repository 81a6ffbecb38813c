"""/api/tags: every tag on the account's live contacts, once, sorted case-insensitively."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.textus.helpers import create
from tests.support.queries import query_count

pytestmark = pytest.mark.usefixtures("app")


async def test_tags_of_live_contacts(api: httpx.AsyncClient, other_api: httpx.AsyncClient) -> None:
    a = await create(api, "/api/contacts", phone="+12025550101", tags=["vip", "Donor"])
    await create(api, "/api/contacts", phone="+12025550102", tags=["vip", "alpha"])
    gone = await create(api, "/api/contacts", phone="+12025550103", tags=["deleted-one"])
    await api.delete(f"/api/contacts/{gone['id']}")
    await create(other_api, "/api/contacts", phone="+12025550104", tags=["elsewhere"])
    resp = await api.get("/api/tags")
    assert resp.json() == ["alpha", "Donor", "vip"] and resp.headers["x-total"] == "3"
    page = await api.get("/api/tags", params={"per_page": 2, "page": 2})
    assert page.json() == ["vip"] and page.headers["x-total-pages"] == "2"
    await api.put(f"/api/contacts/{a['id']}", json={"tags": "solo"})  # a single string is a list of one
    assert (await api.get("/api/tags")).json() == ["alpha", "solo", "vip"]


async def test_listing_query_count(app: Any, api: httpx.AsyncClient) -> None:
    await create(api, "/api/contacts", phone="+12025550101", tags=["a"])
    one = await query_count(app, api, "/api/tags")
    for i in range(4):
        await create(api, "/api/contacts", phone=f"+1202555011{i}", tags=[f"t{i}", "a"])
    assert await query_count(app, api, "/api/tags") == one == 3
