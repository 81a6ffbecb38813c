"""Built-once INSERTs and UPDATEs (``db.base.built_once``) on SQLite write sessions run straight on the driver
(``db/inline.WriteConnection``): the rows they write, what their results say, the statements listeners hear of
and the errors they raise are those of the same statements run through SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, bindparam, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from sauti.db.base import UTCDateTime, built_once
from sauti.db.engine import make_engine, make_sessionmaker, sync_engines
from sauti.db.inline import WriteSessions

META = MetaData()
NOTES = Table(
    "notes",
    META,
    Column("id", Integer, primary_key=True),
    Column("body", String(40), unique=True, nullable=False),
    Column("at", UTCDateTime()),
    Column("data", JSON),
    Column("kind", String(10), default="plain"),  # a Python-side default: SQLAlchemy's to fill in
)
AT = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


async def _sessions(tmp_path: Path, name: str) -> tuple[Any, Any]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / name}")
    async with engine.begin() as conn:
        await conn.run_sync(META.create_all)
    sessions = make_sessionmaker(engine)
    assert isinstance(sessions, WriteSessions)
    return engine, sessions


async def test_rows_and_results_are_sqlalchemys(tmp_path: Path) -> None:
    engine, sessions = await _sessions(tmp_path, "same.db")
    values = {"body": "b", "at": AT, "data": {"x": [1, "é"]}, "kind": "k"}
    try:
        async with sessions() as session:
            conn = await session.connection()
            plain = await conn.execute(insert(NOTES), {**values, "body": "plain"})
            direct = await conn.execute(built_once(insert(NOTES)), values)
            assert plain.inserted_primary_key == (1,) and direct.inserted_primary_key == (2,)
            moved = await conn.execute(
                built_once(update(NOTES).where(NOTES.c.id == bindparam("row"))),
                [{"row": 1, "at": AT}, {"row": 2, "at": AT}],
            )
            assert moved.rowcount == 2
            await session.commit()
        async with engine.connect() as conn:
            stored = (await conn.execute(select(NOTES.c.at, NOTES.c.data, NOTES.c.kind).order_by(NOTES.c.id))).all()
            texts = (await conn.exec_driver_sql("SELECT at, data FROM notes ORDER BY id")).all()
        assert stored[0] == stored[1] == (AT, {"x": [1, "é"]}, "k")
        assert texts[0] == texts[1]  # the same text in the file
    finally:
        await engine.dispose()


async def test_listeners_hear_of_every_statement(tmp_path: Path) -> None:
    engine, sessions = await _sessions(tmp_path, "heard.db")
    heard: list[tuple[str, bool, bool]] = []

    def record(_conn: Any, _cursor: Any, sql: str, _params: Any, context: Any, many: bool) -> None:
        # no execution context: the statement went straight to the driver
        heard.append((sql.split(" (")[0].split(" SET")[0], many, context is None))

    engines = [engine.sync_engine, *sync_engines(sessions)]
    for each in engines:
        event.listen(each, "before_cursor_execute", record)
    try:
        async with sessions() as session:
            conn = await session.connection()
            await conn.execute(built_once(insert(NOTES)), {"body": "a", "kind": "k"})
            await conn.execute(built_once(update(NOTES)), [{"body": "b"}, {"body": "b"}])
            await conn.execute(built_once(insert(NOTES)), {"body": "c"})  # needs the default: SQLAlchemy's
            await session.commit()
        assert heard == [
            ("INSERT INTO notes", False, True),
            ("UPDATE notes", True, True),
            ("INSERT INTO notes", False, False),
        ]
    finally:
        for each in engines:
            event.remove(each, "before_cursor_execute", record)
        await engine.dispose()


async def test_errors_are_sqlalchemys_and_a_savepoint_undoes_only_its_own(tmp_path: Path) -> None:
    engine, sessions = await _sessions(tmp_path, "errors.db")
    statement = built_once(insert(NOTES))
    try:
        async with sessions() as session:
            conn = await session.connection()
            await conn.execute(statement, {"body": "once", "kind": "k"})
            with pytest.raises(IntegrityError):
                async with session.begin_nested():
                    await (await session.connection()).execute(statement, {"body": "twice", "kind": "k"})
                    await (await session.connection()).execute(statement, {"body": "once", "kind": "k"})
            await session.commit()
        async with engine.connect() as conn:
            assert (await conn.execute(select(NOTES.c.body))).scalars().all() == ["once"]
    finally:
        await engine.dispose()


async def test_a_statement_that_needs_sqlalchemy_still_goes_through_it(tmp_path: Path) -> None:
    engine, sessions = await _sessions(tmp_path, "defaults.db")
    try:
        async with sessions() as session:
            conn = await session.connection()
            await conn.execute(built_once(insert(NOTES)), {"body": "a"})  # "kind" left to its Python-side default
            await session.commit()
        async with engine.connect() as conn:
            assert (await conn.execute(select(NOTES.c.kind))).scalar_one() == "plain"
    finally:
        await engine.dispose()
