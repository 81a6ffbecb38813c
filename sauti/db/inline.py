"""Read-only SQLite connections that run their statements on the event loop's own thread.

aiosqlite gives every connection a thread and hands each call to it through a queue: a small read (the
statement itself well under a tenth of a millisecond) pays several thread hops for the cursor, the statement,
the rows and the close, and those hops, not SQLite, were most of what a small API read cost. Reads of a
database in WAL mode never wait for a writer, so running them inline cannot stall the loop behind one of its
own transactions; writes keep aiosqlite, whose thread may wait for the write lock without stopping the loop.

The connection is opened with ``query_only``, so a write sent down this path fails at once instead of taking
the lock on the loop's thread. :func:`connect` returns an object with the slice of aiosqlite's interface that
SQLAlchemy's aiosqlite dialect calls; pass it to ``create_async_engine(..., async_creator=...)``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any

# A reader waits for the write lock only while a writer resets the WAL file; that is short, and it happens on
# the loop's thread, so the wait is kept short too.
READ_BUSY_TIMEOUT_MS = 2000


class Cursor:
    """An aiosqlite-shaped cursor over a :class:`sqlite3.Cursor`; every method runs at once."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[Any]:
        for row in self._cursor:
            yield row

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _Inline:
    """Stands in for aiosqlite's queue to its thread: the call runs now and settles the future."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # handed to the awaiting caller, as aiosqlite's thread would
            future.set_exception(exc)


class Connection:
    """An aiosqlite-shaped connection over a :class:`sqlite3.Connection` on the calling thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = conn
        self._tx = _Inline()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    def cursor(self) -> Cursor:
        return Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        return Cursor(self._conn.execute(sql, parameters))

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction


def opener(path: str) -> Callable[[], Any]:
    """What ``async_creator`` wants: a coroutine function opening one read-only connection to ``path``."""

    async def connect() -> Connection:
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={READ_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only=ON")
        return Connection(conn)

    return connect
