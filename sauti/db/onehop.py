"""SQLAlchemy's aiosqlite dialect, with statements that cross to aiosqlite's thread once instead of four times.

The stock adapter makes a cursor (one trip to the connection's thread and back), executes (two), fetches the
rows (three) and closes the cursor (four) for every statement; each trip wakes the thread and then the event
loop. Here one function runs in the thread and does all four, returning the description, row count, last row id
and rows: the same DBAPI answers, a quarter of the waits. Everything else (transactions, server-side cursors,
the pool, errors) is the stock dialect's. ``db/engine.make_engine`` uses it for every ``sqlite+aiosqlite`` URL;
measured in ``bench/`` beside the stock dialect. Sessions on a SQLite file no longer go through it (they run on the
loop's thread, ``db/inline.py``): it serves migrations, in-memory databases and direct engine use.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

__all__ = ["DRIVER", "Dialect"]

DRIVER = "sauti_onehop"

_Meta = tuple[Any, int, int | None]  # description, rowcount, lastrowid


def _run(conn: sqlite3.Connection, operation: Any, parameters: Any, many: bool) -> tuple[_Meta, list[Any]]:
    """In the connection's thread: the whole of one statement."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return (description, cursor.rowcount, cursor.lastrowid), rows
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_meta", "_size")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:  # no cursor made in the thread
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._meta: _Meta = (None, -1, None)
        self._size = 1

    @property
    def description(self) -> Any:
        return self._meta[0]

    @property
    def rowcount(self) -> int:
        return self._meta[1]

    @property
    def lastrowid(self) -> int:
        return self._meta[2]  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._size

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._size = value

    async def _async_soft_close(self) -> None:
        return None  # nothing open in the thread: the rows are here already

    async def _one(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            connection: Any = self._connection
            self._meta, rows = await connection._execute(_run, connection._conn, operation, parameters, many)
            self._rows = collections.deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._one(operation, parameters, False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        try:
            return await_(self._one(operation, seq_of_parameters, True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        stock = super().connect(*arg, **kw)
        return OneHopConnection(self, stock._connection)


class Dialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        return OneHopDBAPI(__import__("aiosqlite"), __import__("sqlite3"))

    def do_savepoint(self, connection: Connection, name: str) -> None:
        adapted = connection.connection.dbapi_connection
        assert isinstance(adapted, OneHopConnection)
        if not adapted._connection.in_transaction:
            # as ``inline.WriteDialect``: a SAVEPOINT that began the transaction would be committed by its RELEASE
            cursor = adapted.cursor()
            try:
                cursor.execute("BEGIN")
            finally:
                cursor.close()
        super().do_savepoint(connection, name)
