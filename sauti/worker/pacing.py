"""Keeping a channel within its messages-per-second, across every worker that sends through it.

Each call reserves the next free slot of its channel: slots are ``1/TPS`` seconds apart, whoever takes them,
and a caller sleeps until its own slot comes (virtual scheduling, the cell rate algorithm). Spacing the calls
evenly, rather than allowing TPS calls anywhere in each second, keeps the provider's busiest second at the TPS
even when a worker's event loop is busy and some calls leave a little late: there is no burst at the turn of a
second for a late call to add to. Lateness is forgiven up to ``LATE_TOLERANCE`` (the cell rate algorithm's
burst tolerance): a caller that wakes late keeps its slot while it is at most that (or one slot, if that is
longer) behind, and a channel whose calls paused briefly (between two claimed batches) takes the slots it
missed in the last ``LATE_TOLERANCE`` at once. The loop is often busy for a few milliseconds (a transaction's
statements run on it on SQLite): giving up every slot missed by that much left a 500 TPS channel at half its
rate, and each pause between batches cost its length. What leaves together is bounded by the tolerance: at
most ``LATE_TOLERANCE * TPS`` calls (2% of a second's worth) more in any one second. A caller later than that
takes a new slot; a channel idle for longer starts afresh.

The reservations live in memory (one process), or in Redis when ``SAUTI_REDIS_URL`` is set, where one atomic
script reads the server's clock and moves the channel's next slot, so several workers on several hosts share
one schedule. Without Redis each worker keeps its own schedule, and two workers on one channel can send up to
twice its TPS (the README says so).
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from typing import Any, Protocol

# KEYS[1]: the channel's next free slot (microseconds since the epoch); ARGV[1]: the spacing in microseconds;
# ARGV[2]: how far behind the clock a channel's schedule may be caught up (LATE_TOLERANCE, microseconds).
# Returns how many microseconds the caller waits for the slot it has just reserved (negative: it is late).
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local kept = redis.call('GET', KEYS[1])
local slot = now
if kept then slot = math.max(tonumber(kept), now - tonumber(ARGV[2])) end
local after = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(after), 'PX', math.floor((after - now) / 1000) + 60000)
return slot - now
"""


LATE_RETRIES = 5  # a caller late this often goes anyway (the process is starved; better late than never)
LATE_TOLERANCE = 0.02  # seconds a caller may wake after its slot and still take it


class Pacer(Protocol):
    async def reserve(self, key: str, per_second: int) -> float:
        """Reserve the next slot of ``key`` (slots ``1/per_second`` apart): the seconds until it comes."""

    async def wait(self, key: str, per_second: int) -> None:
        """Reserve a slot and return once it has come."""


class _Waiting(ABC):
    @abstractmethod
    async def reserve(self, key: str, per_second: int) -> float: ...

    async def wait(self, key: str, per_second: int) -> None:
        """Sleep until the reserved slot. A caller that wakes more than ``LATE_TOLERANCE`` (or one slot) late,
        its process busy or not scheduled, gives the slot up and takes the next free one: what leaves late
        together stays a small burst at the provider."""
        spacing = max(1.0 / per_second, LATE_TOLERANCE)
        for _ in range(LATE_RETRIES):
            seconds = await self.reserve(key, per_second)
            due = time.monotonic() + seconds
            if seconds > 0:
                await asyncio.sleep(seconds)
            if time.monotonic() - due <= spacing:
                return


class MemoryPacer(_Waiting):
    """Slots reserved in this process only."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}

    async def reserve(self, key: str, per_second: int) -> float:
        now = time.monotonic()
        kept = self._next.get(key)
        slot = now if kept is None else max(kept, now - LATE_TOLERANCE)
        self._next[key] = slot + 1.0 / per_second
        return slot - now


class RedisPacer(_Waiting):
    """Slots reserved in Redis, shared by every worker that uses the same Redis."""

    def __init__(self, url: str) -> None:
        import coredis

        self._client: Any = coredis.Redis.from_url(url)
        self._script = self._client.register_script(RESERVE)

    async def reserve(self, key: str, per_second: int) -> float:
        spacing = max(1, round(1_000_000 / per_second))
        tolerance = round(LATE_TOLERANCE * 1_000_000)
        answer: Any = await self._script(keys=[f"sauti:pace:{key}"], args=[spacing, tolerance])
        return int(answer) / 1_000_000


def pacer(redis_url: str | None) -> Pacer:
    return RedisPacer(redis_url) if redis_url else MemoryPacer()
