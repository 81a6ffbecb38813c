"""SQLite sessions on the loop's thread (sauti.db.inline): reads see what was committed and refuse to write;
writes take turns at the gate without stopping the loop, and give their turn back however they end."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker

from sauti.db.engine import make_engine, make_read_engine, make_sessionmaker
from sauti.db.inline import ReadSessions, WriteSessions


async def test_reads_see_commits_and_writes_are_refused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}"
    writer = make_engine(url)
    reader = make_read_engine(url)
    assert reader is not None
    try:
        async with writer.begin() as conn:
            await conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
            await conn.execute(text("INSERT INTO notes (body) VALUES ('first')"))
        async with ReadSessions(reader)() as session:
            assert (await session.execute(text("SELECT body FROM notes"))).scalars().all() == ["first"]
            async with writer.begin() as other:  # a write committed while the reader is open
                await other.execute(text("INSERT INTO notes (body) VALUES ('second')"))
            assert await session.scalar(text("SELECT count(*) FROM notes")) == 2
            connection = await session.connection()  # what a bulk read or db.plain takes
            assert (await connection.execute(text("SELECT max(id) FROM notes"))).scalar() == 2
            assert connection.dialect.name == "sqlite"
            with pytest.raises(OperationalError, match="readonly"):
                await session.execute(text("INSERT INTO notes (body) VALUES ('never')"))
        async with writer.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM notes"))).scalar() == 2
    finally:
        reader.dispose()
        await writer.dispose()


def test_only_a_sqlite_file_gets_a_reader() -> None:
    assert make_read_engine("sqlite+aiosqlite:///:memory:") is None
    assert make_read_engine("sqlite+aiosqlite://") is None
    assert make_read_engine("postgresql+asyncpg://u@localhost/db") is None


async def _notes(url: str) -> Any:
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    return engine


async def test_write_transactions_take_turns_without_stopping_the_loop(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}"
    engine = await _notes(url)
    sessions = make_sessionmaker(engine)
    assert isinstance(sessions, WriteSessions)
    seen: list[str] = []
    first_wrote = asyncio.Event()
    try:

        async def first() -> None:
            async with sessions() as session:
                await session.execute(text("INSERT INTO notes (body) VALUES ('first')"))
                seen.append("first wrote")
                first_wrote.set()
                for _ in range(5):  # the transaction stays open across awaits: the loop goes on meanwhile
                    await asyncio.sleep(0.01)
                    seen.append("first still open")
                await session.commit()
                seen.append("first committed")

        async def second() -> None:
            await first_wrote.wait()
            async with sessions() as session:
                # a read needs no turn: it runs at once and sees only what was committed
                assert await session.scalar(text("SELECT count(*) FROM notes")) == 0
                seen.append("second read")
                await session.execute(text("INSERT INTO notes (body) VALUES ('second')"))
                seen.append("second wrote")
                # its turn came after the first committed: the first's row is there in its transaction
                assert await session.scalar(text("SELECT count(*) FROM notes")) == 2
                await session.commit()

        await asyncio.gather(first(), second())
        assert seen.index("second read") < seen.index("first still open")
        assert seen.count("first still open") == 5
        assert len(seen) - 1 - seen[::-1].index("first still open") < seen.index("second wrote")
        async with engine.connect() as conn:
            bodies = (await conn.execute(text("SELECT body FROM notes ORDER BY id"))).scalars().all()
        assert bodies == ["first", "second"]
    finally:
        await engine.dispose()


async def test_a_failed_or_abandoned_transaction_gives_its_turn_back(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'back.db'}"
    engine = await _notes(url)
    sessions = make_sessionmaker(engine)
    try:
        with pytest.raises(ValueError):
            async with sessions() as session:
                await session.execute(text("INSERT INTO notes (body) VALUES ('never')"))
                raise ValueError("the request failed")
        async with sessions() as session:  # the turn was given back when the session closed
            await session.execute(text("INSERT INTO notes (body) VALUES ('kept')"))
            await session.rollback()
            await session.execute(text("INSERT INTO notes (body) VALUES ('after rollback')"))
            await session.commit()
        async with sessions() as session:
            bodies = (await session.execute(text("SELECT body FROM notes"))).scalars().all()
        assert bodies == ["after rollback"]
    finally:
        await engine.dispose()


async def test_a_second_write_transaction_in_one_task_fails_at_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'twice.db'}"
    engine = await _notes(url)
    sessions = make_sessionmaker(engine)
    other = make_sessionmaker(engine)  # another factory over the same file shares the gate
    try:
        async with sessions() as session:
            await session.execute(text("INSERT INTO notes (body) VALUES ('one')"))
            async with other() as second:
                assert await second.scalar(text("SELECT count(*) FROM notes")) == 0  # reads are fine
                with pytest.raises(RuntimeError, match="second write transaction"):
                    await second.execute(text("INSERT INTO notes (body) VALUES ('two')"))
            await session.commit()
        async with other() as second:  # once the first ended, the other factory writes
            await second.execute(text("INSERT INTO notes (body) VALUES ('two')"))
            await second.commit()
            assert await second.scalar(text("SELECT count(*) FROM notes")) == 2
    finally:
        await engine.dispose()


async def test_savepoints_and_bulk_writes_on_the_loop_thread(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nested.db'}"
    engine = await _notes(url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            await session.execute(text("INSERT INTO notes (body) VALUES ('outer')"))
            with pytest.raises(ValueError):
                async with session.begin_nested():
                    await session.execute(text("INSERT INTO notes (body) VALUES ('inner')"))
                    raise ValueError("undo the savepoint only")
            raw = (await (await session.connection()).get_raw_connection()).driver_connection
            await raw.executemany("INSERT INTO notes (body) VALUES (?)", [("bulk 1",), ("bulk 2",)])
            await session.commit()
        async with engine.connect() as conn:
            bodies = (await conn.execute(text("SELECT body FROM notes ORDER BY id"))).scalars().all()
        assert bodies == ["outer", "bulk 1", "bulk 2"]
    finally:
        await engine.dispose()


def test_only_a_sqlite_file_gets_write_sessions_on_the_loop_thread() -> None:
    assert not isinstance(make_sessionmaker(make_engine("sqlite+aiosqlite:///:memory:")), WriteSessions)
    assert not isinstance(make_sessionmaker(make_engine("postgresql+asyncpg://u@localhost/db")), WriteSessions)


@pytest.mark.parametrize("sessions_of", ["write_sessions", "driver_sessions"])
async def test_a_savepoint_that_opens_the_transaction_is_undone_by_its_rollback(
    tmp_path: Path, sessions_of: str
) -> None:
    # sqlite3 begins a transaction itself only before a write: a SAVEPOINT sent first began one in SQLite, and its
    # RELEASE, the outermost savepoint's, committed it, so the rollback that followed undid nothing
    url = f"sqlite+aiosqlite:///{tmp_path / 'first.db'}"
    engine = await _notes(url)
    sessions = make_sessionmaker(engine) if sessions_of == "write_sessions" else async_sessionmaker(engine)
    try:
        async with sessions() as session:
            async with session.begin_nested():
                await session.execute(text("INSERT INTO notes (body) VALUES ('in the savepoint')"))
            await session.execute(text("INSERT INTO notes (body) VALUES ('after it')"))
            await session.rollback()
        async with sessions() as session:  # and one committed keeps both
            async with session.begin_nested():
                await session.execute(text("INSERT INTO notes (body) VALUES ('kept')"))
            await session.execute(text("INSERT INTO notes (body) VALUES ('kept too')"))
            await session.commit()
        async with engine.connect() as conn:
            bodies = (await conn.execute(text("SELECT body FROM notes ORDER BY id"))).scalars().all()
        assert bodies == ["kept", "kept too"]
    finally:
        await engine.dispose()
