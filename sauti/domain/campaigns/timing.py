"""When a campaign event fires for one contact: a pure function of the contact's date, the event's schedule,
the workspace's timezone and the current time (no I/O).

1. The anchor (the contact's date) is read in the workspace's timezone; seconds and sub-seconds round it **up**
   to the next whole minute.
2. Minutes and hours are exact durations. Days and weeks (seven days) are calendar days in the workspace's
   timezone, so the time of day holds across a change to or from daylight saving time.
3. A delivery hour (0-23; -1 means none) sets the time to that hour, on the date reached, in the workspace's
   timezone, whatever the unit.
4. A time before now gives no fire: missed events are never back-filled. Now itself still fires.

DECISION: a wall-clock time that does not exist (inside a spring-forward gap) moves forward by the gap (02:30 on
the day clocks go from 02:00 to 03:00 is 03:30); one that happens twice (a fall-back overlap) is its first
occurrence. Both are pinned by ``tests/domain/test_campaign_timing.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

UNITS = {"M": "minutes", "H": "hours", "D": "days", "W": "weeks"}  # stored letter -> the API's word
UNIT_LETTERS = {word: letter for letter, word in UNITS.items()}
MINUTE = timedelta(minutes=1)


def _normal(local: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time made real: through UTC and back, so a time in a gap moves forward by the gap."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def fire_time(
    anchor: datetime, offset: int, unit: str, delivery_hour: int, tz: ZoneInfo, now: datetime
) -> datetime | None:
    """The UTC time the event fires for a contact whose date is ``anchor`` (aware), or ``None`` when that time
    is already past. ``unit`` is a stored letter (M H D W)."""
    local = anchor.astimezone(tz)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + MINUTE
        local = _normal(local, tz)
    if unit == "M":
        local = (local.astimezone(UTC) + timedelta(minutes=offset)).astimezone(tz)
    elif unit == "H":
        local = (local.astimezone(UTC) + timedelta(hours=offset)).astimezone(tz)
    elif unit in ("D", "W"):
        days = offset * (7 if unit == "W" else 1)
        if days:
            local = _normal(local.replace(tzinfo=None, fold=0) + timedelta(days=days), tz)
    else:
        raise ValueError(f"unknown unit {unit!r}")
    if delivery_hour != -1:
        local = _normal(local.replace(hour=delivery_hour, minute=0, second=0, microsecond=0), tz)
    fire = local.astimezone(UTC)
    return None if fire < now else fire
