"""The worker loop: heartbeat, recovery, then one round of each kind of work; sleep only when idle."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sauti.kit import clock
from sauti.kit import http as provider_http
from sauti.models import Worker as WorkerRow
from sauti.settings import Settings
from sauti.worker import archives, campaigns, flows, outbox, pacing, recovery, scheduler, webhooks

log = logging.getLogger("sauti.worker")


class Worker:
    HEARTBEAT_EVERY = 2.0
    RECOVER_EVERY = 5.0
    IDLE_SLEEP = 0.25

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        http_client: httpx.AsyncClient | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._own_client = http_client is None
        self.http = http_client or provider_http.client(settings.send_timeout)
        # user-configured URLs (web hooks, resthooks) go through kit/outbound on httpx's own transport, which sends
        # the Host header of a call pinned to a checked address
        self.hooks_http = httpx.AsyncClient(follow_redirects=False, trust_env=False, cookies=provider_http.NoCookies())
        self.pacer = pacing.pacer(settings.redis_url)  # channel rates, shared in Redis when it is set
        self._last_beat = 0.0
        self._last_recover = 0.0
        self.dialect = ""
        self._hooks: asyncio.Task[int] | None = None  # the background round of web hook deliveries (tick)
        self._last_archive_plan: float | None = None  # when this worker last planned due archives

    async def heartbeat(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._last_beat < self.HEARTBEAT_EVERY:
            return
        now = clock.now()
        async with self.sessionmaker() as session:
            self.dialect = session.bind.dialect.name if session.bind is not None else ""
            row = await session.get(WorkerRow, self.id)
            if row is None:
                session.add(
                    WorkerRow(id=self.id, host=socket.gethostname(), pid=os.getpid(), started_on=now, heartbeat_on=now)
                )
            else:
                row.heartbeat_on = now
            await session.commit()
        self._last_beat = time.monotonic()

    def kinds(self) -> dict[str, Callable[[], Awaitable[int]]]:
        """One round of each kind of due work; each returns how much it did (0: nothing was due). ``run`` gives
        each kind a loop of its own."""
        return {
            "outbox": lambda: outbox.send_due(self),
            "broadcasts": lambda: scheduler.expand_broadcasts(self.sessionmaker, self.dialect, self.id),
            "flow_starts": lambda: flows.expand_starts(self.sessionmaker, self.dialect, self.id),
            "flow_timers": lambda: flows.fire_due(self.sessionmaker, self.dialect, self.id),
            "webhooks": lambda: webhooks.deliver_due(self),
            "campaign_events": lambda: campaigns.schedule_events(self.sessionmaker, self.dialect, self.id),
            "campaign_fires": lambda: campaigns.fire_due(self.sessionmaker, self.dialect, self.id),
            "archives": lambda: archives.run_round(
                self.sessionmaker, self.dialect, self.id, self.settings, self._archive_plan_due()
            ),
        }

    def _archive_plan_due(self) -> bool:
        """Whether this round plans archives too (every ``archive_plan_every`` seconds; the first round does)."""
        now = time.monotonic()
        if self._last_archive_plan is not None and now - self._last_archive_plan < self.settings.archive_plan_every:
            return False
        self._last_archive_plan = now
        return True

    async def recover_if_due(self) -> None:
        if time.monotonic() - self._last_recover >= self.RECOVER_EVERY:
            await recovery.recover(self.sessionmaker, self.id, self.settings.worker_stale_after)
            self._last_recover = time.monotonic()

    async def tick(self) -> int:
        """One round of every kind (for tests and one-shot runs): returns how much work was done (0 means idle).
        Web hook deliveries run in the background even here, as in ``run``: a receiver that takes its time never
        holds up sending."""
        await self.heartbeat()
        await self.recover_if_due()
        rounds = self.kinds()
        done = await asyncio.gather(*(round_() for name, round_ in rounds.items() if name != "webhooks"))
        return sum(done) + self._poll_hooks()

    def _poll_hooks(self) -> int:
        """Start a background round of deliveries when none is under way, and return how many the last finished
        one tried."""
        tried = 0
        if self._hooks is not None and self._hooks.done():
            tried = self._collect(self._hooks)
            self._hooks = None
        if self._hooks is None:
            self._hooks = asyncio.create_task(webhooks.deliver_due(self))
        return tried

    @staticmethod
    def _collect(task: asyncio.Task[int]) -> int:
        try:
            return task.result()
        except Exception:  # a bad round must not kill the loop; it is logged and the next one tries again
            log.exception("web hook round failed")
            return 0

    async def _finish_hooks(self) -> int:
        """Wait for the background round under way, if any; how many it tried."""
        task, self._hooks = self._hooks, None
        if task is None:
            return 0
        await asyncio.wait([task])
        return self._collect(task)

    async def _run_kind(self, name: str, round_: Callable[[], Awaitable[int]], stop: asyncio.Event) -> None:
        """One kind's own loop: a kind never waits for another (a 100k broadcast expands while replies go out,
        and a slow channel never holds up expansion). A failing round is logged and retried."""
        while not stop.is_set():
            try:
                done = await round_()
            except Exception:
                log.exception("%s: round failed", name)
                done = 0
            if not done:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.IDLE_SLEEP)
                except TimeoutError:
                    pass

    async def _recover_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.recover_if_due()
            except Exception:
                log.exception("recovery failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.RECOVER_EVERY)
            except TimeoutError:
                pass

    async def _beat_forever(self, stop: asyncio.Event) -> None:
        """Heartbeats from their own task, so a round busy with slow provider calls never looks dead."""
        while not stop.is_set():
            try:
                await self.heartbeat(force=True)
            except Exception:
                log.exception("heartbeat failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.HEARTBEAT_EVERY)
            except TimeoutError:
                pass

    async def drain(self, max_rounds: int = 1000) -> int:
        """Work until idle (for tests and one-shot runs). Returns the total amount of work done."""
        total = 0
        for _ in range(max_rounds):
            done = await self.tick()
            if not done:
                done = await self._finish_hooks()
            total += done
            if not done:
                break
        return total

    async def run(self, stop: asyncio.Event) -> None:
        await self.heartbeat(force=True)
        tasks = [
            asyncio.create_task(self._beat_forever(stop)),
            asyncio.create_task(self._recover_forever(stop)),
            *(asyncio.create_task(self._run_kind(name, round_, stop)) for name, round_ in self.kinds().items()),
        ]
        try:
            await stop.wait()
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.close()

    async def close(self) -> None:
        await self._finish_hooks()
        async with self.sessionmaker() as session:
            await session.execute(delete(WorkerRow).where(WorkerRow.id == self.id))
            await session.commit()
        if self._own_client:
            await self.http.aclose()
        await self.hooks_http.aclose()
