"""Reading query values as numbers and dates, and the workspace settings that reading depends on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property
from zoneinfo import ZoneInfo

import regex

DATE_STYLES = ("day_first", "month_first", "year_first")


@dataclass(frozen=True)
class Environment:
    """The workspace settings a query is read and evaluated with.

    ``timezone`` is an IANA name: a datetime condition's day runs from local midnight to local midnight there.
    ``date_style`` (``day_first`` | ``month_first`` | ``year_first``) says how ``01-02-2024`` reads; ISO
    ``2024-02-01`` is always accepted. ``country`` is the workspace's ISO country code (unused by the query
    language itself today). ``redact_urns`` is the anonymous-workspace policy: URN conditions are refused
    and a bare number is read as a contact ``ref``.
    """

    timezone: str = "UTC"
    date_style: str = "day_first"
    country: str | None = None
    redact_urns: bool = False

    @cached_property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_NUMBER = regex.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MAX_NUMBER_DIGITS = 36  # as wide as ContactValue.number_value; longer input is surely not a real number


def parse_number(text: str) -> Decimal | None:
    """A plain decimal (``18``, ``-2.5``, ``.5``; no exponent, no grouping) or ``None``."""
    text = text.strip()
    if not _NUMBER.fullmatch(text) or sum(c.isdigit() for c in text) > _MAX_NUMBER_DIGITS:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


_ISO_DATE = regex.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_STYLED_DATE = {
    "day_first": regex.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4})"),
    "month_first": regex.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4})"),
    "year_first": regex.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})"),
}


def parse_date(text: str, date_style: str) -> dt.date | None:
    """A calendar date written as ISO ``YYYY-MM-DD`` or in the workspace style, else ``None``.

    Styles accept ``-``, ``/`` or ``.`` as the separator (the same one twice) and one- or two-digit days
    and months: ``15-01-2024``/``15/1/2024`` (day_first), ``01-15-2024`` (month_first), ``2024/01/15``
    (year_first). Impossible dates (``2024-02-30``) are ``None``.
    """
    text = text.strip()
    parts: tuple[str, str, str] | None = None  # year, month, day
    iso = _ISO_DATE.fullmatch(text)
    if iso:
        parts = (iso[1], iso[2], iso[3])
    else:
        pattern = _STYLED_DATE.get(date_style)
        styled = pattern.fullmatch(text) if pattern else None
        if styled:
            if date_style == "day_first":
                parts = (styled[4], styled[3], styled[1])
            elif date_style == "month_first":
                parts = (styled[4], styled[1], styled[3])
            else:
                parts = (styled[1], styled[3], styled[4])
    if parts is None:
        return None
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def day_range(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants of local midnight starting ``day`` and the next day, in ``tz`` (DST-aware)."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    return start, end
