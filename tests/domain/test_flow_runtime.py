"""The flow runtime against a real database: flow starts expanded by the worker (recipients, exclusions,
dedupe, progress), interruption (another flow, contact actions, blocking, deleting), and the timers of waiting
sessions (timeouts, expirations, stale timers, a broken row failing alone)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, update

from sauti.domain.contacts import actions as contact_actions
from sauti.domain.contacts import service as contacts
from sauti.domain.flows import runner, starts
from sauti.domain.flows.definitions import save_flow
from sauti.domain.groups import service as groups
from sauti.kit import clock
from sauti.models import Contact, Flow, FlowRun, FlowSession, FlowStart, FlowTimer, Message
from sauti.worker import flows as flow_work
from tests.conftest import Backend, Tenant
from tests.domain.flow_support import Clock, World, definition, make_world, use_clock


@pytest.fixture
def fixed_clock() -> Iterator[Clock]:
    c = use_clock()
    yield c
    clock.set_clock(None)


async def new_contact(world: World, phone: str, name: str) -> int:
    async with world.backend.sessionmaker() as session:
        ws = await world.ws(session)
        row = await contacts.create(session, ws, contacts.ContactInput(name=name, urns=[f"tel:{phone}"]))
        await session.commit()
        return row.id


async def start(world: World, contact_ids: list[int], flow_id: int | None = None, **kwargs: Any) -> int:
    async with world.backend.sessionmaker() as session:
        ws = await world.ws(session)
        flow = await session.get(Flow, flow_id or world.flow_id)
        assert flow is not None
        n = await runner.start_contacts(session, ws, flow, contact_ids, **kwargs)
        await session.commit()
        return n


async def drain(backend: Backend, worker: Any, round_: Any) -> int:
    total = 0
    for _ in range(50):
        done = await round_(backend.sessionmaker, worker.dialect, worker.id)
        if not done:
            return total
        total += done
    raise AssertionError("work never ran out")


async def one(backend: Backend, model: Any, *where: Any) -> Any:
    async with backend.sessionmaker() as session:
        return (await session.execute(select(model).where(*where))).scalar_one()


async def rows(backend: Backend, model: Any, *where: Any) -> list[Any]:
    async with backend.sessionmaker() as session:
        return list((await session.execute(select(model).where(*where).order_by(model.id))).scalars())


async def second_flow(world: World) -> int:
    data = definition()
    data["uuid"] = "5e1d43c4-3a8e-4b8c-9e37-2f2a9c1b7d11"
    data["name"] = "Second"
    async with world.backend.sessionmaker() as session:
        row = await save_flow(session, await world.ws(session), data)
        await session.commit()
        return row.id


async def test_start_expansion_with_exclusions(
    backend: Backend, tenant: Tenant, worker: Any, fixed_clock: Clock
) -> None:
    world = await make_world(backend, tenant, definition())
    other_flow = await second_flow(world)
    a = await new_contact(world, "+250788000001", "A")
    b = await new_contact(world, "+250788000002", "B")  # waits in another flow: exclude_active
    c = await new_contact(world, "+250788000003", "C")  # ran this flow before: restart_participants false
    d = await new_contact(world, "+250788000004", "D")  # blocked
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        group = await groups.create(session, ws, name="Members")
        await contacts.change_group(session, ws, await _contacts(session, [a, b, c, d]), group, True)
        blocked = await session.get(Contact, d)
        assert blocked is not None
        await contacts.set_status(session, ws, [blocked], "blocked")
        await session.commit()
        group_id = group.id
    assert await start(world, [b], other_flow) == 1
    assert await start(world, [c]) == 1
    await runner_end(world, c)

    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        flow = await session.get(Flow, world.flow_id)
        assert flow is not None
        created = await starts.create_start(
            session,
            ws,
            flow=flow,
            contacts=[a],
            groups=[group_id],
            urns=["tel:+250788000009", "tel:0788000001"],  # a new contact, and A again by a local number
            params={"source": "test"},
            restart_participants=False,
            exclude_active=True,
            start_type="api",
            created_by_id=None,
        )
        await session.commit()
        start_id = created.id
    pending = await one(backend, FlowStart, FlowStart.id == start_id)
    assert (pending.status, pending.contact_count, pending.run_count) == ("pending", -1, 0)

    await flow_work.expand_starts(backend.sessionmaker, worker.dialect, worker.id)
    queued = await one(backend, FlowStart, FlowStart.id == start_id)
    assert (queued.status, queued.contact_count) == ("queued", 2)  # A (once) and the new contact
    await drain(backend, worker, flow_work.expand_starts)
    done = await one(backend, FlowStart, FlowStart.id == start_id)
    assert (done.status, done.run_count) == ("completed", 2)

    new = await one(backend, Contact, Contact.id == done.urn_contact_ids[0])
    runs = await rows(backend, FlowRun, FlowRun.start_id == start_id)
    assert sorted(r.contact_id for r in runs) == sorted([a, new.id])
    assert all(r.status == "waiting" for r in runs)
    first = await rows(backend, Message, Message.contact_id.in_([a, new.id]), Message.direction == "out")
    assert [(m.text, m.high_priority, m.flow_id) for m in first] == [
        ("Hi! What is your name?", False, world.flow_id)
    ] * 2
    flow_row = await one(backend, Flow, Flow.id == world.flow_id)
    assert (flow_row.runs_waiting, flow_row.runs_interrupted) == (2, 1)
    # B still waits in the other flow, untouched
    b_session = await one(backend, FlowSession, FlowSession.contact_id == b)
    assert (b_session.status, b_session.current_flow_id) == ("waiting", other_flow)


async def _contacts(session: Any, ids: list[int]) -> list[Contact]:
    return list((await session.execute(select(Contact).where(Contact.id.in_(ids)).order_by(Contact.id))).scalars())


async def runner_end(world: World, contact_id: int) -> None:
    async with world.backend.sessionmaker() as session:
        assert await runner.interrupt_contacts(session, await world.ws(session), [contact_id]) == 1
        await session.commit()


async def test_create_start_refuses_bad_input(backend: Backend, tenant: Tenant) -> None:
    from sauti.domain.errors import Invalid

    world = await make_world(backend, tenant, definition())
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        flow = await session.get(Flow, world.flow_id)
        assert flow is not None
        for kwargs, code in (({"urns": []}, "missing_recipients"), ({"urns": ["foo:bar"]}, "invalid_urn")):
            with pytest.raises(Invalid) as caught:
                await starts.create_start(
                    session,
                    ws,
                    flow=flow,
                    contacts=[],
                    groups=[],
                    params=None,
                    restart_participants=True,
                    exclude_active=False,
                    start_type="api",
                    created_by_id=None,
                    **kwargs,
                )
            assert caught.value.problems[0].code == code
        assert await session.scalar(select(func.count()).select_from(FlowStart)) == 0


async def test_interruption(backend: Backend, tenant: Tenant, fixed_clock: Clock) -> None:
    world = await make_world(backend, tenant, definition())
    other_flow = await second_flow(world)
    a = await new_contact(world, "+250788000001", "A")
    assert await start(world, [a]) == 1
    # skip mode leaves a contact in a flow alone; passive background-like starts don't touch it
    assert await start(world, [a], other_flow, mode="skip") == 0
    # another messaging flow interrupts the waiting one
    assert await start(world, [a], other_flow) == 1
    first, second = await rows(backend, FlowSession, FlowSession.contact_id == a)
    assert (first.status, second.status) == ("interrupted", "waiting")
    run = await one(backend, FlowRun, FlowRun.session_id == first.id)
    assert run.status == "interrupted" and run.exited_on is not None
    assert all(t.status == "skipped" for t in await rows(backend, FlowTimer, FlowTimer.session_id == first.id))
    flow_row = await one(backend, Flow, Flow.id == world.flow_id)
    assert (flow_row.runs_waiting, flow_row.runs_interrupted) == (0, 1)
    assert (await one(backend, Contact, Contact.id == a)).current_flow_id == other_flow

    # the contact action interrupts for real
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        contact = await session.get(Contact, a)
        assert contact is not None
        await contact_actions.apply(session, ws, contact_actions.ContactAction([contact.uuid], "interrupt"))
        await session.commit()
    assert (await one(backend, FlowSession, FlowSession.id == second.id)).status == "interrupted"
    assert (await one(backend, Contact, Contact.id == a)).current_flow_id is None

    # blocking and deleting a contact end its session
    b = await new_contact(world, "+250788000002", "B")
    c = await new_contact(world, "+250788000003", "C")
    assert await start(world, [b, c]) == 2
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        found = await _contacts(session, [b, c])
        await contacts.set_status(session, ws, [found[0]], "blocked")
        await contacts.delete_contacts(session, ws, [found[1]])
        await session.commit()
    ended = await rows(backend, FlowSession, FlowSession.contact_id.in_([b, c]))
    assert [s.status for s in ended] == ["interrupted", "interrupted"]
    flow_row = await one(backend, Flow, Flow.id == world.flow_id)
    assert (flow_row.runs_waiting, flow_row.runs_interrupted) == (0, 3)


async def test_timeout_then_expiry_and_stale_timers(
    backend: Backend, tenant: Tenant, worker: Any, fixed_clock: Clock
) -> None:
    world = await make_world(backend, tenant, definition())
    a = await new_contact(world, "+250788000001", "A")
    assert await start(world, [a]) == 1
    session_row = await one(backend, FlowSession, FlowSession.contact_id == a)
    timers = await rows(backend, FlowTimer, FlowTimer.session_id == session_row.id)
    assert sorted(t.kind for t in timers) == ["session_expiration", "wait_expiration"]  # the first wait: no timeout
    await world.receive("tel:+250788000001", "Amina")
    waiting = await rows(backend, FlowTimer, FlowTimer.session_id == session_row.id, FlowTimer.status == "waiting")
    assert sorted(t.kind for t in waiting) == ["session_expiration", "wait_expiration", "wait_timeout"]

    # a timer of an older sprint is stale: skipped, the session untouched
    async with backend.sessionmaker() as session:
        session.add(
            FlowTimer(
                workspace_id=world.workspace_id, session_id=session_row.id, kind="wait_timeout",
                sprint_uuid="00000000-0000-4000-8000-000000000000", due_on=clock.now(), status="waiting",
                created_on=clock.now(), modified_on=clock.now(),
            )
        )  # fmt: skip
        await session.commit()
    assert await flow_work.fire_due(backend.sessionmaker, worker.dialect, worker.id) == 1
    stale = await one(backend, FlowTimer, FlowTimer.sprint_uuid == "00000000-0000-4000-8000-000000000000")
    assert stale.status == "skipped"
    assert (await one(backend, FlowSession, FlowSession.id == session_row.id)).status == "waiting"

    fixed_clock.advance(seconds=3599)
    assert await flow_work.fire_due(backend.sessionmaker, worker.dialect, worker.id) == 0  # not due yet
    fixed_clock.advance(seconds=2)
    assert await flow_work.fire_due(backend.sessionmaker, worker.dialect, worker.id) == 1
    done = await one(backend, FlowSession, FlowSession.id == session_row.id)
    assert done.status == "completed"
    run = await one(backend, FlowRun, FlowRun.session_id == session_row.id)
    assert run.status == "completed"
    assert (run.results["age"]["value"], run.results["age"]["category"]) == ("", "No Response")
    texts = [m.text for m in await rows(backend, Message, Message.contact_id == a, Message.direction == "out")]
    assert texts[-1] == "Thank you Amina, you're all set."
    left = await rows(backend, FlowTimer, FlowTimer.session_id == session_row.id, FlowTimer.id != stale.id)
    assert sorted((t.kind, t.status) for t in left) == [
        ("session_expiration", "skipped"),
        ("wait_expiration", "skipped"),
        ("wait_expiration", "skipped"),
        ("wait_timeout", "fired"),
    ]

    # a wait that expires: the run ends expired
    b = await new_contact(world, "+250788000002", "B")
    assert await start(world, [b]) == 1
    fixed_clock.advance(minutes=1441)
    assert await flow_work.fire_due(backend.sessionmaker, worker.dialect, worker.id) == 1
    run_b = await one(backend, FlowRun, FlowRun.contact_id == b)
    assert run_b.status == "expired" and run_b.exited_on is not None
    assert (await one(backend, Contact, Contact.id == b)).current_flow_id is None
    flow_row = await one(backend, Flow, Flow.id == world.flow_id)
    assert (flow_row.runs_waiting, flow_row.runs_completed, flow_row.runs_expired) == (0, 1, 1)


async def test_session_expiration_and_a_broken_timer(
    backend: Backend, tenant: Tenant, worker: Any, fixed_clock: Clock
) -> None:
    world = await make_world(backend, tenant, definition())
    a = await new_contact(world, "+250788000001", "A")
    b = await new_contact(world, "+250788000002", "B")
    assert await start(world, [a, b]) == 2
    sa, sb = await rows(backend, FlowSession)
    async with backend.sessionmaker() as session:
        # B's session state is unreadable; both session expirations are due now
        await session.execute(update(FlowSession).where(FlowSession.id == sb.id).values(state={"broken": True}))
        await session.execute(
            update(FlowTimer).where(FlowTimer.kind == "session_expiration").values(due_on=clock.now())
        )
        await session.execute(
            update(FlowTimer).where(FlowTimer.kind == "wait_expiration", FlowTimer.session_id == sb.id)
            .values(due_on=clock.now())
        )  # fmt: skip
        await session.commit()
    assert await flow_work.fire_due(backend.sessionmaker, worker.dialect, worker.id) == 3
    assert (await one(backend, FlowSession, FlowSession.id == sa.id)).status == "expired"
    assert (await one(backend, FlowRun, FlowRun.session_id == sa.id)).status == "expired"
    failed = await rows(backend, FlowTimer, FlowTimer.session_id == sb.id, FlowTimer.status == "failed")
    assert len(failed) == 2 and all(t.failure for t in failed)
    assert (await one(backend, FlowSession, FlowSession.id == sb.id)).status == "waiting"


async def test_passive_starts(backend: Backend, tenant: Tenant, fixed_clock: Clock) -> None:
    """DECISION: a passive start leaves the waiting session alone, unless the new session waits too: a contact
    waits in one session at most, so the older one is then interrupted."""
    world = await make_world(backend, tenant, definition())
    other_flow = await second_flow(world)
    brief = definition()
    brief.update(uuid="5e1d43c4-3a8e-4b8c-9e37-2f2a9c1b7d12", name="Brief", localization={})
    brief["nodes"] = [brief["nodes"][2]]  # only the thank-you node: it never waits
    async with backend.sessionmaker() as session:
        brief_id = (await save_flow(session, await world.ws(session), brief)).id
        await session.commit()
    a = await new_contact(world, "+250788000001", "A")
    assert await start(world, [a]) == 1
    assert await start(world, [a], brief_id, mode="passive") == 1
    first, done = await rows(backend, FlowSession, FlowSession.contact_id == a)
    assert (first.status, done.status) == ("waiting", "completed")
    assert (await one(backend, Contact, Contact.id == a)).current_flow_id == world.flow_id

    assert await start(world, [a], other_flow, mode="passive") == 1
    statuses = [s.status for s in await rows(backend, FlowSession, FlowSession.contact_id == a)]
    assert statuses == ["interrupted", "completed", "waiting"]
    assert (await one(backend, Contact, Contact.id == a)).current_flow_id == other_flow


async def test_a_start_that_cannot_expand_fails_and_the_others_go_on(
    backend: Backend, tenant: Tenant, other: Tenant, worker: Any, fixed_clock: Clock
) -> None:
    world = await make_world(backend, tenant, definition())
    theirs = await make_world(backend, other, definition())
    a = await new_contact(world, "+250788000001", "A")
    b = await new_contact(theirs, "+250788000002", "B")
    async with backend.sessionmaker() as session:
        for w, contact_id, urn_list in ((world, a, ["not a urn"]), (theirs, b, [])):
            ws = await w.ws(session)
            flow = await session.get(Flow, w.flow_id)
            assert flow is not None
            # recorded as a caller that skipped validation might: the URN cannot be read at expansion
            await starts.record(
                session, ws, flow=flow, contact_ids=[contact_id], group_ids=[], urns=urn_list, params={},
                restart_participants=True, exclude_active=False, start_type="api", created_by_id=None,
            )  # fmt: skip
        await session.commit()
    await drain(backend, worker, flow_work.expand_starts)
    bad, good = await rows(backend, FlowStart)
    assert bad.status == "failed" and bad.failure and bad.claimed_by is None
    assert (good.status, good.run_count) == ("completed", 1)
    assert (await one(backend, FlowSession, FlowSession.contact_id == b)).status == "waiting"
