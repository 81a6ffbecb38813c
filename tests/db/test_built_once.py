"""Built-once INSERTs and UPDATEs (``db.base.built_once``) run straight on the driver (``db/direct.py``: SQLite
write sessions on ``sqlite3``, PostgreSQL sessions on asyncpg): the rows they write, what their results say,
the statements listeners hear of, the transaction they run in and the errors they raise are those of the same
statements run through SQLAlchemy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, bindparam, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sauti.db import bulk
from sauti.db.base import UTCDateTime, built_once
from sauti.db.direct import DirectSession
from sauti.db.engine import make_engine, make_sessionmaker, sync_engines
from sauti.db.inline import WriteSessions

META = MetaData()
NOTES = Table(
    "built_once_notes",
    META,
    Column("id", Integer, primary_key=True),
    Column("body", String(40), unique=True, nullable=False),
    Column("at", UTCDateTime()),
    Column("data", JSON),
    Column("kind", String(10), default="plain"),  # a Python-side default: SQLAlchemy's to fill in
)
AT = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


@dataclass
class Notes:
    name: str
    engine: AsyncEngine
    sessions: Any


@pytest.fixture(params=["sqlite", "postgres"])
async def notes(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Notes]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(META.drop_all)
        await conn.run_sync(META.create_all)
    sessions = make_sessionmaker(engine)
    assert isinstance(sessions, WriteSessions) or sessions.class_ is DirectSession
    try:
        yield Notes(request.param, engine, sessions)
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(META.drop_all)
        await engine.dispose()


async def test_rows_and_results_are_sqlalchemys(notes: Notes) -> None:
    values = {"body": "b", "at": AT, "data": {"x": [1, "é"]}, "kind": "k"}
    async with notes.sessions() as session:
        conn = await session.connection()
        plain = await conn.execute(insert(NOTES), {**values, "body": "plain"})
        direct = await conn.execute(built_once(insert(NOTES)), values)
        assert plain.inserted_primary_key == (1,) and direct.inserted_primary_key == (2,)
        one = await conn.execute(built_once(update(NOTES).where(NOTES.c.id == bindparam("row"))), {"row": 2, "at": AT})
        assert one.rowcount == 1
        none = await conn.execute(built_once(update(NOTES).where(NOTES.c.id == bindparam("row"))), {"row": 9, "at": AT})
        assert none.rowcount == 0
        rows = [{"row": 1, "at": AT}, {"row": 2, "at": AT}]
        by_sqlalchemy = await conn.execute(update(NOTES).where(NOTES.c.id == bindparam("row")), rows)
        moved = await conn.execute(built_once(update(NOTES).where(NOTES.c.id == bindparam("row"))), rows)
        assert moved.rowcount == by_sqlalchemy.rowcount
        await session.commit()
    async with notes.engine.connect() as conn:
        stored = (await conn.execute(select(NOTES.c.at, NOTES.c.data, NOTES.c.kind).order_by(NOTES.c.id))).all()
        as_text = "data::text" if notes.name == "postgres" else "data"
        texts = (await conn.exec_driver_sql(f"SELECT at, {as_text} FROM built_once_notes ORDER BY id")).all()
    assert stored[0] == stored[1] == (AT, {"x": [1, "é"]}, "k")
    assert texts[0] == texts[1]  # the same stored values


async def test_listeners_hear_of_every_statement(notes: Notes) -> None:
    heard: list[tuple[str, bool, bool]] = []

    def record(_conn: Any, _cursor: Any, sql: str, _params: Any, context: Any, many: bool) -> None:
        # no execution context: the statement went straight to the driver
        heard.append((sql.split(" (")[0].split(" SET")[0], many, context is None))

    engines = [notes.engine.sync_engine, *sync_engines(notes.sessions)]
    for each in engines:
        event.listen(each, "before_cursor_execute", record)
    try:
        async with notes.sessions() as session:
            conn = await session.connection()
            await conn.execute(built_once(insert(NOTES)), {"body": "a", "kind": "k"})
            await conn.execute(built_once(update(NOTES)), [{"body": "b"}, {"body": "b"}])
            await conn.execute(built_once(insert(NOTES)), {"body": "c"})  # needs the default: SQLAlchemy's
            await session.commit()
        # on PostgreSQL several rows at once go through SQLAlchemy's executemany, as before
        assert heard == [
            ("INSERT INTO built_once_notes", False, True),
            ("UPDATE built_once_notes", True, notes.name == "sqlite"),
            ("INSERT INTO built_once_notes", False, False),
        ]
    finally:
        for each in engines:
            event.remove(each, "before_cursor_execute", record)


async def test_errors_are_sqlalchemys_and_a_savepoint_undoes_only_its_own(notes: Notes) -> None:
    statement = built_once(insert(NOTES))
    async with notes.sessions() as session:
        conn = await session.connection()
        await conn.execute(statement, {"body": "once", "kind": "k"})
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await (await session.connection()).execute(statement, {"body": "twice", "kind": "k"})
                await (await session.connection()).execute(statement, {"body": "once", "kind": "k"})
        await (await session.connection()).execute(statement, {"body": "after", "kind": "k"})
        await session.commit()
    async with notes.engine.connect() as conn:
        assert (await conn.execute(select(NOTES.c.body).order_by(NOTES.c.id))).scalars().all() == ["once", "after"]


async def test_the_first_statement_of_a_transaction_is_in_it(notes: Notes) -> None:
    async with notes.sessions() as session:
        conn = await session.connection()
        await conn.execute(built_once(insert(NOTES)), {"body": "undone", "kind": "k"})
        await session.rollback()
    async with notes.engine.connect() as conn:
        assert (await conn.execute(select(NOTES.c.body))).scalars().all() == []


async def test_a_statement_that_needs_sqlalchemy_still_goes_through_it(notes: Notes) -> None:
    async with notes.sessions() as session:
        conn = await session.connection()
        await conn.execute(built_once(insert(NOTES)), {"body": "a"})  # "kind" left to its Python-side default
        await session.commit()
    async with notes.engine.connect() as conn:
        assert (await conn.execute(select(NOTES.c.kind))).scalar_one() == "plain"


async def _heard(notes: Notes, work: Any) -> list[str]:
    """The statements listeners hear of while ``work(session)`` runs and commits."""
    heard: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        heard.append(sql)

    engines = [notes.engine.sync_engine, *sync_engines(notes.sessions)]
    for each in engines:
        event.listen(each, "before_cursor_execute", record)
    try:
        async with notes.sessions() as session:
            await work(session)
            await session.commit()
    finally:
        for each in engines:
            event.remove(each, "before_cursor_execute", record)
    return heard


async def test_savepoints_are_heard_of_and_undo_their_own(notes: Notes) -> None:
    heard: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        heard.append(sql.split(" (")[0])

    engines = [notes.engine.sync_engine, *sync_engines(notes.sessions)]
    for each in engines:
        event.listen(each, "before_cursor_execute", record)
    statement = built_once(insert(NOTES))
    try:
        async with notes.sessions() as session:
            async with session.begin_nested():
                await (await session.connection()).execute(statement, {"body": "kept", "kind": "k"})
            with pytest.raises(RuntimeError):
                async with session.begin_nested():
                    await (await session.connection()).execute(statement, {"body": "undone", "kind": "k"})
                    raise RuntimeError("a flow failed")
            await session.commit()
    finally:
        for each in engines:
            event.remove(each, "before_cursor_execute", record)
    released = ["RELEASE SAVEPOINT sa_savepoint_1"] if notes.name == "sqlite" else []  # PostgreSQL: at the commit
    assert heard == [
        "SAVEPOINT sa_savepoint_1",
        "INSERT INTO built_once_notes",
        *released,
        "SAVEPOINT sa_savepoint_2",
        "INSERT INTO built_once_notes",
        "ROLLBACK TO SAVEPOINT sa_savepoint_2",
    ]
    async with notes.engine.connect() as conn:
        assert (await conn.execute(select(NOTES.c.body))).scalars().all() == ["kept"]


async def _bodies(notes: Notes) -> list[str]:
    async with notes.engine.connect() as conn:
        return list((await conn.execute(select(NOTES.c.body).order_by(NOTES.c.id))).scalars())


async def test_a_released_savepoint_ends_with_what_ends_its_parent(notes: Notes) -> None:
    """On PostgreSQL a release is left to the commit: the work of a released savepoint is undone by a rollback
    to a savepoint opened before it and by the transaction's rollback, kept by a rollback to a savepoint opened
    after it and by the commit, as on a server that released it at once."""
    statement = built_once(insert(NOTES))

    async def add(session: Any, body: str) -> None:
        await (await session.connection()).execute(statement, {"body": body, "kind": "k"})

    async with notes.sessions() as session:
        await add(session, "first")
        with pytest.raises(RuntimeError):
            async with session.begin_nested():  # outer
                async with session.begin_nested():
                    await add(session, "released, undone with the outer")
                raise RuntimeError("undo the outer one")
        async with session.begin_nested():  # outer, released
            async with session.begin_nested():
                await add(session, "released twice")
            with pytest.raises(RuntimeError):
                async with session.begin_nested():
                    await add(session, "undone")
                    raise RuntimeError("undo only the innermost")
            await add(session, "after the rollback")
        await session.commit()
    assert await _bodies(notes) == ["first", "released twice", "after the rollback"]

    async with notes.sessions() as session:
        await add(session, "rolled back")  # SQLite's transaction begins at the first write (its driver's BEGIN)
        async with session.begin_nested():
            await add(session, "released, rolled back")
        await session.rollback()
        await add(session, "the next transaction")
        async with session.begin_nested():
            with pytest.raises(IntegrityError):  # a failed statement in a savepoint after a released one
                async with session.begin_nested():
                    await add(session, "first")
            await add(session, "after the failure")
        await session.commit()
    assert await _bodies(notes) == [
        "first",
        "released twice",
        "after the rollback",
        "the next transaction",
        "after the failure",
    ]


async def test_releases_left_to_the_commit_are_few(notes: Notes) -> None:
    """A transaction of many savepoints (a callback of many messages) leaves a few releases to its commit, and
    sends the others, on PostgreSQL; SQLite sends each."""
    statement = built_once(insert(NOTES))

    async def work(session: Any) -> None:
        for i in range(10):
            async with session.begin_nested():
                await (await session.connection()).execute(statement, {"body": f"n{i}", "kind": "k"})

    releases = [sql for sql in await _heard(notes, work) if sql.startswith("RELEASE")]
    assert len(releases) == (10 if notes.name == "sqlite" else 6)
    assert await _bodies(notes) == [f"n{i}" for i in range(10)]


TAGS = Table(
    "built_once_tags",
    META,
    Column("id", Integer, primary_key=True),
    Column("name", String(40), unique=True, nullable=False),
    Column("data", JSON),
)
BY_ID = built_once(update(NOTES).where(NOTES.c.id == bindparam("row")))
BY_KIND = built_once(update(NOTES).where(NOTES.c.kind == bindparam("of_kind")))


async def test_writes_go_as_one_statement_on_postgresql_and_write_what_each_would(notes: Notes) -> None:
    async with notes.sessions() as session:
        conn = await session.connection()
        for body, kind in (("a", "x"), ("b", "x"), ("c", "y"), ("d", "y")):
            await conn.execute(built_once(insert(NOTES)), {"body": body, "kind": kind})
        await session.commit()

    async def work(session: Any) -> None:
        writes = bulk.Writes()  # of distinct rows (PostgreSQL would write only one of two writes of a row)
        writes.execute(BY_KIND, {"of_kind": "x", "at": AT})  # rows a and b
        writes.execute(BY_ID, [{"row": 3, "data": {"n": 1}}, {"row": 4, "data": [2, "é"]}])
        writes.insert(NOTES, [{"body": "e", "kind": "z", "at": AT, "data": None}])
        writes.insert(TAGS, [{"name": "t1", "data": {"k": "v"}}, {"name": "t2", "data": None}])
        writes.insert(TAGS, [])
        await writes.send(session)
        await writes.send(session)  # nothing held any more: nothing sent

    heard = await _heard(notes, work)
    # SQLite: each as it goes alone (the inserts are executemany on the driver, which listeners do not hear of)
    assert len(heard) == (2 if notes.name == "sqlite" else 1)
    async with notes.engine.connect() as conn:
        stored = (await conn.execute(select(NOTES.c.body, NOTES.c.at, NOTES.c.data).order_by(NOTES.c.id))).all()
        tags = (await conn.execute(select(TAGS.c.name, TAGS.c.data).order_by(TAGS.c.id))).all()
    assert [tuple(r) for r in stored] == [
        ("a", AT, None),
        ("b", AT, None),
        ("c", None, {"n": 1}),
        ("d", None, [2, "é"]),
        ("e", AT, None),
    ]
    assert [tuple(r) for r in tags] == [("t1", {"k": "v"}), ("t2", None)]


async def test_many_writes_go_one_by_one(notes: Notes) -> None:
    async def work(session: Any) -> None:
        writes = bulk.Writes()
        writes.insert(NOTES, [{"body": f"n{i}", "kind": "k"} for i in range(20)])  # more than one INSERT of few
        writes.execute(BY_KIND, {"of_kind": "k", "at": AT})
        await writes.send(session)

    heard = await _heard(notes, work)
    assert [sql.split(" SET")[0] for sql in heard] == ["UPDATE built_once_notes"]  # the rows went by COPY / executemany
    async with notes.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).where(NOTES.c.at == AT))).scalar() == 20


async def test_a_failing_write_fails_them_all_and_a_savepoint_undoes_them(notes: Notes) -> None:
    async with notes.sessions() as session:
        for body in ("taken", "other"):
            await (await session.connection()).execute(built_once(insert(NOTES)), {"body": body, "kind": "k"})
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                writes = bulk.Writes()
                writes.execute(BY_ID, {"row": 1, "at": AT})
                writes.insert(TAGS, [{"name": "new", "data": None}])
                writes.execute(BY_ID, {"row": 2, "body": "taken"})
                await writes.send(session)
        await session.commit()
    async with notes.engine.connect() as conn:
        stored = (await conn.execute(select(NOTES.c.body, NOTES.c.at).order_by(NOTES.c.id))).all()
        assert [tuple(r) for r in stored] == [("taken", None), ("other", None)]
        assert (await conn.execute(select(func.count()).select_from(TAGS))).scalar() == 0
