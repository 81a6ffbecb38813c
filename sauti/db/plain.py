"""Selects of plain columns, run on the session's connection rather than through the ORM.

A select of columns (``select(Contact.id, Contact.uuid)``, a page read as a table's columns) builds no object,
yet ``Session.execute`` still runs the ORM's statement machinery for it: on SQLite that machinery cost twice
what the statement did (56 us against 23 us on the connection, one process, one run). The hot read paths (pages
and what a page shows of other rows) call :func:`rows` instead; anything that wants ORM objects keeps
``session.execute``. On both databases the select runs straight on the driver (``db/reads.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import reads
from sauti.db.inline import ReadSession


class Rows(Protocol):
    """What the callers read of the rows: iterated, or ``all()``, ``first()``, ``scalar()``."""

    def __iter__(self) -> Iterator[Any]: ...

    def all(self) -> Sequence[Any]: ...

    def first(self) -> Any: ...

    def scalar(self) -> Any: ...


# a session's info key: set (by :func:`reading`) on a session that will only read
_READING = "sauti.reading"


def reading(session: AsyncSession | ReadSession) -> None:
    """Say that ``session`` will only read (a GET): on PostgreSQL its plain selects then need no transaction of
    their own. Under READ COMMITTED each statement sees its own snapshot inside a transaction too, so a BEGIN
    and a ROLLBACK (two round trips of a small read's four or five) bought nothing for a session that writes
    nothing. A statement through SQLAlchemy still begins one as always, and the selects after it run inside."""
    session.info[_READING] = True


async def rows(session: AsyncSession | ReadSession, stmt: Executable, params: Mapping[str, Any] | None = None) -> Rows:
    """The rows of ``stmt`` (a select of columns) in the session's transaction."""
    if isinstance(session, ReadSession):
        sync = session.sync_session.connection()
        direct = reads.run(sync, stmt, params)
        return direct if direct is not None else sync.execute(stmt, params)
    connection = await session.connection()
    found = await reads.run_async(connection, stmt, params, begin=not session.info.get(_READING))
    if found is not None:
        return found
    result: Rows = await connection.execute(stmt, params)
    return result
