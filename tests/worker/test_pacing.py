"""Channel rates: each call of a channel reserves a slot 1/TPS after the one before, in one process (memory) or
across several (Redis, one atomic schedule per channel). The reservations are checked, not the wall clock."""

from __future__ import annotations

import asyncio

import pytest

from sauti.kit import clock
from sauti.worker import pacing


async def _reserved(pacers: list[pacing.Pacer], key: str, tps: int, calls: int) -> list[float]:
    """The waits handed out, taking turns between the pacers (as several workers would)."""
    return [await pacers[n % len(pacers)].reserve(key, tps) for n in range(calls)]


def _spaced(waits: list[float], tps: int) -> bool:
    # call n waits n/tps from when the first was reserved, less the (tiny) time the calls themselves took
    return all(abs(w - n / tps) < 0.25 / tps for n, w in enumerate(waits))


async def test_memory_slots_are_spaced() -> None:
    waits = await _reserved([pacing.MemoryPacer()], "c1", 50, 25)
    assert waits[0] == 0 and _spaced(waits, 50), waits


async def test_channels_have_their_own_schedules() -> None:
    pacer = pacing.MemoryPacer()
    assert [await pacer.reserve(f"channel-{n}", 10) for n in range(5)] == [0.0] * 5


async def test_waiting_takes_the_reserved_time() -> None:
    pacer = pacing.MemoryPacer()
    await pacer.reserve("busy", 20)  # somebody took the slot that was free now
    loop = asyncio.get_running_loop()
    started = loop.time()
    await pacer.wait("busy", 20)
    assert loop.time() - started >= 0.04  # the next slot, 1/20 s later


async def test_redis_slots_are_shared_by_every_pacer(redis_url: str) -> None:
    key = f"shared-{clock.new_uuid()}"
    workers: list[pacing.Pacer] = [pacing.RedisPacer(redis_url), pacing.RedisPacer(redis_url)]
    waits = await _reserved(workers, key, 40, 20)
    assert waits[0] == 0 and _spaced(waits, 40), waits  # one schedule, though two "workers" took turns


@pytest.mark.parametrize("tps", [1, 1000])
async def test_the_first_slot_is_now(tps: int) -> None:
    assert await pacing.MemoryPacer().reserve("x", tps) == 0
