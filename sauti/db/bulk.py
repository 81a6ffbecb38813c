"""Writing many rows at once, at the speed of the database.

On PostgreSQL the rows go in with ``COPY`` (asyncpg's binary copy, inside the session's own transaction); on
SQLite with one ``executemany`` on the driver (in aiosqlite's thread, so the loop goes on meanwhile). Either way
no ORM object is made for any row, and values are converted by the columns' own bind processors, once per
distinct value object where rows share one (a broadcast's 100,000 messages share their timestamps and
content): SQLAlchemy's own executemany processed every parameter of every row again, which cost more than the
insert itself. Values are given as the columns' Python types (aware datetimes are stored as naive UTC, JSON
columns take any JSON value).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from sauti.db import jsontext
from sauti.db.base import UTCDateTime


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys) into ``table`` in one statement."""
    if not rows:
        return
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        await _executemany(connection, table, rows)
        return
    given = list(rows[0])
    # COPY knows nothing of the models' Python-side defaults (the executemany above applies them): fill them in
    defaults = {
        c.name: c.default
        for c in table.columns
        if c.name not in given and c.default is not None and (c.default.is_scalar or c.default.is_callable)
    }
    columns = [*given, *defaults]
    convert = [_converter(table, name) for name in columns]
    records = [
        tuple(
            f(row[name] if name in row else _default(defaults[name])) for f, name in zip(convert, columns, strict=True)
        )
        for row in rows
    ]
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    await raw.copy_records_to_table(table.name, columns=columns, records=records)


async def _executemany(connection: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    given = list(rows[0])
    defaults = {
        c.name: c.default
        for c in table.columns
        if c.name not in given and c.default is not None and (c.default.is_scalar or c.default.is_callable)
    }
    columns = [*given, *defaults]
    dialect = connection.dialect
    convert = [_bound(table.c[name].type, dialect) for name in columns]
    records = [
        tuple(
            f(row[name] if name in row else _default(defaults[name])) for f, name in zip(convert, columns, strict=True)
        )
        for row in rows
    ]
    quote = dialect.identifier_preparer
    names = ", ".join(quote.quote(name) for name in columns)
    sql = f"INSERT INTO {quote.format_table(table)} ({names}) VALUES ({', '.join('?' * len(columns))})"
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    await raw.executemany(sql, records)


def _bound(column_type: Any, dialect: Any) -> Any:
    """The column's own bind processor for the dialect (SQLite's own JSON and DATETIME types), run once per
    value object (rows share values)."""
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return _same
    seen: dict[int, tuple[Any, Any]] = {}

    def bind(value: Any) -> Any:
        if value is None:
            return processor(None)
        hit = seen.get(id(value))
        if hit is None or hit[0] is not value:  # holding the value keeps its id from being reused
            hit = seen[id(value)] = (value, processor(value))
        return hit[1]

    return bind


def _same(value: Any) -> Any:
    return value


def _default(default: Any) -> Any:
    return default.arg(None) if default.is_callable else default.arg


def _converter(table: Table, name: str) -> Any:
    column_type = table.c[name].type
    if isinstance(column_type, JSON):
        written: dict[int, tuple[Any, str]] = {}  # rows often share one value object: write it once

        def json_text(value: Any) -> str | None:
            if value is None:
                return None
            seen = written.get(id(value))
            if seen is None or seen[0] is not value:
                seen = written[id(value)] = (value, jsontext.fast_dumps(value))
            return seen[1]

        return json_text
    if isinstance(column_type, UTCDateTime | DateTime):
        return _naive_utc
    return lambda v: v


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
