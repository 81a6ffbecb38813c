"""Scale-out is more processes against one PostgreSQL: two API processes and two ``sauti worker`` processes
share one database and one Redis. Through a 10,000-message broadcast and a stream of API sends (half through
each API process), every message reaches the provider exactly once, and the paced channel stays within its
TPS across both workers (their rate limiter is shared in Redis).

PostgreSQL only: SQLite is the one-process database (a single writer), which the other tests cover.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import func, or_, select, update

from sauti.db import bulk
from sauti.db.base import table_of
from sauti.kit import clock
from sauti.models import Broadcast, Contact, ContactGroup, ContactURN, GroupMember, Message
from tests.conftest import Backend, Tenant, add_channel
from tests.support.fast_provider import Hit, fake_provider, provider_process
from tests.support.server import ROOT, running_server

pytestmark = [pytest.mark.usefixtures("app"), pytest.mark.xdist_group("scale-out")]

RECIPIENTS = 10_000
STREAM = 120  # API sends, to contacts reached through the paced channel
PACED_TPS = 20
DEADLINE = 180.0


@pytest.fixture
def workers(backend: Backend, redis_url: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    data_dir = Path(tempfile.mkdtemp(prefix="sauti-scale-"))
    env = {
        **os.environ,
        "SAUTI_DATABASE_URL": backend.url,
        "SAUTI_DATA_DIR": str(data_dir),
        "SAUTI_REDIS_URL": redis_url,
        "PYTHONPATH": str(ROOT),
    }
    started: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(2):
            with (data_dir / f"worker-{n}.log").open("wb") as out:
                started.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "sauti.cli", "worker"], cwd=ROOT, env=env, stdout=out, stderr=out
                    )
                )
        yield started
    finally:
        for process in started:
            process.kill()
            process.wait(10)


async def _audience(backend: Backend, tenant: Tenant, size: int, first: int) -> list[int]:
    """``size`` active contacts, each with one phone number, written in bulk."""
    now = clock.now()
    uuids = clock.new_uuids(size)
    async with backend.sessionmaker() as session:
        await bulk.insert_rows(
            session,
            table_of(Contact),
            [
                {
                    "uuid": u,
                    "workspace_id": tenant.workspace.id,
                    "status": "active",
                    "is_active": True,
                    "tickets": 0,
                    "created_on": now,
                    "modified_on": now,
                }
                for u in uuids
            ],
        )
        ids = list((await session.execute(select(Contact.id).where(Contact.uuid.in_(uuids)))).scalars())
        await bulk.insert_rows(
            session,
            table_of(ContactURN),
            [
                {
                    "workspace_id": tenant.workspace.id,
                    "contact_id": cid,
                    "scheme": "tel",
                    "path": f"+2507{first + n:08d}",
                    "identity": f"tel:+2507{first + n:08d}",
                    "priority": 1000,
                }
                for n, cid in enumerate(ids)
            ],
        )
        await session.commit()
    return ids


def _uuids(hits: list[Hit]) -> list[str]:
    return [parse_qs(h.body.decode())["uuid"][0] for h in hits]


def _busiest_second(hits: list[Hit]) -> int:
    times = sorted(h.at for h in hits)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_two_workers_and_two_api_processes_share_the_work(
    backend: Backend, tenant: Tenant, workers: list[subprocess.Popen[bytes]], redis_url: str
) -> None:
    with fake_provider() as provider, provider_process() as paced, ExitStack() as stack:
        await add_channel(backend, tenant, "EX", name="Bulk", tps=100_000, config={"send_url": provider.url("/bulk")})
        paced_channel = await add_channel(
            backend,
            tenant,
            "EX",
            name="Paced",
            address="+250788000001",
            tps=PACED_TPS,
            config={"send_url": paced.url("/paced")},
        )
        members = await _audience(backend, tenant, RECIPIENTS, 0)
        streamed = await _audience(backend, tenant, STREAM, RECIPIENTS)
        group_uuid, stream_uuids = await _group_and_affinity(backend, tenant, members, streamed, paced_channel.id)
        servers = [stack.enter_context(running_server(backend.url, env={"SAUTI_REDIS_URL": redis_url})) for _ in "ab"]
        headers = {"Authorization": f"Token {tenant.token}"}
        async with (
            httpx.AsyncClient(base_url=servers[0].base_url, headers=headers, timeout=30) as one,
            httpx.AsyncClient(base_url=servers[1].base_url, headers=headers, timeout=30) as two,
        ):
            started = time.monotonic()
            made = await one.post("/api/v2/broadcasts.json", json={"text": "Everyone", "groups": [group_uuid]})
            assert made.status_code == 201, made.text

            async def send(n: int, contact: str) -> str:
                client = one if n % 2 else two
                response = await client.post("/api/v2/messages.json", json={"contact": contact, "text": f"s{n}"})
                assert response.status_code == 201, response.text
                return str(response.json()["uuid"])

            sent_uuids = await asyncio.gather(*(send(n, c) for n, c in enumerate(stream_uuids)))
            while await _unfinished(backend) and time.monotonic() - started < DEADLINE:
                for process in workers:
                    assert process.poll() is None, "a worker died"
                await asyncio.sleep(0.5)
            assert await _unfinished(backend) == 0, "not everything was sent in time"
            broadcast = (await two.get("/api/v2/broadcasts.json")).json()["results"][0]
            assert broadcast["status"] == "completed" and broadcast["progress"]["started"] == RECIPIENTS

    bulk_hits, paced_hits = provider.on("/bulk"), paced.on("/paced")
    async with backend.sessionmaker() as session:
        broadcast_uuids = set(
            (await session.execute(select(Message.uuid).where(Message.broadcast_id.is_not(None)))).scalars()
        )
    delivered = Counter(_uuids(bulk_hits) + _uuids(paced_hits))
    assert [u for u, n in delivered.items() if n > 1] == []  # nothing twice
    assert set(delivered) == broadcast_uuids | set(sent_uuids)  # nothing lost, nothing else
    assert set(_uuids(paced_hits)) == set(sent_uuids)  # the stream went through its channel
    # the two workers keep one schedule in Redis: over the stream the rate is the channel's TPS, and the busiest
    # second stays near it (two schedules of their own would reach twice the TPS). The slack over the benchmark's
    # 1.1x is this test's machine: six busy processes on two cores delay a call now and then after its slot.
    times = sorted(h.at for h in paced_hits)
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate <= PACED_TPS * 1.02, f"{rate:.1f} calls a second at TPS {PACED_TPS} across two workers"
    busiest = _busiest_second(paced_hits)
    assert busiest <= PACED_TPS * 1.25, f"{busiest} requests in one second at TPS {PACED_TPS} across two workers"


async def _group_and_affinity(
    backend: Backend, tenant: Tenant, members: list[int], streamed: list[int], paced_channel_id: int
) -> tuple[str, list[str]]:
    """A manual group of ``members``; the ``streamed`` contacts last wrote from the paced channel (so their
    messages go through it). Returns the group's UUID and the streamed contacts' UUIDs."""
    async with backend.sessionmaker() as session:
        await session.execute(
            update(ContactURN).where(ContactURN.contact_id.in_(streamed)).values(channel_id=paced_channel_id)
        )
        now = clock.now()
        group = ContactGroup(
            uuid=clock.new_uuid(),
            workspace_id=tenant.workspace.id,
            name="Everyone",
            group_type="manual",
            status="ready",
            is_system=False,
            member_count=len(members),
            is_active=True,
            created_on=now,
            modified_on=now,
        )
        session.add(group)
        await session.flush()
        await bulk.insert_rows(
            session, table_of(GroupMember), [{"group_id": group.id, "contact_id": c} for c in members]
        )
        uuids = list((await session.execute(select(Contact.uuid).where(Contact.id.in_(streamed)))).scalars())
        await session.commit()
        return group.uuid, uuids


async def _unfinished(backend: Backend) -> int:
    async with backend.sessionmaker() as session:
        waiting = (
            await session.execute(
                select(func.count()).where(
                    Message.direction == "out",
                    or_(Message.status.in_(("queued", "sending", "errored")), Message.claimed_by.is_not(None)),
                )
            )
        ).scalar_one()
        open_broadcasts = (
            await session.execute(select(func.count()).where(Broadcast.status.in_(("pending", "queued", "started"))))
        ).scalar_one()
        return int(waiting) + int(open_broadcasts)
