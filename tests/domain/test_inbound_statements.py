"""How many SQL statements one inbound message costs through ``receive``, pinned: a message a waiting session
takes, and one no flow wants. An extra look-up of the same row, or a savepoint opened for nothing, fails here
(bench/flows.py measures what these cost).

Neither driver begins with a statement the cursor event sees (SQLite's driver begins before the first write).
Bulk inserts (the reply, the new timer) go to the driver's executemany, which the cursor event does not see, except
on PostgreSQL, where they are parts of the session's one statement of writes (``db.bulk.Writes``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from sauti.channels.base import Incoming
from sauti.domain.flows import runner
from sauti.domain.messages.receive import receive
from sauti.kit import clock
from sauti.models import Channel, Contact, ContactURN, Flow, Message
from tests.conftest import Backend, Tenant, add_channel
from tests.domain.flow_support import Clock, World, make_world, use_clock

URN = "tel:+250788123123"

# the sender with all its URNs in priority order (one statement: the arrival URN becomes the preferred one and the
# flow's contact is built from these rows, not read again), UPDATE the contact (last_seen_on), the waiting session,
# INSERT message (naming the flow), SAVEPOINT, the contact's values and groups (one statement), UPDATE timers, run
# and session, RELEASE, UPDATE the channel. On PostgreSQL the UPDATEs of timers, run and session go as one
# statement with the INSERTs of the new timers and the reply (``db.bulk.Writes``: 3 counted here become 1, and
# the two executemany this does not count are in it), and the RELEASE is left to the commit (``db.direct.Dialect``).
# Not read while the workspace's assets version stands (kept per process): the flows, fields, groups, senders,
# triggers, the campaign events on last_seen_on and whether there are web hooks; not read before being written: the
# session's runs.
THROUGH_A_FLOW = {"sqlite": 11, "postgres": 8}
# the sender with its URNs, UPDATE contact, waiting session, INSERT message, auto reply, UPDATE channel (the
# triggers, campaign events and web hooks are kept, as above)
NO_FLOW = {"sqlite": 6, "postgres": 6}
# as NO_FLOW, with the URN's move to the message's channel: its own UPDATE on SQLite, one statement with the
# UPDATE of the contact on PostgreSQL (``db.bulk.Writes``)
ON_ANOTHER_CHANNEL = {"sqlite": 7, "postgres": 6}


@pytest.fixture
def fixed_clock() -> Iterator[Clock]:
    c = use_clock()
    yield c
    clock.set_clock(None)


@asynccontextmanager
async def counted(backend: Backend) -> AsyncIterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    for engine in backend.engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in backend.engines:
            event.remove(engine, "before_cursor_execute", record)


async def _receive(world: World, text: str, urn: str = URN, channel_id: int | None = None) -> tuple[Message, list[str]]:
    async with world.backend.sessionmaker() as session:
        ws = await world.ws(session)
        channel = await session.get(Channel, channel_id or world.channel_id)
        assert channel is not None
        await session.commit()
        async with counted(world.backend) as statements:
            message, _ = await receive(session, ws, channel, Incoming(urn=urn, text=text))
            await session.commit()
        return message, statements


async def test_a_message_a_waiting_session_takes(backend: Backend, tenant: Tenant, fixed_clock: Clock) -> None:
    world = await make_world(backend, tenant)
    await _receive(world, "hello")  # the contact exists, waits in no flow
    contact = await world.contact(URN)
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        flow = await session.get(Flow, world.flow_id)
        assert flow is not None
        assert await runner.start_contacts(session, ws, flow, [contact.id]) == 1
        await session.commit()

    message, statements = await _receive(world, "Amina")

    assert len(statements) == THROUGH_A_FLOW[backend.name], "\n".join(statements)
    async with backend.sessionmaker() as session:
        stored = await session.get(Message, message.id)
        assert stored is not None and stored.status == "handled" and stored.flow_id == world.flow_id
        replies = (
            await session.execute(select(Message.text).where(Message.direction == "out").order_by(Message.id))
        ).scalars()
        assert list(replies)[-1] == "Thanks Amina. How old are you?"


async def test_a_message_no_flow_wants(backend: Backend, tenant: Tenant, fixed_clock: Clock) -> None:
    world = await make_world(backend, tenant)
    await _receive(world, "hello")

    message, statements = await _receive(world, "hello again")

    assert len(statements) == NO_FLOW[backend.name], "\n".join(statements)
    async with backend.sessionmaker() as session:
        stored = await session.get(Message, message.id)
        assert stored is not None and stored.status == "handled" and stored.flow_id is None
        contact = await session.get(Contact, stored.contact_id)
        assert contact is not None and contact.last_seen_on is not None
        channel = await session.get(Channel, world.channel_id)  # written at the commit, with the same time
        assert channel is not None and channel.last_seen == stored.modified_on


async def test_a_message_on_another_channel(backend: Backend, tenant: Tenant, fixed_clock: Clock) -> None:
    world = await make_world(backend, tenant)
    first, _ = await _receive(world, "hello")
    other = await add_channel(backend, tenant, name="Second", address="+250788000001")
    await _receive(world, "hi", "tel:+250788999999", other.id)  # the new assets version's reads, kept

    message, statements = await _receive(world, "hello again", channel_id=other.id)

    assert len(statements) == ON_ANOTHER_CHANNEL[backend.name], "\n".join(statements)
    async with backend.sessionmaker() as session:
        stored = await session.get(Message, message.id)
        assert stored is not None and stored.channel_id == other.id
        urn = await session.get(ContactURN, stored.contact_urn_id)
        assert urn is not None and urn.channel_id == other.id  # answered on the channel it wrote on
        contact = await session.get(Contact, stored.contact_id)
        assert contact is not None and contact.last_seen_on is not None and contact.last_seen_on > first.modified_on
        assert contact.modified_on == contact.last_seen_on
