"""The async engine and session factory for either database."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from sauti.db import direct, inline, jsontext, onehop
from sauti.db import versioning as _versioning  # noqa: F401  (the assets version follows every flush)

registry.register(f"sqlite.{onehop.DRIVER}", "sauti.db.onehop", "Dialect")
registry.register(f"postgresql.{direct.DRIVER}", "sauti.db.direct", "Dialect")


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout so readers never block writers."""
    if is_sqlite(url):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        parsed = make_url(url)
        if parsed.drivername == "sqlite+aiosqlite":  # the same driver, one trip to its thread per statement
            parsed = parsed.set(drivername=f"sqlite+{onehop.DRIVER}")
        engine = create_async_engine(parsed, connect_args={"timeout": 30}, json_serializer=jsontext.dumps, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # Up to 30 connections a process, each kept once opened. The cap was 10 kept and 20 more opened for a burst
    # and closed after it: under 32 clients reading at once about 3% of the server's time went on opening
    # connections (and PostgreSQL starting a backend for each), and each new one's prepared statements were
    # prepared again.
    kwargs.setdefault("pool_size", 30)
    kwargs.setdefault("max_overflow", 0)
    parsed = make_url(url)
    if parsed.drivername == "postgresql+asyncpg":  # the same driver, savepoints sent straight to it
        parsed = parsed.set(drivername=f"postgresql+{direct.DRIVER}")
    return create_async_engine(parsed, json_serializer=jsontext.dumps, **kwargs)


def make_read_engine(url: str, **kwargs: Any) -> Engine | None:
    """A synchronous engine for requests that only read, or ``None`` when the main engine should serve them too.

    On a SQLite file it runs statements on the loop's thread over read-only connections (see
    :mod:`sauti.db.inline`; :class:`~sauti.db.inline.ReadSessions` makes its sessions); PostgreSQL's driver is
    asynchronous already, and an in-memory SQLite database exists only on the connection that made it.
    """
    path = sqlite_file(url)
    return None if path is None else inline.make_engine(path, **kwargs)


def sqlite_file(url: str) -> str | None:
    """The path of the SQLite database file ``url`` names, or ``None`` (PostgreSQL, an in-memory database)."""
    if not is_sqlite(url):
        return None
    path = make_url(url).database or ""
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return path


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions over ``engine``'s database. On a SQLite file they run on the loop's thread, one write
    transaction at a time (:class:`~sauti.db.inline.WriteSessions`; their connections are closed when ``engine``
    is disposed of); otherwise they are SQLAlchemy's asyncio sessions (on PostgreSQL ones that run built-once
    statements straight on asyncpg: :class:`~sauti.db.direct.DirectSession`)."""
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    if path is None:
        kind = direct.DirectSession if engine.dialect.name == "postgresql" else AsyncSession
        return async_sessionmaker(engine, class_=kind, expire_on_commit=False, autoflush=False)
    sessions = inline.WriteSessions(path)
    sessions.follow(engine.sync_engine)
    return cast(async_sessionmaker[AsyncSession], sessions)


def on_the_loop(sessions: Any) -> bool:
    """Whether sessions made by :func:`make_sessionmaker` run their statements right on the event loop's thread
    (a SQLite file) rather than as round trips to a database server, during which the loop runs other tasks."""
    return isinstance(sessions, inline.WriteSessions)


def sync_engines(sessions: Any) -> list[Engine]:
    """The synchronous engines a session factory made by :func:`make_sessionmaker` runs statements on, besides
    its async engine's (for counting statements)."""
    return [sessions.engine] if isinstance(sessions, inline.WriteSessions) else []
