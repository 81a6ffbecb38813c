"""Selects of plain columns run straight on SQLite's driver, with SQLAlchemy's compiled form and type processing.

A select built for one request (a page's filters, a page's contacts by id) is a new statement object each time.
SQLAlchemy finds its compiled form in its cache by the statement's cache key, but then adapts the cached result
metadata to the new object's columns, and that adaptation builds a comparison per column: measured on this
project's machine, a four-column select of one contact's URNs cost 128 us through ``Connection.execute`` against
2.5 us for the same SQL on sqlite3, and 100 us of the difference was that adaptation.

:func:`run` keeps everything that defines the statement's meaning with SQLAlchemy: the compiled SQL (from the
engine's own compiled cache), the bound values (``construct_params``, with expanding ``IN`` lists rendered as
SQLAlchemy renders them) and each column's bind and result processors. What it leaves out is the execution
context and the result object: the rows come back as named tuples (attribute access by the same keys
SQLAlchemy's rows have, index access, unpacking). The engine's ``before_cursor_execute`` listeners hear of each
statement, and the driver's errors arrive as SQLAlchemy's. A statement this path cannot serve faithfully (DML,
text, a schema translation, result columns without unique plain names) returns ``None`` and the caller runs it
through SQLAlchemy.
"""

from __future__ import annotations

import keyword
import sqlite3
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import CompoundSelect, Connection, Select
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import compiler

from sauti.db import direct

Processor = Callable[[Any], Any] | None


class Rows:
    """The rows of one select, read the ways the project reads a result: iterated, ``all()``, ``first()``,
    ``scalar()`` and ``scalars()``."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        return self._rows

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> Rows:
        return Rows([row[0] for row in self._rows])


class _Shape:
    """What one compiled select's rows need: their type, and each column's result processor for the types the
    driver says it returns (PostgreSQL's type of a numeric column decides its processor; SQLite's driver says
    nothing)."""

    __slots__ = ("_by_types", "columns", "row")

    def __init__(self, row: Callable[..., Any], columns: Sequence[Any]) -> None:
        self.row = row
        self.columns = columns
        self._by_types: dict[tuple[Any, ...] | None, tuple[Processor, ...] | None] = {}

    def processors(self, dialect: Any, types: tuple[Any, ...] | None) -> tuple[Processor, ...] | None:
        """Each column's processor (``None`` for none at all)."""
        if types in self._by_types:
            return self._by_types[types]
        each = types or (None,) * len(self.columns)
        found = tuple(c.type._cached_result_processor(dialect, t) for c, t in zip(self.columns, each, strict=True))
        kept = found if any(p is not None for p in found) else None
        self._by_types[types] = kept
        return kept


# per compiled form (weakly: SQLAlchemy's cache may drop one and compile again); None: not for this path
_SHAPES: weakref.WeakKeyDictionary[Any, _Shape | None] = weakref.WeakKeyDictionary()


def _shape(compiled: Any) -> _Shape | None:
    if compiled in _SHAPES:
        return _SHAPES[compiled]
    found = None
    columns = compiled._result_columns
    keys = [c.keyname for c in columns]
    if (
        columns
        and not (compiled._textual_ordered_columns or compiled._ad_hoc_textual or compiled._loose_column_name_matching)
        and len(set(keys)) == len(keys)
        and all(isinstance(k, str) and k.isidentifier() and not keyword.iskeyword(k) and k[0] != "_" for k in keys)
    ):
        row = namedtuple("Row", keys)  # type: ignore[misc]  # its fields are the select's keys
        found = _Shape(row._make, columns)
    _SHAPES[compiled] = found
    return found


def _prepare(connection: Connection, statement: Any, params: Mapping[str, Any] | None) -> _Call | None:
    """What to send the driver for ``statement``, as SQLAlchemy would send it, or ``None``."""
    if (
        not isinstance(statement, Select | CompoundSelect)
        or connection._execution_options
        or statement._execution_options
    ):
        return None
    dialect = connection.dialect
    keys = sorted(params) if params else []
    found, extracted, collected, _hit = statement._compile_w_cache(
        dialect,
        compiled_cache=connection.engine._compiled_cache,
        column_keys=keys,
        linting=dialect.compiler_linting | compiler.WARN_LINTING,
    )
    compiled: Any = found  # an SQLCompiler: the attributes read below are its own
    if compiled.schema_translate_map or not compiled.positional or compiled.escaped_bind_names:
        return None
    shape = _shape(compiled)
    if shape is None:
        return None
    values = compiled.construct_params(
        params, escape_names=False, extracted_parameters=extracted, _collected_params=collected
    )
    sql: str = compiled.string
    processors: Mapping[str, Any] = compiled._bind_processors
    order: Sequence[str] = compiled.positiontup
    if compiled.literal_execute_params or compiled.post_compile_params:
        expanded = compiled._process_parameters_for_postcompile(values)
        sql = expanded.statement
        processors = {**processors, **expanded.processors}
        order = expanded.positiontup
        values = expanded.parameters
    if not all(callable(p) for p in processors.values()):  # a tuple type's processors: SQLAlchemy's to apply
        return None
    sent = tuple(processors[k](values[k]) if k in processors else values[k] for k in order)
    return _Call(sql, sent, shape, dialect)


class _Call(NamedTuple):
    sql: str
    sent: tuple[Any, ...]
    shape: _Shape
    dialect: Any

    def rows(self, fetched: Sequence[Any], types: tuple[Any, ...] | None = None) -> Rows:
        """The driver's rows as the select's rows; ``types``: the driver's type of each column, if it says."""
        make = self.shape.row
        procs = self.shape.processors(self.dialect, types)
        if procs is None:
            return Rows([make(r) for r in fetched])
        # a NULL stays None: every processor of the project's types maps None to None (SQLAlchemy's, UTCDateTime)
        return Rows(
            [make([v if p is None or v is None else p(v) for v, p in zip(r, procs, strict=True)]) for r in fetched]
        )


def run(connection: Connection, statement: Any, params: Mapping[str, Any] | None = None) -> Rows | None:
    """The rows of ``statement`` (a select) on ``connection`` (a synchronous SQLite connection), or ``None``
    when it must go through SQLAlchemy."""
    call = _prepare(connection, statement, params)
    if call is None:
        return None
    raw = connection.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    cursor = raw.cursor()
    try:
        if connection._has_events or connection.engine._has_events:
            connection.dispatch.before_cursor_execute(connection, cursor, call.sql, call.sent, None, False)
        cursor.execute(call.sql, call.sent)
        fetched = cursor.fetchall()
    except sqlite3.Error as error:
        raise DBAPIError.instance(call.sql, call.sent, error, sqlite3.Error) from error
    finally:
        cursor.close()
    return call.rows(fetched)


async def run_async(
    connection: AsyncConnection, statement: Any, params: Mapping[str, Any] | None = None, *, begin: bool = True
) -> Rows | None:
    """The rows of ``statement`` (a select) on ``connection`` (PostgreSQL's asyncio connection, over asyncpg),
    or ``None`` when it must go through SQLAlchemy: the adapter's own prepared statement, run as built-once
    writes are (``db.direct.on_driver``: in the adapter's transaction, under its lock). Without ``begin``, a
    session that has not begun a transaction yet does not begin one for it (``plain.reading``: under READ
    COMMITTED, the adapter's default, a statement alone sees what it would see inside one)."""
    sync = connection.sync_connection
    assert sync is not None
    adapted = sync.connection.dbapi_connection
    if not isinstance(adapted, AsyncAdapt_asyncpg_connection):
        return None
    call = _prepare(sync, statement, params)
    if call is None:
        return None
    if sync._has_events or sync.engine._has_events:
        sync.dispatch.before_cursor_execute(sync, None, call.sql, call.sent, None, False)

    async def fetch() -> tuple[Any, Any]:
        # the adapter's own prepared statement (kept per connection), as its cursor would run it
        prepared, attributes = await adapted._prepare(call.sql, sync.dialect._invalidate_schema_cache_asof)
        return await prepared.fetch(*call.sent), attributes

    # the adapter's level, or (None) the server's default, which the dialect read when it first connected
    level = adapted.isolation_level or str(sync.dialect.default_isolation_level or "").lower().replace(" ", "_")
    begin = begin or level != "read_committed"
    fetched, attributes = await direct.on_driver(sync, adapted, call.sql, call.sent, fetch, begin=begin)
    return call.rows(fetched, tuple(a.type.oid for a in attributes))
