"""Parsing dates and datetimes written by people, in a workspace's timezone and date style."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import regex

# 2024-01-15, 15/01/2024, 15.1.24, optionally followed by a time 13:45[:30[.123456]]
_DMY = regex.compile(
    r"^\s*(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*(am|pm)?)?\s*$",
    regex.IGNORECASE,
)


def _year(y: int, digits: int) -> int:
    if digits <= 2:
        return 2000 + y if y < 70 else 1900 + y
    return y


def parse_date_parts(text: str, date_style: str) -> tuple[date, time | None] | None:
    """A day (and maybe a time of day) from ``text`` read in the date style; ``None`` if it is not one."""
    m = _DMY.match(text)
    if not m:
        return None
    a, b, c = m.group(1), m.group(2), m.group(3)
    try:
        if len(a) == 4 or date_style == "year_first":
            day = date(_year(int(a), len(a)), int(b), int(c))
        elif date_style == "month_first":
            day = date(_year(int(c), len(c)), int(a), int(b))
        else:
            day = date(_year(int(c), len(c)), int(b), int(a))
    except ValueError:
        return None
    if m.group(4) is None:
        return day, None
    hour, minute = int(m.group(4)), int(m.group(5))
    second = int(m.group(6) or 0)
    micro = int((m.group(7) or "0").ljust(6, "0"))
    meridian = (m.group(8) or "").lower()
    if meridian == "pm" and hour < 12:
        hour += 12
    elif meridian == "am" and hour == 12:
        hour = 0
    try:
        return day, time(hour, minute, second, micro)
    except ValueError:
        return None


def parse_datetime(text: str, tz: ZoneInfo, date_style: str = "day_first") -> datetime | None:
    """An aware UTC datetime from ISO-8601 or a date in the workspace style; naive values are local to ``tz``."""
    raw = text.strip()
    if not raw:
        return None
    iso = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parts = parse_date_parts(raw, date_style)
        if parts is None:
            return None
        parsed = datetime.combine(parts[0], parts[1] or time(0))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def local_iso(value: datetime, tz: ZoneInfo) -> str:
    """ISO-8601 in the workspace timezone with its offset, e.g. ``2017-11-11T13:12:13+02:00``."""
    local = value.astimezone(tz)
    return local.isoformat(timespec="microseconds" if local.microsecond else "seconds")
