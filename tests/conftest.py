"""Test fixtures: every API test runs against SQLite and against a real, throwaway PostgreSQL.

PostgreSQL comes from ``SAUTI_TEST_POSTGRES_URL`` when set, otherwise from a cluster started with the machine's
initdb/pg_ctl. Where neither is possible the PostgreSQL half fails under CI (``CI`` set) and is skipped, with the
reason, elsewhere.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sauti.app import create_app
from sauti.db.base import Base
from sauti.db.engine import make_engine, make_sessionmaker, sync_engines
from sauti.db.migrate import upgrade
from sauti.domain.workspaces import service as ws_service
from sauti.models import User, Workspace
from sauti.settings import Settings
from tests.support.postgres import Cluster, PostgresUnavailable

BACKENDS = ["sqlite", "postgres"]
LOOPBACK = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    env = os.environ.get("SAUTI_TEST_POSTGRES_URL")
    if env:
        yield env
        return
    try:
        cluster = Cluster()
        url = cluster.start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    try:
        yield url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("SAUTI_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
    host, _, port = url.split("//", 1)[1].split("/", 1)[0].partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            if not conn.recv(16).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required under CI: {exc}")
        pytest.skip(f"Redis tests skipped: no Redis at {url} ({exc})")
    return url


@dataclass
class Backend:
    name: str
    url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @property
    def engines(self) -> list[Engine]:
        """The synchronous engines this backend's sessions send statements through (to count them)."""
        return [self.engine.sync_engine, *sync_engines(self.sessionmaker)]


@pytest.fixture(scope="session", params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        tmp = Path(tempfile.mkdtemp(prefix="sauti-test-"))
        url = f"sqlite+aiosqlite:///{tmp / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        from sauti.settings import database_url

        url = database_url(url, Path("."))
    upgrade(url)  # the migrations themselves are under test on both databases
    engine = make_engine(url)
    yield Backend(request.param, url, engine, make_sessionmaker(engine))
    await engine.dispose()


async def _wipe(b: Backend) -> None:
    """Empty every table, children first. Plain DELETEs, not TRUNCATE: a server process started by a test
    (with its worker polling) may still hold locks, and TRUNCATE's exclusive locks would deadlock with it."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with b.engine.begin() as conn:
        for name in tables:
            await conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(scope="session")
async def app_for(backend: Backend) -> AsyncIterator[Any]:
    settings = Settings(
        database_url=backend.url,
        data_dir=Path(tempfile.mkdtemp(prefix="sauti-data-")),
        embedded_worker=False,
        webhook_allow_networks=LOOPBACK,  # local receivers: tests allow loopback explicitly
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def app(app_for: Any, backend: Backend) -> AsyncIterator[Any]:
    await _wipe(backend)
    await app_for.state.throttle.reset()
    yield app_for


@dataclass
class Tenant:
    workspace: Workspace
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}


async def make_tenant(
    backend: Backend, name: str, email: str, *, role: str = "administrator", **ws_kwargs: Any
) -> Tenant:
    async with backend.sessionmaker() as session:
        ws = await ws_service.create_workspace(session, name=name, **ws_kwargs)
        user = await ws_service.create_user(session, email=email, first_name="Ann", last_name="Admin")
        await ws_service.grant_role(session, ws, user, role)
        issued = await ws_service.create_token(session, ws, user)
        await session.commit()
        return Tenant(ws, user, issued.key)


@pytest.fixture
async def tenant(app: Any, backend: Backend) -> Tenant:
    """Workspace A of the reference's test vectors: RW, Africa/Kigali, eng + kin, day_first."""
    return await make_tenant(
        backend, "Nyaruka", "admin@nyaruka.com", country="RW", languages=["eng", "kin"], timezone="Africa/Kigali"
    )


@pytest.fixture
async def other(app: Any, backend: Backend) -> Tenant:
    """Workspace B: a different tenant whose token must never see or change A's rows."""
    return await make_tenant(backend, "Other Org", "admin@other.org", country="US", languages=["eng"])


@pytest.fixture
async def client(app: Any, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=tenant.headers) as c:
        yield c


@pytest.fixture
async def anon_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def db(backend: Backend) -> async_sessionmaker[AsyncSession]:
    """A session factory on the same database, to check what a request changed."""
    return backend.sessionmaker


@pytest.fixture
async def worker(app: Any, backend: Backend) -> AsyncIterator[Any]:
    """A worker on the test database, driven step by step (``await worker.drain()``) by the test."""
    from sauti.worker import Worker

    w = Worker(backend.sessionmaker, app.state.settings, app.state.http_client)
    await w.heartbeat(force=True)
    yield w
    await w.close()


async def add_channel(backend: Backend, tenant: Tenant, channel_type: str = "TST", **kwargs: Any) -> Any:
    from sauti.domain.channels import service as channels

    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        kwargs.setdefault("name", "Test Channel")
        kwargs.setdefault("address", "+250788000000")
        channel = await channels.add(session, ws, channel_type=channel_type, **kwargs)
        await session.commit()
        return channel
