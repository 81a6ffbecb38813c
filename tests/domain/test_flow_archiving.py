"""Archiving a flow interrupts the sessions waiting in it (and only those), and restoring makes it usable again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sauti.domain.flows import archiving
from sauti.kit import clock
from sauti.models import Contact, Flow, FlowRun, FlowSession, FlowTimer
from tests.conftest import Backend, Tenant
from tests.domain.flow_support import Clock, definition, make_world, use_clock
from tests.domain.test_flow_runtime import new_contact, one, rows, second_flow, start


@pytest.fixture
def fixed_clock() -> Iterator[Clock]:
    c = use_clock()
    yield c
    clock.set_clock(None)


async def test_archiving_ends_the_flows_sessions(backend: Backend, tenant: Tenant, fixed_clock: Clock) -> None:
    world = await make_world(backend, tenant, definition())
    other_flow = await second_flow(world)
    a = await new_contact(world, "+250788000001", "A")
    b = await new_contact(world, "+250788000002", "B")
    c = await new_contact(world, "+250788000003", "C")
    assert await start(world, [a, b]) == 2
    assert await start(world, [c], other_flow) == 1

    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        flow = await session.get(Flow, world.flow_id)
        assert flow is not None
        assert await archiving.archive(session, ws, flow) == 2
        assert await archiving.archive(session, ws, flow) == 0  # already archived: nothing more
        await session.commit()

    sessions = {s.contact_id: s for s in await rows(backend, FlowSession)}
    assert (sessions[a].status, sessions[b].status, sessions[c].status) == ("interrupted", "interrupted", "waiting")
    assert all(r.status == "interrupted" for r in await rows(backend, FlowRun, FlowRun.flow_id == world.flow_id))
    timers = await rows(backend, FlowTimer, FlowTimer.session_id.in_([sessions[a].id, sessions[b].id]))
    assert timers and all(t.status == "skipped" for t in timers)
    assert (await one(backend, Contact, Contact.id == a)).current_flow_id is None
    assert (await one(backend, Contact, Contact.id == c)).current_flow_id == other_flow
    archived = await one(backend, Flow, Flow.id == world.flow_id)
    assert archived.is_archived and (archived.runs_waiting, archived.runs_interrupted) == (0, 2)

    # an answer now resumes nothing: the contact is in no flow
    await world.receive("tel:+250788000001", "Amina")
    assert [m.text for m in await world.outgoing(a)] == ["Hi! What is your name?"]

    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        flow = await session.get(Flow, world.flow_id)
        assert flow is not None
        assert await archiving.restore(session, ws, flow) is True
        assert await archiving.restore(session, ws, flow) is False
        await session.commit()
    restored = await one(backend, Flow, Flow.id == world.flow_id)
    assert not restored.is_archived
    # the interrupted sessions stay ended; a new start works again
    assert (await one(backend, FlowSession, FlowSession.id == sessions[a].id)).status == "interrupted"
    assert await start(world, [a]) == 1
