"""Reads on the loop's thread (sauti.db.inline): they see what was committed, and refuse to write."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from sauti.db.engine import make_engine, make_read_engine
from sauti.db.inline import ReadSessions


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
