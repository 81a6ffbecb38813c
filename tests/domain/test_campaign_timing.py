"""The fire time of a campaign event, as a table: every unit, delivery hours, seconds rounding, timezones on
both sides of a daylight saving change (New York: 8 March and 1 November 2026; London: 29 March 2026), and
times already past."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sauti.domain.campaigns.timing import fire_time
from sauti.kit.timefmt import parse_iso

NOW = "2026-01-01T00:00:00Z"

# (case, timezone, anchor, offset, unit, delivery hour, now, expected fire or None)
CASES = [
    ("days keep the time", "Africa/Kigali", "2026-02-10T08:15:00Z", 3, "D", -1, NOW, "2026-02-13T08:15:00Z"),
    ("delivery hour is local", "Africa/Kigali", "2026-02-10T08:15:00Z", 3, "D", 9, NOW, "2026-02-13T07:00:00Z"),
    ("seconds round up", "Africa/Kigali", "2026-02-10T08:15:01Z", 0, "M", -1, NOW, "2026-02-10T08:16:00Z"),
    ("microseconds round up", "Africa/Kigali", "2026-02-10T08:15:00.000001Z", 0, "M", -1, NOW, "2026-02-10T08:16:00Z"),
    ("a whole minute stays", "Africa/Kigali", "2026-02-10T08:15:00Z", 0, "M", -1, NOW, "2026-02-10T08:15:00Z"),
    ("minutes", "Africa/Kigali", "2026-02-10T08:15:00Z", 90, "M", -1, NOW, "2026-02-10T09:45:00Z"),
    ("negative hours", "Africa/Kigali", "2026-02-10T08:15:00Z", -2, "H", -1, NOW, "2026-02-10T06:15:00Z"),
    ("weeks", "Africa/Kigali", "2026-02-10T08:15:00Z", 2, "W", -1, NOW, "2026-02-24T08:15:00Z"),
    ("negative days", "Africa/Kigali", "2026-02-10T08:15:00Z", -1, "D", 20, NOW, "2026-02-09T18:00:00Z"),
    ("minutes with a delivery hour", "Africa/Kigali", "2026-02-10T08:15:00Z", 30, "M", 9, NOW, "2026-02-10T07:00:00Z"),
    ("rounding crosses midnight", "Africa/Kigali", "2026-02-10T21:59:30Z", 0, "D", 9, NOW, "2026-02-11T07:00:00Z"),
    ("the local date counts", "America/New_York", "2026-02-10T03:00:00Z", 1, "D", 9, NOW, "2026-02-10T14:00:00Z"),
    ("a day across spring DST", "America/New_York", "2026-03-07T14:00:00Z", 1, "D", -1, NOW, "2026-03-08T13:00:00Z"),
    (
        "24 hours across spring DST",
        "America/New_York",
        "2026-03-07T14:00:00Z",
        24,
        "H",
        -1,
        NOW,
        "2026-03-08T14:00:00Z",
    ),
    ("a week across spring DST", "America/New_York", "2026-03-04T14:00:00Z", 1, "W", -1, NOW, "2026-03-11T13:00:00Z"),
    ("a day across fall DST", "America/New_York", "2026-10-31T13:00:00Z", 1, "D", -1, NOW, "2026-11-01T14:00:00Z"),
    ("hour across spring DST", "America/New_York", "2026-03-07T14:00:00Z", 1, "D", 8, NOW, "2026-03-08T12:00:00Z"),
    ("hour across fall DST", "America/New_York", "2026-10-31T13:00:00Z", 1, "D", 8, NOW, "2026-11-01T13:00:00Z"),
    ("a gap moves forward", "America/New_York", "2026-03-07T07:30:00Z", 1, "D", -1, NOW, "2026-03-08T07:30:00Z"),
    ("an overlap is its first", "America/New_York", "2026-10-31T05:30:00Z", 1, "D", -1, NOW, "2026-11-01T05:30:00Z"),
    ("a delivery hour in the gap", "America/New_York", "2026-03-07T14:00:00Z", 1, "D", 2, NOW, "2026-03-08T07:00:00Z"),
    ("London spring DST", "Europe/London", "2026-03-28T09:00:00Z", 1, "D", -1, NOW, "2026-03-29T08:00:00Z"),
    ("past: no fire", "Africa/Kigali", "2026-02-10T08:15:00Z", 3, "D", -1, "2026-03-01T00:00:00Z", None),
    ("a minute past", "UTC", "2026-02-10T08:15:00Z", 0, "M", -1, "2026-02-10T08:15:00.000001Z", None),
    ("now fires", "UTC", "2026-02-10T08:15:00Z", 0, "M", -1, "2026-02-10T08:15:00Z", "2026-02-10T08:15:00Z"),
    ("past anchor, future fire", "UTC", "2025-12-25T10:00:00Z", 2, "W", -1, NOW, "2026-01-08T10:00:00Z"),
]


def _at(text: str) -> datetime:
    parsed = parse_iso(text)
    assert parsed is not None
    return parsed


@pytest.mark.parametrize(
    ("case", "tz", "anchor", "offset", "unit", "hour", "now", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_fire_time(
    case: str, tz: str, anchor: str, offset: int, unit: str, hour: int, now: str, expected: str | None
) -> None:
    got = fire_time(_at(anchor), offset, unit, hour, ZoneInfo(tz), _at(now))
    assert got == (None if expected is None else _at(expected)), case
    if got is not None:
        assert got.utcoffset() is not None and got.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_unknown_unit() -> None:
    with pytest.raises(ValueError, match="unknown unit"):
        fire_time(_at(NOW), 1, "Y", -1, ZoneInfo("UTC"), _at(NOW))
