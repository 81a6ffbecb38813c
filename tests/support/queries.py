"""Counting the SQL statements a request runs, so a listing can pin its query count (no N+1 creeps in).

``async with counted(app) as statements: await client.get(...)`` records every statement the app's engines (the
main one and, on SQLite, the one reads take) send to the database while the block runs (the request's own: the
test's fixtures use another engine).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event


@asynccontextmanager
async def counted(app: Any) -> AsyncIterator[list[str]]:
    engines = list(app.state.engines)  # synchronous engines: the main one's sync_engine, the reader
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


async def query_count(app: Any, client: Any, url: str, **params: Any) -> int:
    """How many statements one GET of ``url`` runs."""
    async with counted(app) as statements:
        resp = await client.get(url, params=params)
    assert resp.status_code == 200, resp.text
    return len(statements)
