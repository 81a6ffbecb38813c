"""Writing many rows at once, at the speed of the database.

On PostgreSQL the rows go in with ``COPY`` (asyncpg's binary copy, inside the session's own transaction), or as
one prepared INSERT when they are few; on SQLite with one ``executemany`` on the driver (a large one in a thread,
so the loop goes on meanwhile: ``db/inline.py``). Either way no ORM object is made for any row, and values are
converted by the columns' own bind processors, once per distinct value object where rows share one (a
broadcast's 100,000 messages share their timestamps and content): SQLAlchemy's own executemany processed every
parameter of every row again, which cost more than the insert itself. Values are given as the columns' Python
types (aware datetimes are stored as naive UTC, JSON columns take any JSON value).

One ORM row can be written the same way, without a flush (:func:`insert_object`, :func:`update_object`): a hot
path that writes one row or one column pays for the statement, not for the unit of work's machinery.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import JSON, DateTime, Table, bindparam, insert, inspect, update
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from sauti.db import direct, jsontext, versioning
from sauti.db.base import UTCDateTime, built_once

Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class _Plan:
    """How rows with these keys go into a table on one dialect, worked out once (per process, table, dialect
    and set of keys): the columns written (the keys given, then the Python-side defaults the rows leave out),
    each column's value converter, and the INSERT's text. A flow's reply or timer is one row: making
    the columns' bind processors again for every such row cost more than converting its values."""

    columns: tuple[str, ...]
    defaults: Mapping[str, Any]
    convert: tuple[Convert | None, ...]  # None: the value goes as it is
    sql: str  # the INSERT text, in the driver's own parameter style
    copy: bool  # PostgreSQL: many rows go with COPY
    head: str  # the INSERT text up to its VALUES' rows (PostgreSQL: a statement of several, :class:`Writes`)


# PostgreSQL: up to this many rows go as one prepared INSERT (one round trip, where COPY takes two and reads the
# table's column types first): a flow's reply, its timer
_FEW = 8

_PLANS: WeakKeyDictionary[Dialect, dict[tuple[Table, tuple[str, ...]], _Plan]] = WeakKeyDictionary()


def _plan(dialect: Dialect, table: Table, given: tuple[str, ...]) -> _Plan:
    by_key = _PLANS.get(dialect)
    if by_key is None:
        by_key = _PLANS[dialect] = {}
    plan = by_key.get((table, given))
    if plan is None:
        defaults = {
            c.name: c.default
            for c in table.columns
            if c.name not in given and c.default is not None and (c.default.is_scalar or c.default.is_callable)
        }
        columns = (*given, *defaults)
        copy = dialect.name == "postgresql"
        if copy:
            convert = tuple(_converter(table, name) for name in columns)
            marks = [f"${i}" for i in range(1, len(columns) + 1)]
        else:
            convert = tuple(_processor(table.c[name].type, dialect) for name in columns)
            marks = ["?"] * len(columns)
        quote = dialect.identifier_preparer
        names = ", ".join(quote.quote(name) for name in columns)
        head = f"INSERT INTO {quote.format_table(table)} ({names}) VALUES "
        sql = f"{head}({', '.join(marks)})"
        plan = by_key[(table, given)] = _Plan(columns, defaults, convert, sql, copy, head)
    return plan


def _records(plan: _Plan, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows' values in the plan's column order, converted. Where several rows share one value object (a
    broadcast's messages share their timestamps and content) it is converted once."""
    defaults = plan.defaults
    pairs = tuple(zip(plan.columns, plan.convert if len(rows) == 1 else map(_once, plan.convert), strict=True))
    out: list[tuple[Any, ...]] = []
    for row in rows:
        values: list[Any] = []
        for name, convert in pairs:
            value = row[name] if name in row else _default(defaults[name])
            values.append(value if convert is None else convert(value))
        out.append(tuple(values))
    return out


def _once(convert: Convert | None) -> Convert | None:
    """``convert``, run once per distinct value object of one call (``None`` as its own value)."""
    if convert is None:
        return None
    seen: dict[int, tuple[Any, Any]] = {}

    def bind(value: Any) -> Any:
        if value is None:
            return convert(None)
        hit = seen.get(id(value))
        if hit is None or hit[0] is not value:  # holding the value keeps its id from being reused
            hit = seen[id(value)] = (value, convert(value))
        return hit[1]

    return bind


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys) into ``table`` in one statement."""
    if not rows:
        return
    connection = await session.connection()
    plan = _plan(connection.dialect, table, tuple(rows[0]))
    records = _records(plan, rows)
    pooled = await connection.get_raw_connection()
    raw = pooled.driver_connection
    assert raw is not None
    copy = plan.copy and len(records) > _FEW

    async def write() -> None:
        if copy:
            # COPY knows nothing of the models' Python-side defaults (the plan fills them in, as executemany would)
            await raw.copy_records_to_table(table.name, columns=list(plan.columns), records=records)
        else:
            await raw.executemany(plan.sql, records)

    adapted = getattr(pooled, "dbapi_connection", None)
    if isinstance(adapted, AsyncAdapt_asyncpg_connection):
        # in the session's transaction (begun first if this is its first statement) and under the adapter's lock
        sync = connection.sync_connection
        assert sync is not None
        await direct.on_driver(sync, adapted, plan.sql, (), write)
    else:
        await write()


def _processor(column_type: Any, dialect: Dialect) -> Convert | None:
    """The column's own bind processor for the dialect (SQLite's own JSON and DATETIME types)."""
    processor: Convert | None = column_type.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _default(default: Any) -> Any:
    return default.arg(None) if default.is_callable else default.arg


def _json_text(value: Any) -> str | None:
    return None if value is None else jsontext.fast_dumps(value)


def _converter(table: Table, name: str) -> Convert | None:
    column_type = table.c[name].type
    if isinstance(column_type, JSON):
        return _json_text
    if isinstance(column_type, UTCDateTime | DateTime):
        return _naive_utc
    return None


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


# ------------------------------------------------------------------------------ one ORM row, without a flush


@dataclass(frozen=True)
class _Mapped:
    """What writing one ORM row of a class takes, worked out once per class."""

    pk: str  # the primary key attribute (one column: every Sauti table's ``id``)
    columns: tuple[tuple[str, str, Any], ...]  # the others: attribute, column key, Python-side default or None
    insert: Any
    update: Any


_MAPPED: dict[type[Any], _Mapped] = {}


def _mapped(obj: Any) -> _Mapped:
    found = _MAPPED.get(type(obj))
    if found is None:
        mapper = inspect(obj).mapper
        table = mapper.local_table
        assert isinstance(table, Table) and len(mapper.primary_key) == 1
        pk = mapper.get_property_by_column(mapper.primary_key[0]).key
        columns = tuple(
            (prop.key, prop.columns[0].key, _usable(prop.columns[0].default))
            for prop in mapper.column_attrs
            if prop.key != pk
        )
        update_one = built_once(update(table).where(table.c[pk] == bindparam("_row_id")))
        found = _MAPPED[type(obj)] = _Mapped(pk, columns, built_once(insert(table)), update_one)
    return found


def _usable(default: Any) -> Any:
    return default if default is not None and (default.is_scalar or default.is_callable) else None


async def insert_object(session: AsyncSession, obj: Any) -> None:
    """Write a new ORM object (transient: never added to the session) with one Core INSERT on the session's
    connection, then attach it to the session as the persistent row it now is, as a flush would have left it
    (columns it does not set take their Python-side defaults, also on the object). A flush of one row costs the
    unit of work's whole machinery; this costs the statement. Only for tables the assets version does not track
    (``db/versioning.py`` moves it from the flush)."""
    state = inspect(obj)
    assert state.transient and type(obj) not in versioning.TRACKED
    mapped = _mapped(obj)
    given = state.dict
    values: dict[str, Any] = {}
    for key, column, default in mapped.columns:
        if key in given:
            value = given[key]
        else:
            value = None if default is None else _default(default)
            setattr(obj, key, value)
        values[column] = value
    connection = await session.connection()
    inserted = (await connection.execute(mapped.insert, values)).inserted_primary_key
    assert inserted is not None
    setattr(obj, mapped.pk, inserted[0])
    make_transient_to_detached(obj)  # every column is set: nothing is expired
    session.add(obj)


async def update_object(session: AsyncSession, obj: Any, values: Mapping[str, Any]) -> None:
    """Write these columns (by attribute name, the columns' own) of a persistent ORM object with one Core UPDATE
    on the session's connection (by its primary key), and give the object the same values as committed ones:
    nothing is left for a flush to write (the unit of work's machinery costs more than the statement). Only for
    tables the assets version does not track, or columns whose change does not move it (``db/versioning.py``
    moves it from the flush)."""
    assert inspect(obj).persistent
    ignored = versioning.TRACKED.get(type(obj))
    assert ignored is None or set(values) <= ignored
    mapped = _mapped(obj)
    connection = await session.connection()
    await connection.execute(mapped.update, {"_row_id": getattr(obj, mapped.pk), **values})
    for key, value in values.items():
        set_committed_value(obj, key, value)


# ------------------------------------------------------------------------------ several writes, one statement


@dataclass(frozen=True)
class _Write:
    """One write a :class:`Writes` holds: a built-once statement with its parameters as its caller gave them
    (one row, or a list of rows), or rows to insert into a table; ``then``: what the caller's ORM rows are told
    once it is written (:meth:`Writes.update_object`)."""

    statement: Any
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    table: Table | None = None
    then: Callable[[], None] | None = None

    def rows(self) -> Sequence[Mapping[str, Any]]:
        return [self.params] if isinstance(self.params, Mapping) else self.params

    async def alone(self, session: AsyncSession) -> None:
        """Written as its caller would have written it without a :class:`Writes`."""
        if self.table is not None:
            await insert_rows(session, self.table, self.rows())
        else:
            await (await session.connection()).execute(self.statement, self.params)


# PostgreSQL: at most this many statements go as the parts of one (each row of a built-once UPDATE is one; the rows
# of an INSERT one, when they are few enough for one prepared INSERT): beyond it each goes as it would alone
_PARTS = 16
_MARK = re.compile(r"\$(\d+)")
_COMBINED: dict[tuple[int, ...], tuple[str, tuple[Any, ...]]] = {}
_COMBINED_MAX = 256  # distinct shapes kept (a few per flow in use)


class Writes:
    """Writes of one unit of work whose results nobody reads (no row count, no new key), gathered and written
    by :meth:`send`, in the order they were added. On PostgreSQL, when they are few, they go as one statement:
    each a data-modifying ``WITH`` part of it, the last its main statement, so one round trip and one
    statement's overhead where each was one (about a quarter of an inbound message's client CPU went to
    sending statements). Elsewhere, or when they are many, each goes as it would have alone (SQLite's cost per
    statement is microseconds).

    PostgreSQL runs the parts of one statement on one snapshot: no part sees the rows another writes, and no
    two parts may write the same row. A caller adds only writes of distinct rows none of which needs an earlier
    one's rows (as the flow runtime's: a session's timers retired and its new ones inserted, its run and its
    row updated, its reply inserted); their order then makes no difference to what is written. Every write of
    the statement commits or fails with it, as the statements would in one transaction."""

    __slots__ = ("_writes",)

    def __init__(self) -> None:
        self._writes: list[_Write] = []

    def execute(self, statement: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> None:
        """A built-once INSERT or UPDATE (``db.base.built_once``) with one row of parameters or a list of rows,
        as ``connection.execute`` takes them."""
        self._writes.append(_Write(statement, params))

    def insert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """:func:`insert_rows` of these rows (none: nothing)."""
        if rows:
            self._writes.append(_Write(None, rows, table))

    def update_object(self, obj: Any, values: Mapping[str, Any]) -> None:
        """:func:`update_object`: the object is told the values as committed ones once they are written."""
        assert inspect(obj).persistent
        ignored = versioning.TRACKED.get(type(obj))
        assert ignored is None or set(values) <= ignored
        mapped = _mapped(obj)

        def told() -> None:
            for key, value in values.items():
                set_committed_value(obj, key, value)

        self._writes.append(_Write(mapped.update, {"_row_id": getattr(obj, mapped.pk), **values}, then=told))

    async def send(self, session: AsyncSession) -> None:
        """Write what was added (then nothing is held)."""
        writes, self._writes = self._writes, []
        if not writes:
            return
        connection = await session.connection()
        sync = connection.sync_connection
        assert sync is not None
        adapted = sync.connection.dbapi_connection
        combined = _combine(sync.dialect, writes) if isinstance(adapted, AsyncAdapt_asyncpg_connection) else None
        if combined is None:
            for write in writes:
                await write.alone(session)
        else:
            assert isinstance(adapted, AsyncAdapt_asyncpg_connection)
            await direct.send(sync, adapted, *combined)
        for write in writes:
            if write.then is not None:
                write.then()


def _combine(dialect: Dialect, writes: Sequence[_Write]) -> tuple[str, list[Any]] | None:
    """The one PostgreSQL statement of ``writes`` and its parameters, or ``None`` when they go one by one (a
    single statement, more than ``_PARTS``, many rows to insert, or a statement only SQLAlchemy runs)."""
    parts: list[tuple[Any, int]] = []  # each part's plan (direct.Plan or _Plan), with its rows for an INSERT
    args: list[Any] = []
    for write in writes:
        rows = write.rows()
        if write.table is not None:
            if len(rows) > _FEW:
                return None
            plan = _plan(dialect, write.table, tuple(rows[0]))
            parts.append((plan, len(rows)))
            for record in _records(plan, rows):
                args.extend(record)
            continue
        for row in rows:
            found = direct.plan(write.statement, tuple(row), dialect)
            if found is None or found.is_insert:
                return None
            parts.append((found, 0))
            args.extend(found.record(row))
        if len(parts) > _PARTS:
            return None
    if len(parts) < 2:
        return None
    shape = tuple(n for plan, rows in parts for n in (id(plan), rows))
    known = _COMBINED.get(shape)
    if known is None or any(a is not b for a, (b, _) in zip(known[1], parts, strict=True)):
        sql = _combined_sql(parts)
        if len(_COMBINED) < _COMBINED_MAX:
            _COMBINED[shape] = (sql, tuple(plan for plan, _ in parts))
    else:
        sql = known[0]
    return sql, args


def _combined_sql(parts: Sequence[tuple[Any, int]]) -> str:
    texts: list[str] = []
    at = 0  # parameters numbered so far
    for plan, rows in parts:
        if isinstance(plan, _Plan):
            width = len(plan.columns)
            values = (
                "(" + ", ".join(f"${at + row * width + i}" for i in range(1, width + 1)) + ")" for row in range(rows)
            )
            texts.append(plan.head + ", ".join(values))
            at += rows * width
        else:
            texts.append(_renumbered(plan.sql, at))
            at += len(plan.convert)
    *first, last = texts
    return "WITH " + ", ".join(f"w{i} AS ({text})" for i, text in enumerate(first, 1)) + " " + last


def _renumbered(sql: str, offset: int) -> str:
    """A statement's text with its parameters ``$1``... numbered from ``offset + 1`` (its text holds no literal:
    every value is a parameter)."""
    return _MARK.sub(lambda m: f"${int(m.group(1)) + offset}", sql)
