"""The one mechanism for due work: claims are served by the kind's partial index (EXPLAIN on both databases),
lanes go in order, partitions are found by walking the index, concurrent workers never take the same row, and
a row whose handling fails is marked failed while the others are handled."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sauti.domain.broadcasts import service as broadcast_service
from sauti.domain.groups import service as group_service
from sauti.kit import clock
from sauti.models import Broadcast, Contact, GroupMember, Message
from sauti.worker import claims
from sauti.worker.outbox import OUTBOX
from sauti.worker.scheduler import BROADCASTS
from tests.api.rapidpro.helpers import create_contact
from tests.conftest import Backend, Tenant, add_channel

pytestmark = pytest.mark.usefixtures("app")


async def _plan(conn: AsyncConnection, stmt: Any) -> str:
    """The database's own plan for ``stmt``, as text."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    sql = compiled.string
    # the values as the columns' types bind them (datetimes are stored naive UTC)
    params = [
        v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo else v
        for v in (compiled.params[k] for k in compiled.positiontup)
    ]
    if conn.dialect.name == "sqlite":
        rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple(params))).all()
        return "\n".join(str(r[-1]) for r in rows)
    await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # tiny tables: make the planner show its index
    await conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    plan = (await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, tuple(params))).scalar_one()
    return json.dumps(plan if not isinstance(plan, str) else json.loads(plan))


async def _queue(backend: Backend, tenant: Tenant, channel_id: int, contact_id: int, n: int, **values: Any) -> None:
    now = clock.now()
    async with backend.sessionmaker() as session:
        await session.execute(
            insert(Message),
            [
                {
                    "uuid": clock.new_uuid(),
                    "workspace_id": tenant.workspace.id,
                    "contact_id": contact_id,
                    "channel_id": channel_id,
                    "direction": "out",
                    "status": "queued",
                    "text": f"m{i}",
                    "attachments": [],
                    "quick_replies": [],
                    "high_priority": False,
                    "next_attempt": now - timedelta(seconds=n - i),
                    "created_on": now,
                    "modified_on": now,
                    **values,
                }
                for i in range(n)
            ],
        )
        await session.commit()


@pytest.fixture
async def setup(client: Any, backend: Backend, tenant: Tenant) -> tuple[int, int, int]:
    one = await add_channel(backend, tenant, name="One")
    two = await add_channel(backend, tenant, name="Two", address="+250788000001")
    joe = await create_contact(client, urns=["tel:+250788123123"])
    async with backend.sessionmaker() as session:
        contact_id = (await session.execute(select(Contact.id).where(Contact.uuid == joe["uuid"]))).scalar_one()
    return one.id, two.id, contact_id


async def test_every_claim_query_is_one_range_of_the_partial_index(
    backend: Backend, tenant: Tenant, setup: tuple[int, int, int]
) -> None:
    one, two, contact = setup
    await _queue(backend, tenant, one, contact, 30)
    await _queue(backend, tenant, two, contact, 5, high_priority=True)
    now = clock.now()
    async with backend.engine.connect() as conn:
        for kind, lane, index in (
            (OUTBOX, OUTBOX.lanes[0], "ix_messages_waiting"),
            (OUTBOX, OUTBOX.lanes[1], "ix_messages_waiting"),
            (BROADCASTS, BROADCASTS.lanes[0], "ix_broadcasts_waiting"),
        ):
            plan = await _plan(conn, claims.pick(kind, one, lane, now, 50))
            assert index in plan, plan
            if backend.name == "sqlite":
                assert "TEMP B-TREE" not in plan, plan  # the index gives the order: no sort of the backlog
            else:
                assert '"Node Type": "Sort"' not in plan, plan
            await conn.rollback()
        walk = select(func.min(Message.channel_id)).where(OUTBOX.waiting, Message.channel_id > one)
        plan = await _plan(conn, walk)
        assert "ix_messages_waiting" in plan, plan
        await conn.rollback()


async def test_lanes_order_and_partitions(backend: Backend, tenant: Tenant, setup: tuple[int, int, int]) -> None:
    one, two, contact = setup
    await _queue(backend, tenant, one, contact, 4)
    await _queue(backend, tenant, one, contact, 2, high_priority=True)
    await _queue(backend, tenant, two, contact, 1, next_attempt=clock.now() + timedelta(hours=1))  # not due yet
    async with backend.sessionmaker() as session:
        assert await claims.partitions(session, OUTBOX) == sorted([one, two])
        taken = await claims.claim(session, OUTBOX, "w1", one, 3, backend.name)
        rows = {m.id: m for m in (await session.execute(select(Message).where(Message.id.in_(taken)))).scalars()}
        assert [rows[i].high_priority for i in taken] == [True, True, False]  # replies before bulk
        assert all(rows[i].claimed_by == "w1" for i in taken)
        assert await claims.claim(session, OUTBOX, "w2", two, 10, backend.name) == []  # due in an hour
        await claims.release(session, OUTBOX, taken[:1], "w1")
        await session.commit()
        again = await claims.claim(session, OUTBOX, "w2", one, 10, backend.name)
        await session.commit()
    assert taken[0] in again and not set(taken[1:]) & set(again) and len(again) == 4


async def test_concurrent_claims_never_take_the_same_row(
    backend: Backend, tenant: Tenant, setup: tuple[int, int, int]
) -> None:
    one, _, contact = setup
    await _queue(backend, tenant, one, contact, 300)

    async def grab(worker: str) -> list[int]:
        got: list[int] = []
        while True:
            async with backend.sessionmaker() as session:
                ids = await claims.claim(session, OUTBOX, worker, one, 7, backend.name)
                await session.commit()
            if not ids:
                return got
            got.extend(ids)

    results = await asyncio.gather(*(grab(f"w{i}") for i in range(4)))
    every = [i for r in results for i in r]
    assert len(every) == len(set(every)) == 300
    async with backend.sessionmaker() as session:
        owners = dict((await session.execute(select(Message.id, Message.claimed_by))).all())
    for worker, ids in zip((f"w{i}" for i in range(4)), results, strict=True):
        assert all(owners[i] == worker for i in ids)


async def test_a_failing_row_is_marked_failed_and_the_rest_are_handled(
    backend: Backend, tenant: Tenant, setup: tuple[int, int, int]
) -> None:
    one, _, contact = setup
    await _queue(backend, tenant, one, contact, 5)
    async with backend.sessionmaker() as session:
        ids = await claims.claim(session, OUTBOX, "w1", one, 5, backend.name)
        await session.commit()
    handled: list[int] = []
    poison = ids[2]

    async def handle(batch: Sequence[int]) -> None:
        if poison in batch:
            raise ValueError(f"cannot handle {poison}")
        handled.extend(batch)
        async with backend.sessionmaker() as session:
            await claims.release(session, OUTBOX, batch, "w1")
            await session.commit()

    await claims.run_isolated(backend.sessionmaker, OUTBOX, "w1", ids, handle)
    assert sorted(handled) == sorted(set(ids) - {poison})
    async with backend.sessionmaker() as session:
        bad = await session.get(Message, poison)
        assert bad is not None
        assert (bad.status, bad.failed_reason, bad.claimed_by) == ("failed", "X", None)
        assert bad.failure == f"ValueError: cannot handle {poison}"


async def test_broadcasts_are_shared_fairly_between_workspaces(
    client: Any, backend: Backend, tenant: Tenant, worker: Any
) -> None:
    from tests.conftest import make_tenant

    other = await make_tenant(backend, "Second", "b@second.org", country="RW")
    now = clock.now()
    async with backend.sessionmaker() as session:
        for ws, n in ((tenant.workspace.id, 3), (other.workspace.id, 1)):
            for i in range(n):
                session.add(
                    Broadcast(
                        uuid=clock.new_uuid(),
                        workspace_id=ws,
                        status="queued",
                        translations={"eng": {"text": "x"}},
                        base_language="eng",
                        urns=[],
                        contact_ids=[],
                        urn_contact_ids=[],
                        group_ids=[],
                        due_on=now - timedelta(minutes=10 - i),
                        created_on=now,
                        modified_on=now,
                    )
                )
        await session.commit()
        assert await claims.partitions(session, BROADCASTS) == sorted([tenant.workspace.id, other.workspace.id])
    from sauti.worker import scheduler

    await scheduler.expand_broadcasts(backend.sessionmaker, backend.name, worker.id)
    async with backend.sessionmaker() as session:
        done = (await session.execute(select(Broadcast.workspace_id).where(Broadcast.status == "completed"))).all()
    # one round: the oldest broadcast of each workspace, not the three of the busier one
    assert sorted(w for (w,) in done) == sorted([tenant.workspace.id, other.workspace.id])


async def test_a_broadcast_batch_reads_its_recipients_in_index_order(
    backend: Backend, tenant: Tenant, setup: tuple[int, int, int]
) -> None:
    """Each expansion batch is the next contacts after the cursor: the index walks them in id order, so a
    batch never reads and sorts every active contact of the workspace (that made a 100k broadcast quadratic)."""
    async with backend.sessionmaker() as session:
        group = await group_service.create(session, tenant.workspace, name="Everyone")
        await session.commit()
        group_id = group.id
    # enough rows, in two workspaces, for the planner's statistics to speak: on near-empty tables PostgreSQL may
    # as well walk the primary key and filter, which on a shared table reads every other workspace's contacts
    from tests.conftest import make_tenant

    other = await make_tenant(backend, "Bigger", "b@bigger.org", country="RW")
    now = clock.now()
    async with backend.sessionmaker() as session:
        for ws, n in ((tenant.workspace.id, 200), (other.workspace.id, 3000)):
            await session.execute(
                insert(Contact),
                [
                    {
                        "uuid": clock.new_uuid(),
                        "workspace_id": ws,
                        "status": "active",
                        "is_active": True,
                        "created_on": now,
                        "modified_on": now,
                    }
                    for _ in range(n)
                ],
            )
        mine = (await session.execute(select(Contact.id).where(Contact.workspace_id == tenant.workspace.id))).scalars()
        await session.execute(insert(GroupMember), [{"group_id": group_id, "contact_id": c} for c in mine])
        await session.commit()
    async with backend.engine.connect() as conn:
        for table in ("contacts", "contact_group_members"):
            await conn.exec_driver_sql(f"ANALYZE {table}")
        await conn.commit()
    broadcast = Broadcast(workspace_id=tenant.workspace.id, group_ids=[group_id], contact_ids=[], urn_contact_ids=[])
    stmt = broadcast_service._recipients(broadcast)
    assert stmt is not None
    batch = stmt.where(Contact.id > 10).order_by(Contact.id).limit(5000)
    async with backend.engine.connect() as conn:
        plan = await _plan(conn, batch)
        assert "ix_contacts_ws_status_id" in plan, plan
        if backend.name == "sqlite":
            assert "TEMP B-TREE" not in plan, plan
        else:
            assert '"Node Type": "Sort"' not in plan, plan
        await conn.rollback()
