"""Selects run straight on SQLite's driver (``db/reads.py``, through ``db/plain.rows``) give what SQLAlchemy's
execution of the same statement gives: the same values after type processing, under the same keys; listeners
hear of them; errors are SQLAlchemy's; and a select this path cannot serve faithfully goes through SQLAlchemy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    literal_column,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.exc import OperationalError, ProgrammingError

from sauti.db import plain, reads
from sauti.db.base import UTCDateTime
from sauti.db.engine import make_engine as make_async_engine
from sauti.db.engine import make_sessionmaker
from sauti.db.inline import ReadSessions, make_engine
from sauti.settings import database_url

META = MetaData()
NOTES = Table(
    "notes",
    META,
    Column("id", Integer, primary_key=True),
    Column("body", String(40)),
    Column("at", UTCDateTime()),
    Column("data", JSON),
    Column("done", Boolean),
    Column("amount", Numeric(10, 2)),  # on PostgreSQL its processor depends on the type the driver reports
)
TAGS = Table(
    "tags",
    META,
    Column("id", Integer, primary_key=True),
    Column("note_id", ForeignKey("notes.id")),
    Column("name", String(20)),
)
AT = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


ROWS = [
    {"id": 1, "body": "one", "at": AT, "data": {"k": [1, "é"]}, "done": True, "amount": Decimal("12.50")},
    {"id": 2, "body": "two", "at": None, "data": None, "done": False, "amount": None},
    {"id": 3, "body": "three", "at": AT, "data": [], "done": None, "amount": Decimal("0.10")},
]
TAG_ROWS = [{"note_id": 1, "name": "a"}, {"note_id": 1, "name": "b"}, {"note_id": 3, "name": "c"}]


@dataclass
class Reads:
    """Sessions of one database, and how a test reaches the driver path and SQLAlchemy's own on them."""

    name: str
    sessions: Any
    engines: list[Engine]

    async def connection(self, session: Any) -> Any:
        return session.sync_session.connection() if self.name == "sqlite" else await session.connection()

    async def direct(self, session: Any, statement: Any, params: Any = None) -> Any:
        conn = await self.connection(session)
        if self.name == "sqlite":
            return reads.run(conn, statement, params)
        return await reads.run_async(conn, statement, params)

    async def sqlalchemys(self, session: Any, statement: Any, params: Any = None) -> Any:
        conn = await self.connection(session)
        return conn.execute(statement, params) if self.name == "sqlite" else await conn.execute(statement, params)


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Reads]:
    if request.param == "sqlite":
        path = str(tmp_path / "reads.db")
        writer = create_engine(f"sqlite:///{path}")
        with writer.begin() as conn:
            META.create_all(conn)
            conn.execute(insert(NOTES), ROWS)
            conn.execute(insert(TAGS), TAG_ROWS)
        writer.dispose()
        engine = make_engine(path)  # read-only connections on the file, as the read sessions of a server use
        yield Reads("sqlite", ReadSessions(engine), [engine])
        engine.dispose()
        return
    url = database_url(request.getfixturevalue("postgres_url"), Path("."))
    made = make_async_engine(url)
    async with made.begin() as conn:
        await conn.run_sync(META.drop_all)
        await conn.run_sync(META.create_all)
        await conn.execute(insert(NOTES), ROWS)
        await conn.execute(insert(TAGS), TAG_ROWS)
    try:
        yield Reads("postgres", make_sessionmaker(made), [made.sync_engine])
    finally:
        async with made.begin() as conn:
            await conn.run_sync(META.drop_all)
        await made.dispose()


STATEMENTS: list[tuple[str, Any, dict[str, Any] | None]] = [
    (
        "columns",
        select(NOTES.c.id, NOTES.c.body, NOTES.c.at, NOTES.c.data, NOTES.c.done, NOTES.c.amount).order_by(NOTES.c.id),
        None,
    ),
    ("a value per request", select(NOTES.c.body).where(NOTES.c.id == 3), None),
    ("a named bind", select(NOTES.c.at).where(NOTES.c.id == bindparam("n")), {"n": 1}),
    ("an IN list", select(NOTES.c.id, NOTES.c.done).where(NOTES.c.id.in_([1, 3])).order_by(NOTES.c.id), None),
    ("an expanding bind", select(NOTES.c.id).where(NOTES.c.id.in_(bindparam("ids", expanding=True))), {"ids": [2]}),
    ("an empty IN", select(NOTES.c.id).where(NOTES.c.id.in_([])), None),
    (
        "a join with labels",
        select(TAGS.c.note_id, TAGS.c.name.label("tag"), NOTES.c.at.label("noted"))
        .join(NOTES, NOTES.c.id == TAGS.c.note_id)
        .order_by(TAGS.c.id),
        None,
    ),
    ("an aggregate", select(func.count().label("n"), func.max(NOTES.c.at).label("last")), None),
    ("a sum", select(func.sum(NOTES.c.amount).label("total")), None),
    (
        "two columns of one name",
        select(NOTES.c.id, TAGS.c.id).join(TAGS, TAGS.c.note_id == NOTES.c.id).order_by(TAGS.c.id),
        None,
    ),
    (
        "a union of two selects",  # the rows take the first select's column types
        union_all(
            select(NOTES.c.id.label("ref"), NOTES.c.at.label("when"), literal_column("0").label("part")),
            select(TAGS.c.note_id, literal_column("NULL").label("when"), literal_column("1").label("part")),
        ).order_by(literal_column("part"), literal_column("ref")),
        None,
    ),
    ("nothing found", select(NOTES.c.id, NOTES.c.at).where(NOTES.c.id > 99), None),
]


@pytest.mark.parametrize(("name", "statement", "params"), STATEMENTS, ids=[s[0] for s in STATEMENTS])
async def test_rows_are_sqlalchemys(db: Reads, name: str, statement: Any, params: Any) -> None:
    async with db.sessions() as session:
        expected = await db.sqlalchemys(session, statement, params)
        keys = list(expected.keys())
        expected_rows = [tuple(r) for r in expected.all()]
        direct = await db.direct(session, statement, params)
        assert direct is not None, name  # served here, not handed back
        got = direct.all()
        assert [tuple(r) for r in got] == expected_rows
        assert [tuple(map(type, r)) for r in got] == [tuple(map(type, r)) for r in expected_rows]  # 12.5 == Decimal
        assert all(list(r._fields) == keys for r in got)
        if got:
            assert [getattr(got[0], k) for k in keys] == list(expected_rows[0])
        # the types came back processed: aware datetimes, decoded JSON, booleans
        for row in got:
            for value in row:
                assert not isinstance(value, datetime) or value.tzinfo is UTC


async def test_first_scalar_and_iteration(db: Reads) -> None:
    async with db.sessions() as session:
        ordered = select(NOTES.c.id, NOTES.c.body).order_by(NOTES.c.id.desc())
        assert (await plain.rows(session, ordered)).first() == (3, "three")
        assert (await plain.rows(session, ordered)).scalar() == 3
        assert [r.body for r in await plain.rows(session, ordered)] == ["three", "two", "one"]
        nothing = select(NOTES.c.id).where(NOTES.c.id > 9)
        assert (await plain.rows(session, nothing)).first() is None
        assert (await plain.rows(session, nothing)).scalar() is None


async def test_a_select_it_cannot_serve_faithfully_goes_through_sqlalchemy(db: Reads) -> None:
    odd_names = select(NOTES.c.id.label("_id"), NOTES.c.body.label("two words")).order_by(NOTES.c.id)
    textual = select(literal_column("1").label("one")).select_from(text("notes"))
    async with db.sessions() as session:
        assert await db.direct(session, odd_names) is None  # keys a named tuple cannot have
        assert await db.direct(session, select(NOTES.c.id).execution_options(yield_per=1)) is None
        assert await db.direct(session, text("SELECT 1")) is None
        pairs = select(NOTES.c.id).where(tuple_(NOTES.c.id, NOTES.c.body).in_([(1, "one"), (3, "three")]))
        assert await db.direct(session, pairs) is None  # a tuple type's processors: SQLAlchemy applies them
        assert [r.id for r in await plain.rows(session, pairs.order_by(NOTES.c.id))] == [1, 3]
        rows = (await plain.rows(session, odd_names)).all()
        assert [tuple(r) for r in rows] == [(1, "one"), (2, "two"), (3, "three")]
        assert rows[0]._id == 1
        assert (await plain.rows(session, textual)).all()  # served either way, with SQLAlchemy's answer


async def test_listeners_hear_of_it_and_errors_are_sqlalchemys(db: Reads) -> None:
    heard: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, _many: bool) -> None:
        heard.append((sql, params))

    for engine in db.engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        async with db.sessions() as session:
            await plain.rows(session, select(NOTES.c.body).where(NOTES.c.id.in_([1, 2])))
            broken = select(NOTES.c.id).where(literal_column("no_such_column") == 1)
            with pytest.raises(OperationalError if db.name == "sqlite" else ProgrammingError):
                await db.direct(session, broken)
    finally:
        for engine in db.engines:
            event.remove(engine, "before_cursor_execute", record)
    mark = "?, ?" if db.name == "sqlite" else "$1::INTEGER, $2::INTEGER"
    assert heard[0] == (f"SELECT notes.body \nFROM notes \nWHERE notes.id IN ({mark})", (1, 2))
    assert len(heard) == 2


def test_every_column_type_reads_a_null_as_none() -> None:
    """The driver path leaves a NULL as None without calling the column's result processor: true of every
    column type of every table, on both databases (a type that made something of NULL would break it)."""
    from sqlalchemy import Float
    from sqlalchemy import Numeric as AnyNumeric
    from sqlalchemy.dialects import postgresql, sqlite

    import sauti.models  # noqa: F401  (every table in the metadata)
    from sauti.db.base import Base

    for dialect in (sqlite.dialect(), postgresql.asyncpg.dialect()):  # type: ignore[attr-defined]
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                reported = None  # what the driver reports of the column: PostgreSQL's type decides a number's
                if dialect.name == "postgresql" and isinstance(column.type, AnyNumeric):
                    reported = 701 if isinstance(column.type, Float) else 1700
                processor = column.type._cached_result_processor(dialect, reported)
                if processor is not None:
                    assert processor(None) is None, f"{table.name}.{column.name} on {dialect.name}"


async def test_a_reading_session_on_postgresql_runs_its_selects_without_a_transaction(postgres_url: str) -> None:
    """``plain.reading``: a GET's plain selects send no BEGIN (and so no ROLLBACK); other sessions keep theirs.
    ``now()`` is the transaction's start time, so two selects of it in one transaction agree."""
    import asyncio

    engine = make_async_engine(database_url(postgres_url, Path(".")))
    sessions = make_sessionmaker(engine)
    now = select(func.now().label("now"))
    try:
        async with sessions() as session:
            first = (await plain.rows(session, now)).scalar()
            await asyncio.sleep(0.02)
            assert (await plain.rows(session, now)).scalar() == first  # one transaction
        async with sessions() as session:
            plain.reading(session)
            first = (await plain.rows(session, now)).scalar()
            await asyncio.sleep(0.02)
            assert (await plain.rows(session, now)).scalar() != first  # a statement each
            adapted = (await session.connection()).sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
            assert adapted._transaction is None
            await session.execute(select(func.now()))  # through SQLAlchemy: it begins one, as always
            assert adapted._transaction is not None
            first = (await plain.rows(session, now)).scalar()
            await asyncio.sleep(0.02)
            assert (await plain.rows(session, now)).scalar() == first  # inside it now
    finally:
        await engine.dispose()
