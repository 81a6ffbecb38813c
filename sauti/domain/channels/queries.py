"""Every select for channels."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import entities, plain
from sauti.domain.scope import scoped
from sauti.models import Channel, Workspace


def listing(workspace: Workspace) -> Select[Channel]:
    return scoped(Channel, workspace).where(Channel.is_active)


def select_channels(workspace: Workspace, uuid: str | None = None, address: str | None = None) -> Select[Channel]:
    stmt = listing(workspace)
    if uuid is not None:
        stmt = stmt.where(Channel.uuid == uuid)
    if address is not None:
        stmt = stmt.where(Channel.address == address)
    return stmt


async def by_uuid(session: AsyncSession, workspace: Workspace, uuid: str) -> Channel | None:
    found: Channel | None = (await session.execute(listing(workspace).where(Channel.uuid == uuid))).scalar()
    return found


# every inbound message begins here: one statement built once, of plain columns made into the session's objects
# (db/entities.py), where the ORM's load of the channel and then of its workspace cost several times their rows
_FOR_CALLBACK: Final = (
    select(*entities.columns(Channel, "c_"), *entities.columns(Workspace, "w_"))
    .join(Workspace, Workspace.id == Channel.workspace_id)
    .where(Channel.uuid == bindparam("uuid"), Channel.channel_type == bindparam("channel_type"), Channel.is_active)
)


async def for_callback(session: AsyncSession, channel_type: str, uuid: str) -> tuple[Channel, Workspace] | None:
    """The channel a provider's callback names (its UUID is the only credential some types have) and the
    channel's workspace, as the session's objects (those it holds already, as an ORM select would answer)."""
    row = (await plain.rows(session, _FOR_CALLBACK, {"uuid": uuid, "channel_type": channel_type})).first()
    if row is None:
        return None
    channel = entities.adopt(session, entities.detached(Channel, row, "c_"))
    return channel, entities.adopt(session, entities.detached(Workspace, row, "w_"))


async def active_by_uuid(session: AsyncSession, uuid: str) -> Channel | None:
    stmt = select(Channel).where(Channel.uuid == uuid, Channel.is_active)
    found: Channel | None = (await session.execute(stmt)).scalar()
    return found


async def senders(session: AsyncSession, workspace: Workspace) -> list[Channel]:
    """Enabled channels that can send, oldest first (the default choice for a URN scheme)."""
    stmt = listing(workspace).where(Channel.is_enabled, Channel.role.contains("S")).order_by(Channel.id)
    return list((await session.execute(stmt)).scalars())
