"""The database's own limit for the work of one inbound message: its statements, replayed with the raw driver.

:func:`capture` runs one real ``domain.messages.receive`` (and its commit) with a listener on every engine the
sessions send statements through (SQLAlchemy's ``before_cursor_execute``) and on the driver's ``executemany``
(the bulk writes of ``db/bulk.py`` go straight to the driver, past SQLAlchemy): each statement with the
parameters the driver was given, in order. :func:`replay_sqlite` / :func:`replay_postgres` run those statements
``n`` times with nothing but the driver (``sqlite3`` on a copy of the database file; ``asyncpg`` on
PostgreSQL), one transaction per message as the real path has, and time them: what is left of a message's cost
when no Python of ours runs, the bound the inbound rate cannot pass on this machine.

A replayed message must not collide with the captured one or with the other replays: every parameter of an
INSERT that is a UUID (a message's, a reply's) is a fresh UUID each time, made before the clock starts. Every
other value is the captured one, so the replay updates the same rows (the contact, the session, its run, the
channel) and reads the same rows, as a run of messages to one busy contact would: a bound from above on what
the database does per message, not a different workload.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event

from sauti.db import inline

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Any  # the driver's parameters: a sequence, or for ``many`` a list of sequences
    many: bool


_PARTS = re.compile(r"\b(INSERT INTO|UPDATE)\b|\$(\d+)")


def _inserted(sql: str) -> set[int] | None:
    """The parameters (0-based) an INSERT of ``sql`` writes: every one of a plain INSERT (``None``), those of
    its INSERT parts in a statement of several (``db.bulk.Writes``: ``WITH w1 AS (UPDATE ...), w2 AS (INSERT
    ...) INSERT ...``; an UPDATE's UUID picks the row it updates and stays), none for anything else."""
    head = sql.lstrip().upper()
    if head.startswith("INSERT"):
        return None
    if not head.startswith("WITH"):
        return set()
    out: set[int] = set()
    inserting = False
    for found in _PARTS.finditer(sql):
        if found.group(1):
            inserting = found.group(1) == "INSERT INTO"
        elif inserting:
            out.add(int(found.group(2)) - 1)
    return out


def _fresh(statement: Statement) -> Callable[[], Statement]:
    """A maker of ``statement`` with a fresh UUID wherever an INSERT's parameter is one (else the same)."""
    inserted = _inserted(statement.sql)
    if inserted is not None and not inserted:
        return lambda: statement

    def one(params: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            str(uuid.uuid4()) if isinstance(p, str) and _UUID.match(p) and (inserted is None or i in inserted) else p
            for i, p in enumerate(params)
        )

    if statement.many:
        return lambda: Statement(statement.sql, [one(row) for row in statement.params], True)
    return lambda: Statement(statement.sql, one(statement.params), False)


def messages(captured: Sequence[Sequence[Statement]], n: int) -> list[list[Statement]]:
    """``n`` messages: the captured ones in turn, each replay with its own UUIDs."""
    makers = [[_fresh(s) for s in statements] for statements in captured]
    return [[make() for make in makers[i % len(makers)]] for i in range(n)]


@contextlib.contextmanager
def capture(engines: Sequence[Engine]) -> Iterator[list[Statement]]:
    """Every statement sent to the driver meanwhile, through these engines or as a bulk write."""
    import asyncpg

    found: list[Statement] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, many: bool) -> None:
        found.append(Statement(sql, [tuple(p) for p in params] if many else tuple(params or ()), many))

    sqlite_many = inline._Driver.executemany
    pg_many = asyncpg.connection.Connection.executemany

    async def sqlite_recorded(self: inline._Driver, sql: str, records: Any) -> None:
        found.append(Statement(sql, [tuple(r) for r in records], True))
        await sqlite_many(self, sql, records)

    async def pg_recorded(self: Any, sql: str, records: Any, **kwargs: Any) -> Any:
        found.append(Statement(sql, [tuple(r) for r in records], True))
        return await pg_many(self, sql, records, **kwargs)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    inline._Driver.executemany = sqlite_recorded  # type: ignore[method-assign]
    asyncpg.connection.Connection.executemany = pg_recorded  # type: ignore[method-assign]
    try:
        yield found
    finally:
        inline._Driver.executemany = sqlite_many  # type: ignore[method-assign]
        asyncpg.connection.Connection.executemany = pg_many  # type: ignore[method-assign]
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def _figures(work: Sequence[Sequence[Statement]], seconds: float) -> dict[str, Any]:
    count = len(work)
    return {
        "messages": count,
        "captured_statements_per_msg": round(sum(map(len, work)) / count, 2),
        "seconds": round(seconds, 3),
        "msgs_per_s": round(count / seconds, 1),
        "ms_per_msg": round(seconds * 1000 / count, 3),
    }


def replay_sqlite(path: str, captured: Sequence[Sequence[Statement]], n: int) -> dict[str, Any]:
    """Replay ``n`` messages, one after another (SQLite has one writer), on a copy of the database file at
    ``path`` (made here, next to it), over a connection set up as the write sessions' are (WAL, foreign keys,
    synchronous=NORMAL; the driver begins the transaction before the first write)."""
    copy = f"{path}.replay"
    with contextlib.closing(sqlite3.connect(path)) as source, contextlib.closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    work = messages(captured, n)
    conn = inline.connect_for_writes(copy)
    try:
        started = time.perf_counter()
        for message in work:
            for s in message:
                if s.many:
                    conn.executemany(s.sql, s.params)
                else:
                    conn.execute(s.sql, s.params).fetchall()
            conn.commit()
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    return _figures(work, seconds)


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL ``postgresql+asyncpg://...`` as asyncpg's own DSN."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _pg_codecs(conn: Any) -> None:
    """JSON as SQLAlchemy's asyncpg dialect sets it up: the text it serialised, sent as it is."""
    await conn.set_type_codec("json", encoder=str.encode, decoder=bytes.decode, schema="pg_catalog", format="binary")
    await conn.set_type_codec(
        "jsonb", encoder=lambda s: b"\x01" + s.encode(), decoder=bytes.decode, schema="pg_catalog", format="binary"
    )


async def replay_postgres(
    url: str, captured: Sequence[Sequence[Statement]], n: int, concurrency: int
) -> dict[str, Any]:
    """Replay ``n`` messages with asyncpg over ``concurrency`` connections, each message one transaction
    (BEGIN, its statements as prepared statements, COMMIT). Connection ``i`` replays captured message ``i``
    and every ``concurrency``-th after it, so no two connections write one contact's rows at once: as on the
    real path, concurrent messages share only the channel's row."""
    import asyncpg

    conns = [await asyncpg.connect(asyncpg_dsn(url)) for _ in range(concurrency)]
    try:
        for conn in conns:
            await _pg_codecs(conn)

        async def one(conn: Any, message: list[Statement]) -> None:
            async with conn.transaction():
                for s in message:
                    if s.many:
                        await conn.executemany(s.sql, s.params)
                    else:
                        await conn.fetch(s.sql, *s.params)

        lanes = [
            messages(captured[i::concurrency] or captured, len(range(i, n, concurrency))) for i in range(concurrency)
        ]

        async def lane(conn: Any, work: list[list[Statement]]) -> None:
            for message in work:
                await one(conn, message)

        started = time.perf_counter()
        await asyncio.gather(*(lane(c, w) for c, w in zip(conns, lanes, strict=True)))
        seconds = time.perf_counter() - started
    finally:
        for conn in conns:
            await conn.close()
    figures = _figures([m for lane in lanes for m in lane], seconds)
    figures["concurrency"] = concurrency
    return figures
