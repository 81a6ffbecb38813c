"""Channel rates: each call of a channel reserves a slot 1/TPS after the one before, in one process (memory) or
across several (Redis, one atomic schedule per channel). The reservations are checked, not the wall clock."""

from __future__ import annotations

import asyncio
import time

import pytest

from sauti.kit import clock
from sauti.worker import pacing

Reservation = tuple[float, float, float]  # (clock before the call, clock after it, the wait handed out)


async def _reserved(pacers: list[pacing.Pacer], key: str, tps: int, calls: int) -> list[Reservation]:
    """The waits handed out, taking turns between the pacers (as several workers would)."""
    out: list[Reservation] = []
    for n in range(calls):
        before = time.monotonic()
        wait = await pacers[n % len(pacers)].reserve(key, tps)
        out.append((before, time.monotonic(), wait))
    return out


def _spaced(reserved: list[Reservation], tps: int) -> bool:
    """Slot n comes n/tps after slot 0. The wait is counted from when the call ran, somewhere between the clock
    readings around it, so each slot is checked against that interval (plus the first call's own)."""
    first_before, first_after, _ = reserved[0]
    slack = (first_after - first_before) + 0.001
    return all(
        before + wait - slack <= first_before + n / tps <= after + wait + slack
        for n, (before, after, wait) in enumerate(reserved)
    )


async def test_memory_slots_are_spaced() -> None:
    reserved = await _reserved([pacing.MemoryPacer()], "c1", 50, 25)
    assert reserved[0][2] == 0 and _spaced(reserved, 50), reserved


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
    reserved = await _reserved(workers, key, 40, 20)
    assert reserved[0][2] == 0 and _spaced(reserved, 40), reserved  # one schedule, though two "workers" took turns


@pytest.mark.parametrize("tps", [1, 1000])
async def test_the_first_slot_is_now(tps: int) -> None:
    assert await pacing.MemoryPacer().reserve("x", tps) == 0


class _Counting(pacing.MemoryPacer):
    def __init__(self) -> None:
        super().__init__()
        self.reservations = 0

    async def reserve(self, key: str, per_second: int) -> float:
        self.reservations += 1
        return await super().reserve(key, per_second)


async def _late_by(seconds: float, tps: int) -> int:
    """How many slots a caller reserves when the loop is busy for ``seconds`` as its slot comes."""
    pacer = _Counting()
    await pacer.reserve("late", tps)  # the slot free now is taken: the caller's is 1/tps later
    pacer.reservations = 0
    asyncio.get_running_loop().call_soon(time.sleep, 1 / tps + seconds)  # busy past the caller's slot
    await pacer.wait("late", tps)
    return pacer.reservations


async def test_a_caller_a_few_milliseconds_late_keeps_its_slot() -> None:
    # 500 TPS: slots 2 ms apart; the loop busy 6 ms past the slot (a transaction on SQLite) is within tolerance
    assert pacing.LATE_TOLERANCE > 0.006
    assert await _late_by(0.006, 500) == 1


async def test_a_caller_much_later_takes_a_new_slot() -> None:
    assert await _late_by(pacing.LATE_TOLERANCE + 0.05, 500) >= 2


@pytest.mark.parametrize("memory", [True, False])
async def test_a_short_pause_is_caught_up_and_a_long_one_is_not(memory: bool, request: pytest.FixtureRequest) -> None:
    """After a pause shorter than the tolerance (a worker claiming its next batch) the slots it missed are taken
    at once; after a longer one the schedule starts again from now, so no burst beyond the tolerance."""
    pacer: pacing.Pacer = pacing.MemoryPacer() if memory else pacing.RedisPacer(request.getfixturevalue("redis_url"))
    key = f"pause-{clock.new_uuid()}"
    tps = 1000  # slots 1 ms apart
    assert await pacer.reserve(key, tps) == 0
    await asyncio.sleep(pacing.LATE_TOLERANCE / 2)  # ~10 slots missed
    caught_up = [await pacer.reserve(key, tps) for _ in range(3)]
    assert all(w < 0 for w in caught_up), caught_up  # already due: they leave at once
    await asyncio.sleep(pacing.LATE_TOLERANCE * 3)
    fresh = await pacer.reserve(key, tps)
    assert -pacing.LATE_TOLERANCE - 0.005 <= fresh <= 0, fresh  # never more than the tolerance behind
    following = await pacer.reserve(key, tps)
    assert following == pytest.approx(fresh + 1 / tps, abs=0.003)
