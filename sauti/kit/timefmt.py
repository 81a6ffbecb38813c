"""The one UTC wire format for datetimes: ``YYYY-MM-DDThh:mm:ss.ffffffZ``, always six fraction digits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time


def format_utc(value: datetime | None) -> str | None:
    """Render an aware (or naive-UTC) datetime as ``2020-08-12T13:30:45.000000Z``; ``None`` stays ``None``."""
    if value is None:
        return None
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    if value.year < 1000:  # strftime's %Y does not pad these on every platform: keep its reading
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # the same text as strftime, at a tenth of its cost (a flow session's JSON holds dozens of these, a page of
    # contacts 750): the C isoformat, whose "+00:00" becomes the Z
    text = value.isoformat(timespec="microseconds")
    return text + "Z" if value.tzinfo is None else text[:-6] + "Z"


def parse_iso(value: str) -> datetime | None:
    """Parse a lenient ISO-8601 date or datetime into an aware UTC datetime.

    A bare date means midnight UTC; a value without an offset is taken as UTC. Returns ``None`` when the text
    is not a date at all (callers decide whether that is an error or an empty result).
    """
    text = value.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), time(0))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo is not None else value


def format_utc_seconds(value: datetime | None) -> str | None:
    """``2018-04-09T01:04:49Z``: whole seconds (the TextUs dialect's timestamps)."""
    return None if value is None else _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_utc_millis(value: datetime | None) -> str | None:
    """``2017-07-14T19:38:44.231Z``: milliseconds (TextUs web hook payloads)."""
    if value is None:
        return None
    value = _utc(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def format_utc_words(value: datetime | None) -> str | None:
    """``2018-05-02 17:27:55 UTC`` (how TextUs shows a broadcast's delivery time)."""
    return None if value is None else _utc(value).strftime("%Y-%m-%d %H:%M:%S UTC")
