"""Built-once statements (``db.base.built_once``: a module's constant INSERT or UPDATE of a table) run on the
driver, compiled once per dialect and set of parameter keys.

SQLAlchemy's execution of a statement whose compiled form it had cached still cost two to three times what
the statement did on SQLite, and on PostgreSQL its asyncio layer over asyncpg about three times what asyncpg
alone takes (an inbound message runs seven of them). :func:`plan` is the compiled form, the same for both
databases: the SQL, the bind names in order and the columns' own bind processors; the parameters it sends are
the ones SQLAlchemy would. Where it runs: ``db/inline.WriteConnection`` (SQLite write sessions, on
``sqlite3``) and :class:`DirectConnection` here (PostgreSQL, on asyncpg, in the adapter's own transaction).
Either way the engine's ``before_cursor_execute`` listeners hear of each statement (statements are counted
that way) and the driver's errors arrive as SQLAlchemy's (``IntegrityError``...).

On PostgreSQL the savepoint statements go straight to asyncpg too (:class:`Dialect`), and a session hands
back its connection without asking SQLAlchemy again while its transaction stands (:class:`DirectSession`).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Insert, Table, Update
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection, PGDialect_asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import SessionTransaction
from sqlalchemy.util.concurrency import await_

from sauti.db.base import BUILT_ONCE


@dataclass(frozen=True)
class Plan:
    """A built-once statement compiled for one dialect and set of parameter keys: its SQL, bind names in order
    and the binds' converters (the columns' own bind processors)."""

    statement: Any  # held: the cache is keyed by its id
    compiled: Any
    sql: str
    convert: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    is_insert: bool
    # an INSERT that hands back the new row's primary key itself (PostgreSQL's RETURNING id; SQLite's driver
    # tells the last row id instead)
    returns_key: bool

    def record(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """The driver's parameters for one row of values, as SQLAlchemy would send them."""
        values = self.compiled.construct_params(row)
        return tuple(v if f is None else f(v) for v, f in ((values[n], f) for n, f in self.convert))


class Done:
    """What a built-once statement's caller reads of its result."""

    __slots__ = ("inserted_primary_key", "rowcount")

    def __init__(self, rowcount: int, key: Any | None) -> None:
        self.rowcount = rowcount
        self.inserted_primary_key = (key,) if key is not None else None


_PLANS: dict[tuple[int, tuple[str, ...], str], Plan | None] = {}
_PLANS_MAX = 512  # distinct (statement, keys, dialect) kept: built-once statements are few


def plan(statement: Any, keys: tuple[str, ...], dialect: Any) -> Plan | None:
    """The compiled form of a built-once statement for ``keys`` on ``dialect``, or ``None`` when it needs what
    only SQLAlchemy's execution does (RETURNING more than an INSERT's primary key, Python-side defaults or
    onupdate values, escaped or expanding binds, an ORM entity). Columns set by SQL expressions (``postfetch``:
    ``coalesce(?, column)``) need nothing more: only the ORM reads them back, and ORM statements never come here."""
    key = (id(statement), keys, dialect.name)
    if key in _PLANS:
        found = _PLANS[key]
        if found is None or found.statement is statement:
            return found
    found = None
    if (
        isinstance(statement, Insert | Update)
        and isinstance(statement.table, Table)
        and not statement._propagate_attrs  # an ORM statement (an entity, not a table) goes through the ORM
    ):
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        is_insert = isinstance(statement, Insert)
        returned = list(compiled.returning or ())
        returns_key = bool(returned) and is_insert and returned == list(statement.table.primary_key.columns)
        if not (
            (returned and not returns_key)
            or compiled.insert_prefetch
            or compiled.update_prefetch
            or compiled.escaped_bind_names
            or compiled.literal_execute_params
            or compiled.post_compile_params
            or compiled.positiontup is None
        ):
            processors = compiled._bind_processors
            convert: list[tuple[str, Callable[[Any], Any] | None]] = []
            for name in compiled.positiontup:
                processor = processors.get(name)
                if processor is not None and not callable(processor):  # a tuple type's processors: not ours
                    break
                convert.append((name, processor))
            else:
                found = Plan(statement, compiled, compiled.string, tuple(convert), is_insert, returns_key)
    if len(_PLANS) < _PLANS_MAX:
        _PLANS[key] = found
    return found


def is_built_once(statement: Any, params: Any, kwargs: Mapping[str, Any]) -> bool:
    """Whether an ``execute(statement, params, **kwargs)`` is one a direct path may take."""
    return bool(params) and not kwargs and bool(statement.get_execution_options().get(BUILT_ONCE))


_COUNT = re.compile(r"(?:UPDATE|DELETE|INSERT \d+) (\d+)")


class DirectConnection(AsyncConnection):
    """A PostgreSQL session's connection (:class:`DirectSession`). A built-once INSERT or UPDATE of one row
    runs straight on asyncpg, prepared once per connection (asyncpg's statement cache), inside the transaction
    SQLAlchemy's adapter began (begun here when it had not yet, as the adapter does before a statement) and
    under the adapter's lock. Anything else, and a statement that needs more than that (see :func:`plan`), goes
    through SQLAlchemy, as do several rows at once (SQLAlchemy's executemany, unchanged)."""

    __slots__ = ()

    async def execute(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        if is_built_once(statement, parameters, kwargs):
            done = await self._direct(statement, parameters)
            if done is not None:
                return done
        return await super().execute(statement, parameters, **kwargs)

    async def _direct(self, statement: Any, params: Any) -> Done | None:
        if isinstance(params, Mapping):
            row = params
        elif isinstance(params, Sequence) and len(params) == 1:  # a list of one row: one execution, as SQLAlchemy's
            row = params[0]
        else:
            return None
        conn = self.sync_connection
        assert conn is not None
        adapted = conn.connection.dbapi_connection
        if not isinstance(adapted, AsyncAdapt_asyncpg_connection):
            return None
        found = plan(statement, tuple(row), conn.dialect)
        if found is None:
            return None
        sent = found.record(row)
        conn.dispatch.before_cursor_execute(conn, None, found.sql, sent, None, False)
        if found.returns_key:
            return Done(1, await _on_driver(conn, adapted, found.sql, sent, key=True))
        counted = _COUNT.match(await _on_driver(conn, adapted, found.sql, sent) or "")
        return Done(int(counted.group(1)) if counted else -1, None)


async def send(conn: Connection, adapted: AsyncAdapt_asyncpg_connection, sql: str, args: Sequence[Any]) -> None:
    """``sql`` (in asyncpg's parameter style, no result read) run on asyncpg as a built-once statement runs:
    listeners hear of it, in the adapter's transaction, under its lock, its errors SQLAlchemy's."""
    conn.dispatch.before_cursor_execute(conn, None, sql, args, None, False)
    await _on_driver(conn, adapted, sql, args)


async def _on_driver(
    conn: Connection, adapted: AsyncAdapt_asyncpg_connection, sql: str, args: Sequence[Any], *, key: bool = False
) -> Any:
    """``sql`` run on asyncpg (:func:`on_driver`): the status text, or with ``key`` the first column of the row
    it returns."""
    raw: Any = adapted._connection  # the asyncpg connection (SQLAlchemy types it as a protocol of its own)
    run = raw.fetchval if key else raw.execute
    return await on_driver(conn, adapted, sql, args, lambda: run(sql, *args))


async def on_driver(
    conn: Connection,
    adapted: AsyncAdapt_asyncpg_connection,
    sql: str,
    args: Sequence[Any],
    run: Callable[[], Awaitable[Any]],
    *,
    begin: bool = True,
) -> Any:
    """What ``run`` (a call of asyncpg for ``sql`` with ``args``) answers, run in the adapter's transaction (begun
    first when it has not been, as the adapter does before its first statement, unless ``begin`` is false) and
    under the adapter's lock.
    asyncpg's errors arrive as SQLAlchemy's."""
    try:
        async with adapted._execute_mutex:
            if begin and adapted._transaction is None:
                await cast(Any, adapted)._start_transaction()
            return await run()
    except Exception as error:
        try:
            adapted._handle_exception(error)  # the adapter's translation of asyncpg's errors
        except Exception as translated:
            raise DBAPIError.instance(sql, args, translated, conn.dialect.loaded_dbapi.Error) from error
        raise


DRIVER = "sauti_asyncpg"


class SavepointsOnDriver:
    """A dialect's three savepoint statements, sent by its own ``_savepoint_statement`` straight to the driver
    (the SQL SQLAlchemy would send; listeners hear of it there): :class:`Dialect` here, and SQLite's
    ``inline.WriteDialect``."""

    identifier_preparer: Any
    # how the dialect's driver runs one of them (each dialect defines it)
    _savepoint_statement: Callable[[Connection, str], None]

    def do_savepoint(self, connection: Connection, name: str) -> None:
        self._savepoint_statement(connection, f"SAVEPOINT {self.identifier_preparer.quote(name)}")

    def do_release_savepoint(self, connection: Connection, name: str) -> None:
        self._savepoint_statement(connection, f"RELEASE SAVEPOINT {self.identifier_preparer.quote(name)}")

    def do_rollback_to_savepoint(self, connection: Connection, name: str) -> None:
        self._savepoint_statement(connection, f"ROLLBACK TO SAVEPOINT {self.identifier_preparer.quote(name)}")


# the savepoints of each asyncpg connection's transaction as the server holds them, innermost last: each name, and
# whether SQLAlchemy released it already (its RELEASE left to the commit)
_SAVEPOINTS: weakref.WeakKeyDictionary[Any, list[list[Any]]] = weakref.WeakKeyDictionary()
# released savepoints one transaction leaves to its commit at most (a callback of several messages opens one for
# each): beyond them a release is sent, so the server's nesting stays shallow
_UNRELEASED = 4


class Dialect(SavepointsOnDriver, PGDialect_asyncpg):
    """SQLAlchemy's asyncpg dialect, whose savepoint statements go straight to asyncpg (``db/engine.make_engine``
    uses it for every ``postgresql+asyncpg`` URL). SQLAlchemy sent each through its whole execution, compiling
    it anew every time: a savepoint and its release cost about 400 us of CPU where asyncpg takes 30 (an
    inbound message offered to a flow opens one). Listeners hear of them as before; everything else is the
    stock dialect's.

    A savepoint's release is not sent (up to ``_UNRELEASED`` in a transaction): the commit that follows does
    what it would. On PostgreSQL a released savepoint's work becomes its parent's, and a savepoint left open
    is ended with whatever ends its parent: the transaction's commit keeps its work, a rollback (of the
    transaction, or to a savepoint opened before it) undoes it, as either would undo a released one's. Rolling
    back to a savepoint opened after it keeps it, as it would the parent's work. SQLAlchemy names no released
    savepoint again, so the server's nesting is never seen; one round trip is saved (a message a flow takes
    releases one)."""

    supports_statement_cache = True  # as the stock dialect's: its statements compile as before

    def _savepoint_statement(self, connection: Connection, sql: str) -> None:
        adapted = connection.connection.dbapi_connection
        assert isinstance(adapted, AsyncAdapt_asyncpg_connection)
        connection.dispatch.before_cursor_execute(connection, None, sql, (), None, False)
        await_(_on_driver(connection, adapted, sql, ()))

    def do_savepoint(self, connection: Connection, name: str) -> None:
        super().do_savepoint(connection, name)
        _SAVEPOINTS.setdefault(_raw(connection.connection), []).append([name, False])

    def do_release_savepoint(self, connection: Connection, name: str) -> None:
        held = _SAVEPOINTS.get(_raw(connection.connection), [])
        at = _innermost(held, name)
        if at is not None and sum(1 for _, released in held if released) < _UNRELEASED:
            held[at][1] = True  # the ones opened after it were released already: ended with it
            return
        super().do_release_savepoint(connection, name)
        if at is not None:
            del held[at:]  # the server released those opened after it too

    def do_rollback_to_savepoint(self, connection: Connection, name: str) -> None:
        super().do_rollback_to_savepoint(connection, name)
        held = _SAVEPOINTS.get(_raw(connection.connection), [])
        at = _innermost(held, name)
        if at is not None:
            del held[at + 1 :]  # undone by the server, released or not

    def do_commit(self, dbapi_connection: Any) -> None:
        try:
            super().do_commit(dbapi_connection)  # type: ignore[no-untyped-call]
        finally:
            _forget(dbapi_connection)

    def do_rollback(self, dbapi_connection: Any) -> None:
        try:
            super().do_rollback(dbapi_connection)  # type: ignore[no-untyped-call]
        finally:
            _forget(dbapi_connection)


def _innermost(held: Sequence[Sequence[Any]], name: str) -> int | None:
    """Where the innermost savepoint named ``name`` is in ``held`` (the one the server's statements name)."""
    return next((i for i in range(len(held) - 1, -1, -1) if held[i][0] == name), None)


def _raw(dbapi_connection: Any) -> Any:
    """The asyncpg connection under the pool's (or SQLAlchemy's adapter of it)."""
    adapted = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
    return getattr(adapted, "_connection", adapted)


def _forget(dbapi_connection: Any) -> None:
    """The transaction ended, and with it every savepoint."""
    _SAVEPOINTS.pop(_raw(dbapi_connection), None)


class DirectSession(AsyncSession):
    """SQLAlchemy's asyncio session whose connection is a :class:`DirectConnection` (PostgreSQL).

    ``connection()`` with no arguments hands back the connection it handed out last while the innermost
    transaction it came from (a savepoint's, or the root's) is still the session's innermost one, and active:
    the same connection SQLAlchemy would return, without a trip through a greenlet to ask for it (the hot path
    asks about ten times per inbound message). A new savepoint, or a transaction an error left inactive, is
    asked about as before: SQLAlchemy sends the SAVEPOINT then, or refuses. A flush with nothing to write
    returns at once (:meth:`flush`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: tuple[SessionTransaction, DirectConnection] | None = None

    async def connection(
        self, bind_arguments: Any = None, execution_options: Any = None, **kwargs: Any
    ) -> AsyncConnection:
        plain = bind_arguments is None and execution_options is None and not kwargs
        held = self._held
        if plain and held is not None:
            current = self._current()
            if current is held[0] and current.is_active:
                return held[1]
        base = await super().connection(bind_arguments, execution_options, **kwargs)
        if isinstance(base, DirectConnection):  # the proxy SQLAlchemy keeps for the connection, while it lives
            conn = base
        else:
            assert base.sync_connection is not None
            conn = DirectConnection(base.engine, base.sync_connection)
        if plain:
            current = self._current()
            self._held = (current, conn) if current is not None else None
        return conn

    async def flush(self, objects: Any = None) -> None:
        """As SQLAlchemy's: a session with nothing to write returns at once, as ``Session.flush`` itself does
        then (no statement, no event), without the trip through a greenlet to be told so (an inbound message
        asks three times)."""
        sync = self.sync_session
        if objects is None and not sync._flushing and sync._is_clean():
            return
        await super().flush(objects)

    def _current(self) -> SessionTransaction | None:
        """The innermost transaction: the savepoint's while one is open (its SAVEPOINT is sent when its
        connection is first asked for), else the root's."""
        sync = self.sync_session
        return sync.get_nested_transaction() or sync.get_transaction()
