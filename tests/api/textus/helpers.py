"""Small helpers shared by the TextUs tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.rapidpro.helpers import count, row

__all__ = ["count", "create", "row"]


async def create(api: httpx.AsyncClient, path: str, **body: Any) -> dict[str, Any]:
    resp = await api.post(path, json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def rates(db: Any, tenant: Any, **scopes: str) -> None:
    """Give the tenant's workspace its own throttle rates (e.g. more broadcasts a minute for a test)."""
    from sauti.models import Workspace

    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        ws.api_rates = {**(ws.api_rates or {}), **scopes}
        await session.commit()
