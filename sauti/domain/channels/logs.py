"""Channel logs: every exchange with a provider, kept so a user can see what was sent and what came back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.channels.base import HTTPLog
from sauti.kit import clock
from sauti.kit.timefmt import format_utc
from sauti.models import Channel, ChannelLog


def record(
    session: AsyncSession,
    channel: Channel | None,
    log_type: str,
    http_logs: Sequence[HTTPLog],
    errors: Sequence[dict[str, Any]] = (),
    message_id: int | None = None,
) -> ChannelLog:
    now = clock.now()
    entries = [{**asdict(h), "created_on": format_utc(now)} for h in http_logs]
    log = ChannelLog(
        uuid=clock.new_uuid(),
        workspace_id=channel.workspace_id if channel else None,
        channel_id=channel.id if channel else None,
        message_id=message_id,
        log_type=log_type,
        http_logs=entries,
        errors=list(errors),
        is_error=bool(errors),
        elapsed_ms=sum(h.elapsed_ms for h in http_logs),
        created_on=now,
    )
    session.add(log)
    return log
