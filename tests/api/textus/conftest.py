"""Fixtures of the TextUs dialect's tests: a client authenticated with HTTP Basic (the tenant's email and API
token) and a test channel with a US number."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Backend, Tenant, add_channel

ACCOUNT_NUMBER = "+12025550100"


@pytest.fixture
async def api(app: Any, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        auth=(tenant.user.email, tenant.token),
        headers={"Accept": "application/vnd.textus-v2"},
    ) as c:
        yield c


@pytest.fixture
async def other_api(app: Any, other: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", auth=(other.user.email, other.token)
    ) as c:
        yield c


@pytest.fixture
async def channel(backend: Backend, tenant: Tenant) -> Any:
    return await add_channel(backend, tenant, name="Account line", address=ACCOUNT_NUMBER)


@pytest.fixture
def travel() -> Iterator[Any]:
    """Move Sauti's clock forward: ``travel(timedelta(minutes=5))``; it is put back after the test."""
    from datetime import UTC, datetime, timedelta

    from sauti.kit import clock

    offset = [timedelta(0)]
    clock.set_clock(lambda: datetime.now(UTC) + offset[0])

    def forward(delta: timedelta) -> None:
        offset[0] += delta

    yield forward
    clock.set_clock(None)


async def inject(anon_client: httpx.AsyncClient, channel: Any, sender: str, text: str) -> None:
    """An incoming message, delivered as the test channel's provider would."""
    resp = await anon_client.post(f"/c/test/{channel.uuid}/receive", data={"from": sender, "text": text})
    assert resp.status_code == 200, resp.text
