"""Channel logs: every exchange with a provider, kept so a user can see what was sent and what came back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Final

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.channels.base import HTTPLog
from sauti.db.base import built_once, table_of
from sauti.kit import clock
from sauti.kit.timefmt import format_utc
from sauti.models import Channel, ChannelLog


def row(
    channel: Channel | None,
    log_type: str,
    http_logs: Sequence[HTTPLog],
    errors: Sequence[dict[str, Any]] = (),
    message_id: int | None = None,
) -> dict[str, Any]:
    """The columns of one log, for writing many in one statement."""
    now = clock.now()
    return {
        "uuid": clock.new_uuid(),
        "workspace_id": channel.workspace_id if channel else None,
        "channel_id": channel.id if channel else None,
        "message_id": message_id,
        "log_type": log_type,
        "http_logs": [{**asdict(h), "created_on": format_utc(now)} for h in http_logs],
        "errors": list(errors),
        "is_error": bool(errors),
        "elapsed_ms": sum(h.elapsed_ms for h in http_logs),
        "created_on": now,
    }


# one Core executemany on the session's connection: the ORM's bulk insert of a wave's logs cost more than the
# statement (on SQLite a built-once statement runs straight on the driver: ``db/inline.py``)
_INSERT: Final = built_once(insert(table_of(ChannelLog)))


async def write(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Many logs (each a :func:`row`) in one statement."""
    if rows:
        await (await session.connection()).execute(_INSERT, list(rows))


def record(
    session: AsyncSession,
    channel: Channel | None,
    log_type: str,
    http_logs: Sequence[HTTPLog],
    errors: Sequence[dict[str, Any]] = (),
    message_id: int | None = None,
) -> ChannelLog:
    log = ChannelLog(**row(channel, log_type, http_logs, errors, message_id))
    session.add(log)
    return log
