"""flows.md §6.5 step 3: the URN an inbound message arrived on becomes the contact's preferred URN, so the
flow's next message (and every later one) goes to it. DECISION: a blocked contact's URNs keep their order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from sauti.domain.contacts import service as contacts
from sauti.kit import clock
from sauti.models import Contact, ContactURN
from tests.conftest import Backend, Tenant
from tests.domain.flow_support import Clock, World, definition, make_world, use_clock
from tests.domain.test_flow_runtime import start

FIRST, SECOND = "tel:+250788000001", "tel:+250788000002"


@pytest.fixture
def fixed_clock() -> Iterator[Clock]:
    c = use_clock()
    yield c
    clock.set_clock(None)


async def two_numbers(world: World) -> int:
    async with world.backend.sessionmaker() as session:
        ws = await world.ws(session)
        row = await contacts.create(session, ws, contacts.ContactInput(name="Ama", urns=[FIRST, SECOND]))
        await session.commit()
        return row.id


async def urn_order(world: World, contact_id: int) -> list[str]:
    async with world.backend.sessionmaker() as session:
        found = await session.execute(
            select(ContactURN.identity)
            .where(ContactURN.contact_id == contact_id)
            .order_by(ContactURN.priority.desc(), ContactURN.id)
        )
        return list(found.scalars())


async def sent_to(world: World, contact_id: int) -> list[tuple[str, str]]:
    async with world.backend.sessionmaker() as session:
        urns = {r.id: r.identity for r in await session.execute(select(ContactURN.id, ContactURN.identity))}
    return [(m.text, urns[m.contact_urn_id]) for m in await world.outgoing(contact_id) if m.contact_urn_id]


async def test_the_urn_written_on_becomes_preferred(backend: Backend, tenant: Tenant, fixed_clock: Clock) -> None:
    world = await make_world(backend, tenant, definition())
    ama = await two_numbers(world)
    assert await urn_order(world, ama) == [FIRST, SECOND]
    assert await start(world, [ama]) == 1  # the first question goes to the preferred number

    await world.receive(SECOND, "Ama")
    assert await urn_order(world, ama) == [SECOND, FIRST]
    # the answer came from the second number: the flow's next question goes there
    assert await sent_to(world, ama) == [
        ("Hi! What is your name?", FIRST),
        ("Thanks Ama. How old are you?", SECOND),
    ]
    # writing again on the preferred number changes nothing; on the other one, it turns back
    await world.receive(SECOND, "30")
    assert await urn_order(world, ama) == [SECOND, FIRST]
    await world.receive(FIRST, "hello")
    assert await urn_order(world, ama) == [FIRST, SECOND]


async def test_a_blocked_contact_keeps_its_order(backend: Backend, tenant: Tenant, fixed_clock: Clock) -> None:
    world = await make_world(backend, tenant, definition())
    ama = await two_numbers(world)
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        row = await session.get(Contact, ama)
        assert row is not None
        await contacts.set_status(session, ws, [row], "blocked")
        await session.commit()
    await world.receive(SECOND, "hi")
    assert await urn_order(world, ama) == [FIRST, SECOND]
