"""Run the Alembic migrations programmatically (no alembic.ini needed by users)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the database at ``url`` (an async driver URL) up to ``revision``. Blocking; call from sync code.
    Returns the revision before (``None`` for a new database) and after."""
    before = current(url)
    command.upgrade(alembic_config(url), revision)
    return before, current(url)


def current(url: str) -> str | None:
    """The database's revision, or ``None`` when it has no schema yet."""
    from alembic.runtime.migration import MigrationContext

    from sauti.db.engine import make_engine

    async def read() -> str | None:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
        finally:
            await engine.dispose()

    return blocking(read)


def blocking(fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even when the caller is itself inside a running event
    loop (the test suite calls the migrations from async fixtures): then it runs in a fresh thread's loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(fn())
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(asyncio.run(fn()))
        except BaseException as exc:  # re-raised in the caller
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]
