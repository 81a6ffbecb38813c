"""A worker process killed (SIGKILL) in the middle of a batch loses no message and sends none twice.

The scenario, on real processes and a real HTTP provider:

1. 200 messages are queued on an EX channel whose ``send_url`` is a local fake provider, with a TPS high enough
   that the first worker claims all of them in one batch.
2. ``sauti worker`` starts. The provider answers the first ``HOLD_FROM - 1`` requests and holds every later one
   (no answer). The worker sends at most ``outbox.CONCURRENCY`` messages at once, so once that many requests are
   held the worker can start no other send: every message is then exactly one of wired (answered and
   recorded), ``sending`` (its request is held at the provider) or queued and claimed (never tried). The test
   checks this in the database, then SIGKILLs the worker.
3. A second ``sauti worker`` starts once the dead worker's heartbeat is stale. It must recover the dead
   worker's claims: the untried messages are sent, and the held ones (in doubt: the provider has them) are
   marked wired with an ``in_doubt`` channel log and never sent again.

So every message reaches the provider exactly once, the in-flight ones included. It runs on both databases: two
processes take turns on the SQLite file (WAL) as they would on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, or_, select

from sauti.domain.contacts import service as contacts
from sauti.domain.messages.send import Content, queue_many
from sauti.domain.messages.status import SENT_STATUSES
from sauti.kit import clock
from sauti.models import ChannelLog, Message, Workspace
from sauti.models import Worker as WorkerRow
from sauti.worker import outbox
from tests.conftest import Backend, Tenant, add_channel
from tests.support.fake_provider import FakeProvider, Recorded, Response, fake_provider

pytestmark = pytest.mark.usefixtures("app")

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 200
HOLD_FROM = 40  # the provider answers requests 1..39 and holds every later one until told otherwise
STALE_AFTER = 2.0  # SAUTI_WORKER_STALE_AFTER for both workers
DEADLINE = 45.0  # seconds for the whole scenario; each wait below has its own, shorter bound
HOLD_LIMIT = 60.0  # a held request is answered after this long at the latest (a provider thread never leaks)

# ``python -m sauti.cli worker``, after asking Linux to SIGKILL the worker should the test process die without
# running its finalizers (done in the child: ``preexec_fn`` is unsafe when the parent has threads).
BOOT = """
import ctypes, os, runpy, signal, sys
if sys.platform.startswith("linux"):
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != int(os.environ["SAUTI_TEST_PARENT_PID"]):
        sys.exit("parent gone before the worker started")
sys.argv = ["sauti", "worker"]
runpy.run_module("sauti.cli", run_name="__main__", alter_sys=True)
"""


class HoldingProvider(FakeProvider):
    """The fake provider, told to hold (not answer) requests from the ``n``-th on while holding is on."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[Recorded] = []
        self._hold_from: int | None = None
        self._release = threading.Event()
        # a held request is answered on a connection its (killed) worker has closed: that error is expected
        self._server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]

    def hold_from(self, n: int) -> None:
        with self._lock:
            self._hold_from = n

    def stop_holding(self) -> None:
        """New requests are answered again, and the held ones are let go (their worker is gone)."""
        with self._lock:
            self._hold_from = None
        self._release.set()

    def stop(self) -> None:
        self._release.set()
        super().stop()

    def _next(self, recorded: Recorded) -> Response:
        with self._lock:
            self.requests.append(recorded)
            hold = self._hold_from is not None and len(self.requests) >= self._hold_from
            if hold:
                self.held.append(recorded)
        if hold:
            self._release.wait(HOLD_LIMIT)
        return self.default

    def snapshot(self) -> tuple[list[str], list[str]]:
        """The message UUIDs of every request so far, and of the held ones."""
        with self._lock:
            return [uuid_of(r) for r in self.requests], [uuid_of(r) for r in self.held]


def uuid_of(request: Recorded) -> str:
    return request.form_dict()["uuid"]


@contextmanager
def holding_provider() -> Iterator[HoldingProvider]:
    provider = HoldingProvider()
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()  # SIGKILL: no finalizer, no clean-up of its claims or of its workers row
        self.process.wait(timeout=10)

    def terminate(self, grace: float = 10.0) -> None:
        """SIGTERM (the worker finishes its round and removes its row), SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
async def workers(backend: Backend) -> AsyncIterator[Any]:
    """Starts ``sauti worker`` processes on the test database; every one is killed at the end, whatever happens."""
    data_dir = Path(tempfile.mkdtemp(prefix="sauti-crash-"))
    env = {
        **os.environ,
        "SAUTI_DATABASE_URL": backend.url,
        "SAUTI_DATA_DIR": str(data_dir),
        "SAUTI_WORKER_STALE_AFTER": str(STALE_AFTER),
        "SAUTI_EMBEDDED_WORKER": "false",
        "SAUTI_TEST_PARENT_PID": str(os.getpid()),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
    }
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        log_path = data_dir / f"worker-{len(started) + 1}.log"
        with log_path.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-c", BOOT], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        started.append(WorkerProcess(process, log_path))
        return started[-1]

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()
        shutil.rmtree(data_dir, ignore_errors=True)  # failures quote the workers' logs


async def _queue(backend: Backend, tenant: Tenant, count: int) -> list[str]:
    """``count`` contacts with a phone number each, and one queued message to each; returns the UUIDs."""
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        people = [
            await contacts.create(session, ws, contacts.ContactInput(urns=[f"tel:+25078{n:07d}"])) for n in range(count)
        ]
        created = await queue_many(
            session,
            ws,
            people,
            {c.id: Content(text=f"Crash test {n}") for n, c in enumerate(people)},
            broadcast_id=None,
        )
        await session.commit()
        assert created == count
        rows = await session.execute(select(Message.uuid, Message.status).where(Message.direction == "out"))
        found: dict[str, str] = {uuid: status for uuid, status in rows}
    assert set(found.values()) == {"queued"}, found
    return list(found)


async def _statuses(backend: Backend) -> dict[str, tuple[str, str | None]]:
    """Every outgoing message: UUID → (status, claimed_by)."""
    async with backend.sessionmaker() as session:
        rows = await session.execute(select(Message.uuid, Message.status, Message.claimed_by))
        return {uuid: (status, claimed_by) for uuid, status, claimed_by in rows}


async def _unfinished(backend: Backend) -> int:
    async with backend.sessionmaker() as session:
        pending = or_(Message.status.in_(("queued", "sending")), Message.claimed_by.is_not(None))
        return int((await session.execute(select(func.count()).where(pending))).scalar_one())


async def _wait_for(what: str, check: Any, within: float, worker: WorkerProcess) -> None:
    deadline = time.monotonic() + within
    while not await check():
        worker.check_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:.0f}s waiting for {what}\nworker log:\n{worker.log()}")
        await asyncio.sleep(0.05)


async def test_killed_worker_loses_and_duplicates_nothing(backend: Backend, tenant: Tenant, workers: Any) -> None:
    began = time.monotonic()
    with holding_provider() as provider:
        channel = await add_channel(
            backend,
            tenant,
            "EX",
            name="Gateway",
            tps=1000,  # the whole queue is one claimed batch (a batch is twice the TPS, at most outbox.BATCH)
            config={"send_url": provider.url("/send"), "method": "POST"},
        )
        assert MESSAGES <= outbox.BATCH
        uuids = await _queue(backend, tenant, MESSAGES)
        provider.hold_from(HOLD_FROM)

        # the first worker: wait until every one of its send slots is stuck on a held request
        first = workers()

        async def all_slots_held() -> bool:
            return len(provider.snapshot()[1]) >= outbox.CONCURRENCY

        await _wait_for("the provider to hold a full set of requests", all_slots_held, 20.0, first)
        await asyncio.sleep(0.3)  # were it able to, the worker would now start another send: it must not
        first.check_alive()
        got, held = provider.snapshot()
        async with backend.sessionmaker() as session:
            [dead_id] = (await session.execute(select(WorkerRow.id))).scalars().all()
        before = await _statuses(backend)
        first.kill()

        # what the dead worker left: answered = wired; held = sending; the rest claimed but never tried
        assert len(got) == HOLD_FROM - 1 + outbox.CONCURRENCY, "a send started beyond the concurrency limit"
        assert len(held) == outbox.CONCURRENCY
        answered = set(got) - set(held)
        untried = set(uuids) - set(got)
        assert {u: before[u] for u in answered} == {u: ("wired", None) for u in answered}
        assert {u: before[u] for u in held} == {u: ("sending", dead_id) for u in held}
        assert {u: before[u] for u in untried} == {u: ("queued", dead_id) for u in untried}
        assert len(untried) == MESSAGES - len(got) > 0

        # the second worker starts once the first one's heartbeat is stale, so its first round recovers
        provider.stop_holding()
        async with backend.sessionmaker() as session:
            beat = (await session.execute(select(WorkerRow.heartbeat_on))).scalar_one()
        stale_in = (beat + timedelta(seconds=STALE_AFTER + 0.2) - clock.now()).total_seconds()
        await asyncio.sleep(max(0.0, stale_in))
        second = workers()

        async def all_done() -> bool:
            return await _unfinished(backend) == 0

        await _wait_for("every message to be sent", all_done, DEADLINE - (time.monotonic() - began), second)
        async with backend.sessionmaker() as session:
            live = set((await session.execute(select(WorkerRow.id))).scalars())
            channel_logs = (
                (await session.execute(select(ChannelLog).where(ChannelLog.channel_id == channel.id))).scalars().all()
            )
            ids = {id_: uuid for id_, uuid in await session.execute(select(Message.id, Message.uuid))}
        second.terminate()  # once it has exited, no request can reach the provider any more
        sent, _ = provider.snapshot()

    # every message reached the provider exactly once: none lost, none twice (the in-flight ones included)
    twice = sorted(u for u, n in Counter(sent).items() if n > 1)
    assert twice == [], f"{len(twice)} messages sent more than once: {twice[:5]}"
    assert set(sent) - set(uuids) == set()
    lost = set(uuids) - set(sent)
    assert lost == set(), f"{len(lost)} messages never reached the provider"
    assert len(sent) == MESSAGES

    after = await _statuses(backend)
    assert {u for u, (status, _) in after.items() if status not in SENT_STATUSES} == set()
    assert {u for u, (_, claimed) in after.items() if claimed is not None} == set()
    assert {after[u][0] for u in held} == {"wired"}  # in doubt: counted as sent, never resent

    # the dead worker is forgotten, and each in-flight message has one in_doubt log saying why it was not resent
    assert dead_id not in live
    in_doubt = Counter(
        ids[log.message_id]
        for log in channel_logs
        if log.message_id is not None and any(e.get("code") == "in_doubt" for e in log.errors or [])
    )
    assert in_doubt == Counter(held)
    assert time.monotonic() - began < 60


async def test_killed_between_marking_and_sending(backend: Backend, tenant: Tenant, workers: Any) -> None:
    """The other window: a wave is marked ``sending`` and its requests have not reached the provider (here the
    provider's host takes no connection at all) when the worker dies. Those messages are in doubt: recovery
    marks them wired with an ``in_doubt`` log and never sends them (at most once, as ``recovery.py`` decides);
    the wave's other messages, never marked, are sent by the next worker, each exactly once."""
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(0)  # never accepted: once its tiny backlog is full, every connection attempt hangs
    blocked: list[socket.socket] = []
    while True:  # fill the backlog: the next attempt hangs
        try:
            blocked.append(socket.create_connection(black_hole.getsockname(), timeout=0.5))
        except TimeoutError:
            break
    hole_url = f"http://127.0.0.1:{black_hole.getsockname()[1]}/send"
    try:
        with fake_provider() as provider:
            channel = await add_channel(
                backend, tenant, "EX", name="Gateway", tps=1000, config={"send_url": hole_url, "method": "POST"}
            )
            uuids = await _queue(backend, tenant, 60)
            first = workers()

            async def a_wave_is_marked() -> bool:
                return any(s == "sending" for s, _ in (await _statuses(backend)).values())

            await _wait_for("a wave to be marked sending", a_wave_is_marked, 20.0, first)
            await asyncio.sleep(0.5)  # the wave's calls are stuck connecting: nothing more can be marked
            before = await _statuses(backend)
            first.kill()
            marked = {u for u, (s, _) in before.items() if s == "sending"}
            assert 0 < len(marked) <= outbox.CONCURRENCY
            assert {before[u][0] for u in set(uuids) - marked} == {"queued"}  # the rest: claimed, never tried

            async with backend.sessionmaker() as session:  # the provider is reachable again
                row = await session.get(type(channel), channel.id)
                assert row is not None
                row.config = {"send_url": provider.url("/send"), "method": "POST"}
                beat = (await session.execute(select(WorkerRow.heartbeat_on))).scalar_one()
                await session.commit()
            await asyncio.sleep(max(0.0, (beat + timedelta(seconds=STALE_AFTER + 0.2) - clock.now()).total_seconds()))
            second = workers()

            async def all_done() -> bool:
                return await _unfinished(backend) == 0

            await _wait_for("every message to be settled", all_done, DEADLINE, second)
            second.terminate()
            reached = [uuid_of(r) for r in provider.requests]
        after = await _statuses(backend)
        async with backend.sessionmaker() as session:
            logs = (await session.execute(select(ChannelLog).where(ChannelLog.message_id.is_not(None)))).scalars()
            ids = {id_: uuid for id_, uuid in await session.execute(select(Message.id, Message.uuid))}
            in_doubt = {ids[log.message_id] for log in logs if any(e.get("code") == "in_doubt" for e in log.errors)}
    finally:
        for conn in blocked:
            conn.close()
        black_hole.close()
    assert Counter(reached) == Counter(set(uuids) - marked)  # the never-marked ones: each exactly once
    assert in_doubt == marked and {after[u][0] for u in marked} == {"wired"}  # in doubt: not sent, said so
