"""Use cases for channels: add, remove, and the plain view a channel type gets of one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.channels import registry
from sauti.channels.base import ChannelInfo
from sauti.domain.channels import queries
from sauti.domain.errors import ErrorCollector, Invalid, NotFound
from sauti.kit import clock
from sauti.kit.urns import PUBLIC_SCHEMES
from sauti.models import Channel, Message, Workspace

MAX_CHANNELS = 10


async def add(
    session: AsyncSession,
    workspace: Workspace,
    *,
    channel_type: str,
    name: str,
    address: str = "",
    country: str | None = None,
    schemes: list[str] | None = None,
    role: str = "SR",
    tps: int | None = None,
    config: dict[str, Any] | None = None,
) -> Channel:
    kind = registry.by_code(channel_type.upper()) or registry.by_slug(channel_type.lower())
    if kind is None:
        known = [f"{t.code} ({t.slug})" for t in registry.all_types()]
        raise Invalid.field("type", "channel_type_unknown", value=channel_type, choices=known)
    config = dict(config or {})
    errors = ErrorCollector()
    for problem in kind.check_config(config):
        errors.add("config", "channel_config", key="", problem=problem)
    schemes = list(schemes or kind.schemes)
    bad = [s for s in schemes if s not in PUBLIC_SCHEMES]
    if bad:
        errors.add("schemes", "schemes_unknown", values=bad)
    if not name.strip() or len(name) > 64:
        errors.add("name", "channel_name")
    if tps is not None and tps < 1:
        errors.add("tps", "channel_tps")
    if not set(role) <= set("SRCAU") or not role:
        errors.add("role", "channel_role")
    errors.raise_if_any()
    now = clock.now()
    channel = Channel(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        channel_type=kind.code,
        name=name,
        address=address,
        country=country.upper() if country else workspace.country,
        schemes=schemes,
        role=role,
        tps=tps,
        config=config,
        is_enabled=True,
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    session.add(channel)
    await session.flush()
    return channel


async def test_channel(session: AsyncSession, uuid: str) -> Channel:
    """The active test channel with this UUID (whatever its workspace: the UUID is the credential, as for a
    provider's callback); a channel of another type is refused with a clear reason."""
    channel = await queries.active_by_uuid(session, uuid)
    if channel is None:
        raise NotFound("channel", uuid)
    if channel.channel_type != "TST":
        raise Invalid.field("channel", "not_a_test_channel", ref=uuid)
    return channel


async def remove(session: AsyncSession, workspace: Workspace, uuid: str) -> Channel:
    channel = await queries.by_uuid(session, workspace, uuid)
    if channel is None:
        raise NotFound("channel", uuid)
    now = clock.now()
    channel.is_active = False
    channel.is_enabled = False
    channel.modified_on = now
    # what was waiting to go out through it fails now (reason R: channel removed) instead of waiting forever
    await session.execute(
        sql_update(Message)
        .where(
            Message.channel_id == channel.id,
            Message.direction == "out",
            Message.status.in_(("initializing", "queued", "errored")),
            Message.claimed_by.is_(None),
        )
        .values(status="failed", failed_reason="R", modified_on=now)
    )
    await session.flush()
    return channel


def info(channel: Channel, callback_base: str) -> ChannelInfo:
    return ChannelInfo(
        uuid=channel.uuid,
        channel_type=channel.channel_type,
        name=channel.name,
        address=channel.address,
        country=channel.country,
        schemes=tuple(channel.schemes or ()),
        config=dict(channel.config or {}),
        callback_base=callback_base,
    )
