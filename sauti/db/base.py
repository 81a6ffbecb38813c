"""The declarative base and the column types shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

_S = TypeVar("_S", bound=Any)

# The execution option of a statement built once and executed often (a module's constant): see built_once.
BUILT_ONCE = "sauti_built_once"


def built_once(statement: _S) -> _S:
    """``statement`` (a Core INSERT or UPDATE of a table, built once at import and executed on a session's
    connection) marked as such. A backend may keep such a statement's compiled form and run it straight on the
    driver, compiled once per set of parameter keys (``db/direct.py``: SQLite write sessions and PostgreSQL
    sessions); elsewhere it runs as any statement does. The results it gives are the same either way."""
    marked: _S = statement.execution_options(**{BUILT_ONCE: True})
    return marked


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (microsecond precision on both databases) and hands back aware UTC datetimes.

    Keeping the stored value naive makes SQLite's text ordering and PostgreSQL's ``timestamp`` ordering agree,
    which keyset pagination and the inclusive ``before``/``after`` filters rely on.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # defensive: raw SQLite text
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for statements that write many rows at once without an ORM object for any
    (``insert(table_of(Message))`` with a list of rows is one executemany)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
