"""Shared set-up of the flow runtime tests: a workspace with a channel, an ``age`` field, a smart group of adults
and the three-node registration flow of flows.md §1.9, all through the domain."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.channels.base import Incoming
from sauti.domain.fields import service as fields
from sauti.domain.flows.definitions import save_flow
from sauti.domain.groups import service as groups
from sauti.domain.messages.receive import receive
from sauti.kit import clock
from sauti.models import Channel, Contact, ContactURN, Flow, Message, Workspace
from tests.conftest import Backend, Tenant, add_channel

DEFS = Path(__file__).parent / "flow_defs"
T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


def definition(name: str = "registration") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEFS / f"{name}.json").read_text())
    return copy.deepcopy(data)


def welcome_first(data: dict[str, Any]) -> dict[str, Any]:
    """The flow with a first node that only says welcome: a keyword's message is then not taken as the answer
    to the first question (the engine's skip rule routes a first-node wait on the triggering message)."""
    data["nodes"].insert(
        0,
        {
            "uuid": "b0000000-0000-4000-8000-000000000000",
            "actions": [
                {"uuid": "a1f3c2d4-0000-4a5b-8c6d-000000000000", "type": "send_msg", "text": "Welcome!"}
            ],
            "exits": [
                {"uuid": "e0000000-0000-4000-8000-000000000001",
                 "destination_uuid": "b0000000-0000-4000-8000-000000000001"}
            ],
        },
    )  # fmt: skip
    return data


class Clock:
    """The injected clock: moves only when a test says so (plus a microsecond per read, so rows order)."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class World:
    backend: Backend
    workspace_id: int
    channel_id: int
    flow_id: int

    async def ws(self, session: AsyncSession) -> Workspace:
        ws = await session.get(Workspace, self.workspace_id)
        assert ws is not None
        return ws

    async def receive(self, urn: str, text: str) -> Message:
        async with self.backend.sessionmaker() as session:
            ws = await self.ws(session)
            channel = await session.get(Channel, self.channel_id)
            assert channel is not None
            message, _ = await receive(session, ws, channel, Incoming(urn=urn, text=text))
            await session.commit()
            return message

    async def contact(self, urn: str) -> Contact:
        async with self.backend.sessionmaker() as session:
            row = (
                await session.execute(
                    select(Contact)
                    .join(ContactURN, ContactURN.contact_id == Contact.id)
                    .where(ContactURN.identity == urn)
                )
            ).scalar_one()
            return row

    async def outgoing(self, contact_id: int) -> list[Message]:
        async with self.backend.sessionmaker() as session:
            rows = await session.execute(
                select(Message).where(Message.contact_id == contact_id, Message.direction == "out").order_by(Message.id)
            )
            return list(rows.scalars())

    async def flow(self) -> Flow:
        async with self.backend.sessionmaker() as session:
            row = await session.get(Flow, self.flow_id)
            assert row is not None
            return row


async def make_world(backend: Backend, tenant: Tenant, flow: dict[str, Any] | None = None) -> World:
    channel = await add_channel(backend, tenant)
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        await fields.create(session, ws, name="Age", value_type="number")
        await groups.create(session, ws, name="Adults", query="age >= 18")
        row = await save_flow(session, ws, flow or welcome_first(definition()))
        await session.commit()
        return World(backend, ws.id, channel.id, row.id)


def use_clock() -> Clock:
    c = Clock()
    clock.set_clock(c)
    return c
