"""Writing many rows at once, at the speed of the database.

On PostgreSQL the rows go in with ``COPY`` (asyncpg's binary copy, inside the session's own transaction); on
SQLite with one ``executemany``. Either way no ORM object is made for any row. Values are given as the
columns' Python types (aware datetimes are stored as naive UTC, JSON columns take any JSON value).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db.base import UTCDateTime


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys) into ``table`` in one statement."""
    if not rows:
        return
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        await session.execute(insert(table), list(rows))
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
                seen = written[id(value)] = (value, orjson.dumps(value).decode())
            return seen[1]

        return json_text
    if isinstance(column_type, UTCDateTime | DateTime):
        return _naive_utc
    return lambda v: v


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
