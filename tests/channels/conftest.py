"""Fixtures shared by the channel type tests: a local fake provider and the client the worker sends with
(``kit.http``: httpx's API over aiohttp's connections), so the case tables exercise the production path."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from sauti.kit import http
from tests.support.fake_provider import FakeProvider, fake_provider


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with fake_provider() as p:
        yield p


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with http.client(timeout=5) as c:
        yield c
