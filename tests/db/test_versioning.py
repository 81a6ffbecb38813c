"""The workspace's assets version (``db/versioning.py``) and what is kept under it (``domain/flows/assets.py``,
the kept triggers and web hook flags): a write to what sprints read moves it and the next reader sees the write;
the columns that change with every message do not move it; a transaction that moved it keeps nothing."""

from __future__ import annotations

from sqlalchemy import select, update

from sauti.domain.fields import service as fields
from sauti.domain.flows import assets, triggers
from sauti.domain.groups import membership
from sauti.domain.groups import service as groups
from sauti.kit import clock
from sauti.models import Channel, ContactGroup, Flow, Workspace
from tests.conftest import Backend, Tenant
from tests.domain.flow_support import make_world


async def _version(backend: Backend, workspace_id: int) -> int:
    async with backend.sessionmaker() as session:
        found = await session.scalar(select(Workspace.assets_version).where(Workspace.id == workspace_id))
        assert found is not None
        return found


async def _field_keys(backend: Backend, workspace_id: int, flow_id: int) -> list[str]:
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, workspace_id)
        flow = await session.get(Flow, flow_id)
        assert ws is not None and flow is not None
        loaded = await assets.load(session, ws, [flow])
        return sorted(f.key for f in loaded.fields)


async def test_a_new_field_moves_the_version_and_is_seen(backend: Backend, tenant: Tenant) -> None:
    world = await make_world(backend, tenant)
    assert await _field_keys(backend, world.workspace_id, world.flow_id) == ["age"]
    before = await _version(backend, world.workspace_id)
    async with backend.sessionmaker() as session:
        await fields.create(session, await world.ws(session), name="Town", value_type="text")
        await session.commit()
    assert await _version(backend, world.workspace_id) == before + 1
    assert await _field_keys(backend, world.workspace_id, world.flow_id) == ["age", "town"]


async def test_counts_and_last_seen_do_not_move_it(backend: Backend, tenant: Tenant) -> None:
    world = await make_world(backend, tenant)
    before = await _version(backend, world.workspace_id)
    async with backend.sessionmaker() as session:
        channel = await session.get(Channel, world.channel_id)
        group = (await session.execute(select(ContactGroup).where(ContactGroup.name == "Adults"))).scalar_one()
        assert channel is not None
        channel.last_seen = clock.now()
        group.member_count = group.member_count + 3
        await session.commit()
    assert await _version(backend, world.workspace_id) == before
    async with backend.sessionmaker() as session:  # a renamed group does
        group = (await session.execute(select(ContactGroup).where(ContactGroup.name == "Adults"))).scalar_one()
        await groups.edit(session, await world.ws(session), group.uuid, name="Grown-ups", query=group.query)
        await session.commit()
    assert await _version(backend, world.workspace_id) == before + 1


async def test_a_transaction_that_moved_it_keeps_nothing(backend: Backend, tenant: Tenant) -> None:
    world = await make_world(backend, tenant)
    assert await _field_keys(backend, world.workspace_id, world.flow_id) == ["age"]
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        await fields.create(session, ws, name="Town", value_type="text")
        await session.flush()
        flow = await session.get(Flow, world.flow_id)
        assert flow is not None
        seen = await assets.load(session, ws, [flow])  # its own uncommitted field
        assert sorted(f.key for f in seen.fields) == ["age", "town"]
        await session.rollback()
    assert await _field_keys(backend, world.workspace_id, world.flow_id) == ["age"]


async def test_a_new_trigger_is_matched_at_once(backend: Backend, tenant: Tenant) -> None:
    world = await make_world(backend, tenant)
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        assert await triggers.match(session, ws, 0, "join now", None) is None  # kept: no triggers
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        flow = await session.get(Flow, world.flow_id)
        assert flow is not None
        await triggers.create(session, ws, trigger_type="keyword", flow=flow, keywords=["join"])
        await session.commit()
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        found = await triggers.match(session, ws, 0, "join now", None)
        assert found is not None and found.trigger.flow_id == world.flow_id and found.keyword == "join"
    async with backend.sessionmaker() as session:  # archiving the flow (an ORM write) retires its trigger
        flow = await session.get(Flow, world.flow_id)
        assert flow is not None
        flow.is_archived = True
        await session.commit()
    async with backend.sessionmaker() as session:
        assert await triggers.match(session, await world.ws(session), 0, "join now", None) is None


async def test_core_writes_are_not_seen_without_a_move(backend: Backend, tenant: Tenant) -> None:
    """The documented limit: a Core UPDATE of a tracked table moves nothing (only counters are written so)."""
    world = await make_world(backend, tenant)
    before = await _version(backend, world.workspace_id)
    async with backend.sessionmaker() as session:
        await membership.apply(session, [], [])
        await session.execute(update(Flow).where(Flow.id == world.flow_id).values(runs_waiting=Flow.runs_waiting + 1))
        await session.commit()
    assert await _version(backend, world.workspace_id) == before
