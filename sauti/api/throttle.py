"""Per-workspace, per-scope request throttling (sliding window), shared by all tokens of a workspace and by
both dialects (each names its own scopes).

Counters live in memory, or in Redis when ``SAUTI_REDIS_URL`` is set so several API processes share them.

The memory counter is our own :class:`MovingWindow` rather than the ``limits`` library's memory storage: that one
sends a bisect of every key's event list to a thread on every request and keeps the events of a key for the whole
window after the key went quiet, which cost a small read about a tenth of its time. Both count a moving window of
exactly ``amount`` requests per ``expiry`` seconds, as Redis does.
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Protocol

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from sauti.models import Workspace


class Throttled(Exception):
    """Over the rate: ``wait`` whole seconds until a request is allowed again. Each dialect renders it."""

    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait


class Counter(Protocol):
    async def hit(self, item: RateLimitItem, key: str) -> float | None:
        """Count one request under ``key``; ``None`` when allowed, else the ``time.time()`` at which the oldest
        counted request leaves the window (nothing is counted then)."""

    async def reset(self) -> None: ...


class _Window:
    """One key's requests inside its window: ``[time, count]`` runs, oldest first, and their total."""

    __slots__ = ("expiry", "runs", "total", "width")

    def __init__(self, expiry: float, width: float) -> None:
        self.expiry = expiry
        self.width = width
        self.runs: deque[list[float]] = deque()
        self.total = 0


class MovingWindow:
    """In-process moving windows. A rate of up to :attr:`EXACT_UP_TO` requests keeps the time of every request
    inside its window; a larger one counts requests in runs of 1/:attr:`EXACT_UP_TO` of the window (a request
    leaves the window with the first of its run), so a key costs at most that many entries whatever its rate.
    Keys that went quiet are dropped on a sweep every :attr:`SWEEP_EVERY` hits."""

    EXACT_UP_TO = 1000
    SWEEP_EVERY = 10_000

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}
        self._hits = 0

    async def hit(self, item: RateLimitItem, key: str) -> float | None:
        now = time.time()
        slot = f"{item.amount}/{item.get_expiry()}:{key}"
        window = self._windows.get(slot)
        if window is None:
            expiry = float(item.get_expiry())
            width = 0.0 if item.amount <= self.EXACT_UP_TO else expiry / self.EXACT_UP_TO
            window = self._windows[slot] = _Window(expiry, width)
        runs = window.runs
        cutoff = now - window.expiry
        while runs and runs[0][0] <= cutoff:
            window.total -= int(runs.popleft()[1])
        self._hits += 1
        if self._hits >= self.SWEEP_EVERY:
            self._sweep(now)
        if window.total >= item.amount:
            return runs[0][0] + window.expiry
        window.total += 1
        if window.width and runs and now - runs[-1][0] < window.width:
            runs[-1][1] += 1
        else:
            runs.append([now, 1])
        return None

    def _sweep(self, now: float) -> None:
        self._hits = 0
        quiet = [slot for slot, w in self._windows.items() if not w.runs or w.runs[-1][0] <= now - w.expiry]
        for slot in quiet:
            del self._windows[slot]

    async def reset(self) -> None:
        self._windows.clear()
        self._hits = 0


class SharedWindow:
    """Moving windows in Redis (the ``limits`` library), shared by every process of a deployment."""

    def __init__(self, redis_url: str) -> None:
        storage: object = storage_from_string(f"async+{redis_url}")
        assert isinstance(storage, Storage)
        self.limiter = MovingWindowRateLimiter(storage)

    async def hit(self, item: RateLimitItem, key: str) -> float | None:
        if await self.limiter.hit(item, "sauti", key):
            return None
        stats = await self.limiter.get_window_stats(item, "sauti", key)
        return float(stats.reset_time)

    async def reset(self) -> None:
        await self.limiter.storage.reset()


class Throttle:
    def __init__(self, default_rates: dict[str, str], redis_url: str | None = None) -> None:
        self.default_rates = dict(default_rates)
        self.counter: Counter = SharedWindow(redis_url) if redis_url else MovingWindow()
        self._parsed: dict[str, RateLimitItem] = {}

    def rate_for(self, workspace: Workspace, scope: str) -> RateLimitItem | None:
        """The workspace's own rate for the scope, else the configured one; a scope nobody named (``v2.x``)
        counts under its dialect's base scope (``v2``), so no endpoint is ever left unlimited by omission."""
        overrides = workspace.api_rates or {}
        base = scope.split(".", 1)[0]
        text = (
            overrides.get(scope) or self.default_rates.get(scope) or overrides.get(base) or self.default_rates.get(base)
        )
        if not text:
            return None
        item = self._parsed.get(text)
        if item is None:
            item = self._parsed[text] = parse(text)
        return item

    async def check(self, workspace: Workspace, scope: str) -> None:
        """Count one request; raise :class:`Throttled` when the workspace is over its rate for the scope."""
        item = self.rate_for(workspace, scope)
        if item is None:
            return
        reset_at = await self.counter.hit(item, f"{scope}:{workspace.id}")
        if reset_at is not None:
            raise Throttled(max(1, math.ceil(reset_at - time.time())))

    async def reset(self) -> None:
        await self.counter.reset()
