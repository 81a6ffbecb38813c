"""Alembic environment: runs migrations over the async engine on either database."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import sauti.models  # noqa: F401  (registers every table)
from sauti.db.base import Base
from sauti.db.engine import make_engine
from sauti.db.migrate import blocking

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url)
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


def run() -> None:
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    blocking(_main)


run()
