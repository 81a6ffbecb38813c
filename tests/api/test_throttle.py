"""The in-process moving window: exact for small rates, runs of a thousandth of the window for large ones."""

from __future__ import annotations

import pytest
from limits import parse

from sauti.api import throttle
from sauti.api.throttle import MovingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(throttle.time, "time", fake)
    return fake


async def test_a_small_rate_counts_every_request_and_frees_each_one_a_window_later(clock: Clock) -> None:
    window, rate = MovingWindow(), parse("3/minute")
    for at in (0, 10, 30):  # requests at 0, 10 and 30 seconds
        clock.now = 1_000_000.0 + at
        assert await window.hit(rate, "k") is None
    clock.now = 1_000_000.0 + 59
    assert await window.hit(rate, "k") == 1_000_000.0 + 60  # the first leaves the window at 60 s
    clock.now = 1_000_000.0 + 60
    assert await window.hit(rate, "k") is None  # it left; the request is counted
    assert await window.hit(rate, "k") == 1_000_000.0 + 10 + 60
    assert await window.hit(rate, "other") is None  # keys are counted apart


async def test_a_large_rate_counts_in_runs_so_a_key_costs_at_most_a_thousand_entries(clock: Clock) -> None:
    window, rate = MovingWindow(), parse("5000/hour")
    for _ in range(5000):
        assert await window.hit(rate, "k") is None
        clock.now += 0.01  # 50 seconds in all: fourteen runs of 3.6 s
    assert await window.hit(rate, "k") == 1_000_000.0 + 3600
    (state,) = window._windows.values()
    assert state.total == 5000 and len(state.runs) <= 1000
    clock.now = 1_000_000.0 + 3600  # the first run (3.6 s of requests) leaves at once
    assert await window.hit(rate, "k") is None
    assert state.total == 5000 - 360 + 1


async def test_quiet_keys_are_swept(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MovingWindow, "SWEEP_EVERY", 3)
    window, rate = MovingWindow(), parse("10/minute")
    await window.hit(rate, "old")
    clock.now += 61
    await window.hit(rate, "new")
    await window.hit(rate, "new")  # the third hit sweeps
    assert [slot.rsplit(":", 1)[1] for slot in window._windows] == ["new"]
