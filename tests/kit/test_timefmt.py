"""The UTC wire format: what ``strftime("%Y-%m-%dT%H:%M:%S.%fZ")`` writes of the UTC time, for every kind of
datetime the project holds (aware in any zone, naive UTC, whole seconds, early years)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sauti.kit.timefmt import format_utc

CASES = [
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # no fraction: still six digits
    datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=2))),  # the day before, in UTC
    datetime(2026, 6, 1, 12, 0, 0, 500, tzinfo=ZoneInfo("America/New_York")),
    datetime(2026, 3, 4, 5, 6, 7, 891011),  # naive: taken as UTC
    datetime(999, 1, 1, tzinfo=UTC),  # strftime writes the year unpadded on this platform
    datetime(1000, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
]


@pytest.mark.parametrize("value", CASES, ids=[c.isoformat() for c in CASES])
def test_the_wire_format_is_strftimes(value: datetime) -> None:
    utc = value.astimezone(UTC) if value.tzinfo is not None else value
    assert format_utc(value) == utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_none_stays_none() -> None:
    assert format_utc(None) is None
