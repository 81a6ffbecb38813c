"""Reads on SQLite that run on the event loop's own thread, through a synchronous session.

A small API read costs the database a few microseconds; through SQLAlchemy's asyncio layer over aiosqlite it
cost far more: every call hops to aiosqlite's thread and back, and every statement switches greenlets several
times. Reads of a database in WAL mode never wait for a writer, so a request that only reads (GET, HEAD) can run
its statements right where it is: :class:`ReadSessions` hands out :class:`ReadSession` objects, which offer the
slice of :class:`~sqlalchemy.ext.asyncio.AsyncSession` that the domain's read paths use (``execute``, ``get``,
``scalar``, ``scalars``...) and run each call at once on a synchronous :class:`~sqlalchemy.orm.Session`. Writes
keep aiosqlite, whose thread can wait for the write lock without stopping the loop.

Connections are opened with ``query_only``, so a write sent down this path fails at once instead of taking the
lock on the loop's thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

# A reader waits for the write lock only while a writer resets the WAL file; that is short, and it happens on
# the loop's thread, so the wait is kept short too.
READ_BUSY_TIMEOUT_MS = 2000


def connect(path: str) -> sqlite3.Connection:
    """One read-only connection to the database file at ``path``."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={READ_BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA query_only=ON")
    return conn


def make_engine(path: str, **kwargs: Any) -> Engine:
    """A synchronous engine over read-only connections to ``path``."""
    return create_engine("sqlite+pysqlite://", creator=lambda: connect(path), **kwargs)


class ReadSession:
    """An :class:`~sqlalchemy.ext.asyncio.AsyncSession` look-alike for reads; each method runs at once."""

    def __init__(self, session: Session) -> None:
        self.sync_session = session

    @property
    def bind(self) -> Any:
        return self.sync_session.bind

    async def __aenter__(self) -> ReadSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.sync_session.close()

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_session.execute(statement, params, **kwargs)

    async def scalar(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_session.scalar(statement, params, **kwargs)

    async def scalars(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_session.scalars(statement, params, **kwargs)

    async def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        return self.sync_session.get(entity, ident, **kwargs)

    async def run_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(self.sync_session, *args, **kwargs)

    async def refresh(self, instance: Any, attribute_names: Sequence[str] | None = None) -> None:
        self.sync_session.refresh(instance, attribute_names)

    async def flush(self) -> None:
        self.sync_session.flush()

    async def commit(self) -> None:
        self.sync_session.commit()

    async def rollback(self) -> None:
        self.sync_session.rollback()

    async def close(self) -> None:
        self.sync_session.close()

    async def connection(self) -> ReadConnection:
        return ReadConnection(self.sync_session.connection())

    def add(self, instance: Any) -> None:
        self.sync_session.add(instance)

    def expunge(self, instance: Any) -> None:
        self.sync_session.expunge(instance)


class ReadConnection:
    """The session's connection, shaped like :class:`~sqlalchemy.ext.asyncio.AsyncConnection` for reads."""

    def __init__(self, connection: Connection) -> None:
        self.sync_connection = connection

    @property
    def dialect(self) -> Any:
        return self.sync_connection.dialect

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_connection.execute(statement, params, **kwargs)

    async def scalar(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_connection.scalar(statement, params, **kwargs)


class ReadSessions:
    """Makes :class:`ReadSession` objects, as an ``async_sessionmaker`` makes sessions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(engine, expire_on_commit=False, autoflush=False)

    def __call__(self) -> ReadSession:
        return ReadSession(self._factory())
