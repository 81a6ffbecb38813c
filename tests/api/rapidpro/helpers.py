"""Small helpers shared by the API v2 tests."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


async def create_field(client: httpx.AsyncClient, name: str, type_: str = "text") -> dict[str, Any]:
    resp = await client.post("/api/v2/fields.json", json={"name": name, "type": type_})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def create_group(client: httpx.AsyncClient, name: str, query: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name}
    if query is not None:
        body["query"] = query
    resp = await client.post("/api/v2/groups.json", json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def create_contact(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    resp = await client.post("/api/v2/contacts.json", json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def count(db: async_sessionmaker[AsyncSession], model: Any, *conds: Any) -> int:
    async with db() as session:
        return int((await session.execute(select(func.count()).select_from(model).where(*conds))).scalar_one())


async def row(db: async_sessionmaker[AsyncSession], model: Any, *conds: Any) -> Any:
    async with db() as session:
        return (await session.execute(select(model).where(*conds))).scalar_one_or_none()


async def all_pages(client: httpx.AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    """Follow ``next`` links to the end; asserts every page but the last is full-size."""
    results: list[dict[str, Any]] = []
    resp = await client.get(url, params=params)
    while True:
        assert resp.status_code == 200, resp.text
        body = resp.json()
        results.extend(body["results"])
        if body["next"] is None:
            return results
        resp = await client.get(body["next"])
