"""Archives and classifiers with the official RapidPro Python client (``rapidpro-python``) against the real server
process: ``get_archives`` (every filter) and ``get_classifiers``, unchanged. The archive job writes into the
server's own data dir, so the listed ``download_url`` is fetched from the server with the token."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temba_client.v2 import TembaClient
from temba_client.v2.types import Archive as TembaArchive
from temba_client.v2.types import Classifier as TembaClassifier

from sauti.kit import clock
from sauti.models import Archive, Workspace
from sauti.worker import Worker
from sauti.worker import archives as archive_work
from tests.api.rapidpro.helpers import count
from tests.api.rapidpro.test_classifiers import add_classifier
from tests.api.rapidpro.test_message_actions import make_contact, make_message
from tests.api.rapidpro.test_official_client import call
from tests.conftest import Backend, Tenant, make_tenant
from tests.support.server import Server, running_server

pytestmark = pytest.mark.usefixtures("app")
Db = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def server(backend: Backend) -> Iterator[Server]:
    with running_server(backend.url) as srv:
        yield srv


@pytest.fixture
async def rw(app: Any, backend: Backend) -> Tenant:
    return await make_tenant(backend, "Nyaruka", "admin@nyaruka.com", country="RW", languages=["eng"])


@pytest.fixture
def temba(server: Server, rw: Tenant) -> TembaClient:
    return TembaClient(server.base_url, rw.token)


async def test_get_classifiers(temba: TembaClient, rw: Tenant, db: Db) -> None:
    wit = await add_classifier(db, rw.workspace.id, "Booking", intents=["book", "cancel"])
    await add_classifier(db, rw.workspace.id, "Legacy", "bothub", intents=["greet"])
    listed = (await call(temba.get_classifiers)).all()
    assert all(isinstance(c, TembaClassifier) for c in listed)
    assert [(c.name, c.type, c.intents) for c in listed] == [
        ("Legacy", "bothub", ["greet"]),
        ("Booking", "wit", ["book", "cancel"]),
    ]
    one = (await call(temba.get_classifiers, uuid=wit.uuid)).first()
    assert one.uuid == wit.uuid and one.created_on.tzinfo is not None
    assert await count(db, Workspace) == 1


async def test_get_archives(app: Any, temba: TembaClient, server: Server, rw: Tenant, backend: Backend, db: Db) -> None:
    contact = await make_contact(db, rw.workspace.id)
    for day, n in ((1, 2), (2, 1)):
        for i in range(n):
            await make_message(
                db, rw.workspace.id, contact.id, text=f"m{day}{i}", created_on=datetime(2026, 3, day, 8, i, tzinfo=UTC)
            )
    settings = app.state.settings.model_copy(update={"data_dir": server.log_path.parent})
    clock.set_clock(lambda: NOW)
    try:
        worker = Worker(backend.sessionmaker, settings, app.state.http_client)
        await worker.heartbeat(force=True)
        try:
            assert (
                await archive_work.run_now(backend.sessionmaker, worker, rw.workspace.id) == 16
            )  # March 1..16; no runs
        finally:
            await worker.close()
    finally:
        clock.set_clock(None)

    every = (await call(temba.get_archives)).all()
    assert len(every) == 16 and all(isinstance(a, TembaArchive) for a in every)
    assert every[0].start_date == datetime(2026, 3, 16, tzinfo=UTC)
    messages = (await call(temba.get_archives, type="message", period="daily")).all()
    assert len(messages) == 16 and {a.type for a in messages} == {"message"}
    first = next(a for a in messages if a.start_date == datetime(2026, 3, 1, tzinfo=UTC))
    assert (first.period, first.record_count) == ("daily", 2)
    window = (
        await call(
            temba.get_archives,
            type="message",
            after=datetime(2026, 3, 2, tzinfo=UTC),
            before=datetime(2026, 3, 3, tzinfo=UTC),
        )
    ).all()
    assert [(a.start_date.day, a.record_count) for a in window] == [(3, 0), (2, 1)]
    assert (await call(temba.get_archives, period="monthly")).all() == []
    assert (await call(temba.get_archives, type="run")).all() == []

    # the client hands back the download URL; the file comes from the server with the same token
    response = await call(httpx.get, first.download_url, headers={"Authorization": f"Token {rw.token}"})
    assert response.status_code == 200
    assert hashlib.md5(response.content).hexdigest() == first.hash and len(response.content) == first.size
    lines = [orjson.loads(line) for line in gzip.decompress(response.content).splitlines()]
    assert [line["text"] for line in lines] == ["m10", "m11"]
    refused = await call(httpx.get, first.download_url)
    assert refused.status_code == 403
    assert await count(db, Archive, Archive.status == "ready") == 16
