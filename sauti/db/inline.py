"""SQLite sessions that run their statements on the event loop's own thread, through a synchronous session.

A small API read costs the database a few microseconds; through SQLAlchemy's asyncio layer over aiosqlite it
cost far more: every call hops to aiosqlite's thread and back, and every statement switches greenlets several
times. So on a SQLite file every session runs its statements right where it is, on a synchronous
:class:`~sqlalchemy.orm.Session`, behind the slice of :class:`~sqlalchemy.ext.asyncio.AsyncSession` that the
domain uses (``execute``, ``get``, ``scalar``, ``flush``, ``begin_nested``...). Each method runs at once.

Reads (:class:`ReadSession`, for GET and HEAD) go over read-only connections (``query_only``, so a write sent
down this path fails at once): in WAL mode a read never waits for a writer.

Writes (:class:`WriteSession`) need SQLite's one write lock, and waiting for it on the loop's thread would stop
the loop, which is also what the lock's holder needs to finish. So a process never lets two of its own write
transactions on one database file overlap: a :class:`Gate` per file and event loop admits one at a time, in the
order they asked (an ``asyncio.Lock``, so the others wait without stopping the loop). A session passes the gate
at its first statement that may write (DML, a flush with changes, a savepoint, raw connection access), and
leaves it when its transaction ends (commit, rollback, close); nothing here suspends, so a commit then lets the
loop's other tasks run before the writer goes on. Reads before that need no turn: as with the
standard driver, a transaction begins only at the first write. Another process's writer is waited for by
SQLite's busy timeout, on the loop's thread (short in practice: a transaction here holds the lock for the
milliseconds of its statements); deployments with many processes use PostgreSQL.

A write session's INSERTs and UPDATEs marked as built once (``db.base.built_once``: a module's constant) skip
SQLAlchemy's execution and run on the driver, compiled once (:class:`WriteConnection`).

Measured in ``bench/flows.py`` (inbound messages through a flow) against the asyncio layer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

from sqlalchemy import Connection, Engine, TextClause, create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.pool import QueuePool

from sauti.db import direct, jsontext

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


WRITE_BUSY_TIMEOUT_S = 30


def connect_for_writes(path: str) -> sqlite3.Connection:
    """One connection to the database file at ``path`` for :class:`WriteSession` (the standard driver's
    transactions: they begin at the first write)."""
    conn = sqlite3.connect(path, check_same_thread=False, timeout=WRITE_BUSY_TIMEOUT_S)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={WRITE_BUSY_TIMEOUT_S * 1000}")
    return conn


class WriteDialect(direct.SavepointsOnDriver, SQLiteDialect_pysqlite):
    """SQLAlchemy's pysqlite dialect, whose savepoint statements go straight to ``sqlite3``: SQLAlchemy sent each
    through its whole execution, compiling it anew every time (an inbound message offered to a flow opens one
    savepoint and releases it: the two were about 4% of the message's time in a profile of ``bench.flows``). The
    SQL is the one SQLAlchemy sends, listeners hear of it as before, and ``sqlite3``'s errors arrive as
    SQLAlchemy's. Everything else is the stock dialect's (``db/direct.Dialect`` does the same on PostgreSQL)."""

    supports_statement_cache = True  # as the stock dialect's: its statements compile as before

    def do_savepoint(self, connection: Connection, name: str) -> None:
        raw = connection.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        if not raw.in_transaction:
            # sqlite3 begins a transaction itself before a write, never before a savepoint: a SAVEPOINT sent first
            # would begin one in SQLite, and its RELEASE would commit it, out of the session's reach
            raw.execute("BEGIN")
        super().do_savepoint(connection, name)

    def _savepoint_statement(self, connection: Connection, sql: str) -> None:
        raw = connection.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        cursor = raw.cursor()
        try:
            connection.dispatch.before_cursor_execute(connection, cursor, sql, (), None, False)
            cursor.execute(sql)
        except sqlite3.Error as error:
            raise DBAPIError.instance(sql, (), error, sqlite3.Error) from error
        finally:
            cursor.close()


WRITE_DRIVER = "sauti_pysqlite"
registry.register(f"sqlite.{WRITE_DRIVER}", "sauti.db.inline", "WriteDialect")


def make_write_engine(path: str) -> Engine:
    """A synchronous engine for :class:`WriteSession` over ``path``. The pool never makes a session wait for a
    connection: that wait would stop the loop (sessions waiting at the gate hold theirs)."""
    return create_engine(
        f"sqlite+{WRITE_DRIVER}://",
        creator=lambda: connect_for_writes(path),
        poolclass=QueuePool,
        pool_size=10,
        max_overflow=-1,
        json_serializer=jsontext.dumps,
    )


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

    @property
    def info(self) -> dict[Any, Any]:
        return self.sync_session.info

    @property
    def no_autoflush(self) -> Any:
        return self.sync_session.no_autoflush

    def in_transaction(self) -> bool:
        return self.sync_session.in_transaction()

    def add(self, instance: Any) -> None:
        self.sync_session.add(instance)

    def expunge(self, instance: Any) -> None:
        self.sync_session.expunge(instance)

    def expire(self, instance: Any, attribute_names: Sequence[str] | None = None) -> None:
        self.sync_session.expire(instance, attribute_names)

    def __contains__(self, instance: object) -> bool:
        return instance in self.sync_session

    @property
    def new(self) -> Any:
        return self.sync_session.new

    @property
    def dirty(self) -> Any:
        return self.sync_session.dirty

    @property
    def deleted(self) -> Any:
        return self.sync_session.deleted

    @property
    def identity_map(self) -> Any:
        return self.sync_session.identity_map


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


class _Turn:
    """Whose turn it is to write, on one event loop."""

    __slots__ = ("holder", "lock")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.holder: asyncio.Task[Any] | None = None


class Gate:
    """Admits one write transaction at a time to one database file, per event loop (see the module's text)."""

    def __init__(self) -> None:
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turn] = weakref.WeakKeyDictionary()

    def _turn(self) -> _Turn:
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = _Turn()
        return turn

    async def enter(self) -> _Turn:
        turn = self._turn()
        task = asyncio.current_task()
        if task is not None and turn.holder is task:
            # this task's other session holds the turn until its transaction ends: waiting here would be forever
            raise RuntimeError("a second write transaction on one SQLite database in one task; end the first")
        await turn.lock.acquire()
        turn.holder = task
        return turn


_GATES: dict[str, Gate] = {}


def gate_for(path: str) -> Gate:
    """The one gate of the database file at ``path`` in this process (every session factory over it shares it)."""
    gate = _GATES.get(path)
    if gate is None:
        gate = _GATES[path] = Gate()
    return gate


def _may_write(statement: Any) -> bool:
    if getattr(statement, "is_select", False):
        return False
    if isinstance(statement, TextClause | str):
        text = statement.text if isinstance(statement, TextClause) else statement
        return text.lstrip()[:7].upper() not in ("SELECT ", "SELECT\n", "EXPLAIN")
    return True


class WriteSession(ReadSession):
    """An :class:`~sqlalchemy.ext.asyncio.AsyncSession` look-alike for a SQLite file that runs each call at once
    and takes its turn at the :class:`Gate` before its first write."""

    def __init__(self, session: Session, gate: Gate) -> None:
        super().__init__(session)
        self._gate = gate
        self._turn: _Turn | None = None

    async def _enter(self) -> None:
        if self._turn is None:
            self._turn = await self._gate.enter()

    def _leave(self) -> bool:
        turn, self._turn = self._turn, None
        if turn is None:
            return False
        turn.holder = None
        turn.lock.release()
        return True

    def _pending(self) -> bool:
        s = self.sync_session
        return bool(s.new or s.dirty or s.deleted)

    async def __aexit__(self, *exc: object) -> None:
        try:
            self.sync_session.close()
        finally:
            self._leave()

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        if _may_write(statement):
            await self._enter()
        return self.sync_session.execute(statement, params, **kwargs)

    async def scalar(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        if _may_write(statement):
            await self._enter()
        return self.sync_session.scalar(statement, params, **kwargs)

    async def scalars(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        if _may_write(statement):
            await self._enter()
        return self.sync_session.scalars(statement, params, **kwargs)

    async def run_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        await self._enter()
        return fn(self.sync_session, *args, **kwargs)

    async def flush(self) -> None:
        if self._pending():
            await self._enter()
            self.sync_session.flush()

    async def commit(self) -> None:
        if self._turn is None and self._pending():
            await self._enter()
        self.sync_session.commit()
        if not self.sync_session.in_transaction() and self._leave():
            # nothing here waits, so a task writing transaction after transaction would keep the loop to itself
            # (a broadcast's expansion, say): after each, the other tasks get their turn
            await asyncio.sleep(0)

    async def rollback(self) -> None:
        try:
            self.sync_session.rollback()
        finally:
            self._leave()

    async def close(self) -> None:
        try:
            self.sync_session.close()
        finally:
            self._leave()

    async def delete(self, instance: Any) -> None:
        self.sync_session.delete(instance)

    def add_all(self, instances: Any) -> None:
        self.sync_session.add_all(instances)

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[SessionTransaction]:
        await self._enter()
        with self.sync_session.begin_nested() as nested:
            yield nested

    async def connection(self) -> WriteConnection:
        await self._enter()
        return WriteConnection(self.sync_session.connection())


# rows from which an executemany runs in a thread: SQLite releases the interpreter while it writes, so the loop
# goes on meanwhile (a broadcast's batch of thousands of messages); fewer are written at once, the hop costing more
THREAD_FROM_ROWS = 500


class _Driver:
    """The raw SQLite connection, with the awaitable ``executemany`` that bulk writes call on aiosqlite's."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def executemany(self, sql: str, records: Any) -> None:
        if len(records) >= THREAD_FROM_ROWS:  # the session waits for it: nothing else uses this connection
            await asyncio.to_thread(self._conn.executemany, sql, records)
        else:
            self._conn.executemany(sql, records)


class _Raw:
    def __init__(self, driver: _Driver) -> None:
        self.driver_connection = driver


class WriteConnection(ReadConnection):
    """A write session's connection. A built-once INSERT or UPDATE (``sauti.db.base.built_once``) runs straight
    on the driver's connection, in the session's transaction, compiled once (``db/direct.plan``: its
    parameters converted by the columns' own bind processors, as SQLAlchemy would); the engine's
    ``before_cursor_execute`` listeners hear of it as of any statement (statements are counted that way), and
    the driver's errors arrive as SQLAlchemy's (``IntegrityError``...). Anything else, and a statement that
    needs more than that, goes through SQLAlchemy."""

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        if direct.is_built_once(statement, params, kwargs):
            done = self._direct(statement, params)
            if done is not None:
                return done
        return self.sync_connection.execute(statement, params, **kwargs)

    def _direct(self, statement: Any, params: Any) -> direct.Done | None:
        many = not isinstance(params, Mapping)
        rows: Sequence[Mapping[str, Any]] = params if many else (params,)
        keys = tuple(rows[0])
        if many and any(tuple(row) != keys for row in rows):
            return None
        conn = self.sync_connection
        found = direct.plan(statement, keys, conn.dialect)
        if found is None or found.returns_key:  # the driver tells the last row id: no RETURNING here
            return None
        records = [found.record(row) for row in rows]
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        cursor = raw.cursor()
        sent: Any = records if many else records[0]
        try:
            conn.dispatch.before_cursor_execute(conn, cursor, found.sql, sent, None, many)
            if many:
                cursor.executemany(found.sql, sent)
            else:
                cursor.execute(found.sql, sent)
            return direct.Done(cursor.rowcount, cursor.lastrowid if found.is_insert and not many else None)
        except sqlite3.Error as error:
            raise DBAPIError.instance(found.sql, sent, error, sqlite3.Error) from error
        finally:
            cursor.close()

    async def get_raw_connection(self) -> _Raw:
        raw = self.sync_connection.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        return _Raw(_Driver(raw))


class WriteSessions:
    """Makes :class:`WriteSession` objects over the database file at ``path``, as an ``async_sessionmaker``
    makes sessions; :meth:`dispose` closes the connections."""

    def __init__(self, path: str) -> None:
        self.engine = make_write_engine(path)
        self._gate = gate_for(path)
        self._factory = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    def __call__(self) -> AsyncSession:
        return cast(AsyncSession, WriteSession(self._factory(), self._gate))

    def dispose(self) -> None:
        self.engine.dispose()

    def follow(self, engine: Engine) -> None:
        """Dispose of these connections when ``engine`` (the async engine's) is disposed of."""
        event.listen(engine, "engine_disposed", lambda _engine: self.dispose())
