"""Date and time builtins: ``now``, ``today``, ``datetime_add``, ``datetime_diff``, ``parse_datetime``,
``parse_time``, ``datetime_from_epoch``, ``epoch``, ``replace_time``, ``tz``, ``tz_offset``, ``date_from_parts``,
``time_from_parts``, ``weekday``, ``week_number``, and the legacy ``legacy_add``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

from sauti.engine.excellent import numbers
from sauti.engine.excellent.convert import to_datetime, to_number
from sauti.engine.excellent.dates import (
    DateError,
    add_calendar,
    add_duration,
    combine,
    days_between,
    months_between,
    parse_layout,
    timezone_name,
    zone,
)
from sauti.engine.excellent.functions.base import (
    date_arg,
    datetime_arg,
    int_arg,
    number_arg,
    text_arg,
    time_arg,
    xfunction,
)
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XDate, XDateTime, XError, XNumber, XText, XTime

UNITS: Final = "s, m, h, D, W, M, Y"
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_INT64: Final = 2**63
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


@xfunction("now", 0)
def now(ev: Eval) -> Value:
    return XDateTime(ev.current_time())


@xfunction("today", 0)
def today(ev: Eval) -> Value:
    return XDate(ev.current_time().date())


def _shift(value: dt.datetime, amount: int, unit: str) -> dt.datetime | None:
    match unit:
        case "s":
            return add_duration(value, dt.timedelta(seconds=amount))
        case "m":
            return add_duration(value, dt.timedelta(minutes=amount))
        case "h":
            return add_duration(value, dt.timedelta(hours=amount))
        case "D":
            return add_calendar(value, days=amount)
        case "W":
            return add_calendar(value, days=7 * amount)
        case "M":
            return add_calendar(value, months=amount)
        case "Y":
            return add_calendar(value, years=amount)
    return None


@xfunction("datetime_add", 0, None)
def datetime_add(ev: Eval, *args: Value) -> Value:
    """``datetime`` moved by ``offset`` units (``Y M W D`` move the calendar keeping the wall time,
    ``h m s`` add real time)."""
    if len(args) != 3:
        return XError(f"takes exactly three arguments, received {len(args)}")
    value = datetime_arg(ev, args[0])
    amount = int_arg(args[1])
    unit = text_arg(args[2])
    try:
        shifted = _shift(value, amount, unit)
    except DateError as e:
        return XError(str(e))
    if shifted is None:
        return XError(f"unknown unit: {unit}, must be one of {UNITS}")
    return XDateTime(shifted)


def _whole(delta: dt.timedelta, unit: dt.timedelta) -> int:
    micros, per = delta // dt.timedelta(microseconds=1), unit // dt.timedelta(microseconds=1)
    whole = abs(micros) // per
    return -whole if micros < 0 else whole


@xfunction("datetime_diff", 3)
def datetime_diff(ev: Eval, date1: Value, date2: Value, unit: Value) -> Value:
    """Whole units from ``date1`` to ``date2`` (``D``/``W`` count calendar days, ``M``/``Y`` calendar months
    and years; ``h m s`` real time, truncated)."""
    a = datetime_arg(ev, date1)
    b = datetime_arg(ev, date2)
    name = text_arg(unit)
    elapsed = b.astimezone(dt.UTC) - a.astimezone(dt.UTC)  # real time, even within one zone across DST
    match name:
        case "s":
            return XNumber(_whole(elapsed, dt.timedelta(seconds=1)))
        case "m":
            return XNumber(_whole(elapsed, dt.timedelta(minutes=1)))
        case "h":
            return XNumber(_whole(elapsed, dt.timedelta(hours=1)))
        case "D":
            return XNumber(days_between(b, a))
        case "W":
            days = days_between(b, a)
            return XNumber(-(-days // 7) if days < 0 else days // 7)
        case "M":
            return XNumber(months_between(b, a))
        case "Y":
            return XNumber(b.year - a.year)
    return XError(f"unknown unit: {name}, must be one of {UNITS}")


@xfunction("parse_datetime", 2, 3)
def parse_datetime(ev: Eval, text: Value, layout: Value, *args: Value) -> Value:
    """``text`` read with format codes, in ``timezone`` (default: the environment's) unless it has an offset."""
    value = text_arg(text)
    fmt = text_arg(layout)
    try:
        tz = zone(text_arg(args[0])) if args else ev.env.tz
        return XDateTime(parse_layout(value, fmt, "datetime", tz))
    except DateError as e:
        return XError(str(e))


@xfunction("parse_time", 2)
def parse_time(ev: Eval, text: Value, layout: Value) -> Value:
    value = text_arg(text)
    fmt = text_arg(layout)
    try:
        return XTime(parse_layout(value, fmt, "time", ev.env.tz).time())
    except DateError as e:
        return XError(str(e))


@xfunction("datetime_from_epoch", 1)
def datetime_from_epoch(ev: Eval, seconds: Value) -> Value:
    """The instant ``seconds`` after 1970-01-01 UTC (fractions kept to the microsecond), in the environment's
    timezone."""
    value = number_arg(seconds)
    try:
        nanos = int(numbers.multiply(value, Decimal(1_000_000_000)))
    except numbers.NumberError:
        return XError("epoch time is out of range")
    if not -_INT64 <= nanos < _INT64:
        return XError("epoch time is out of range")
    return XDateTime((_EPOCH + dt.timedelta(microseconds=nanos // 1000)).astimezone(ev.env.tz))


@xfunction("epoch", 1)
def epoch(ev: Eval, value: Value) -> Value:
    """Seconds since 1970-01-01 UTC, with the fraction."""
    moment = datetime_arg(ev, value)
    micros = (moment - _EPOCH) // dt.timedelta(microseconds=1)
    return XNumber(numbers.divide(Decimal(micros), Decimal(1_000_000)))


@xfunction("replace_time", 2)
def replace_time(ev: Eval, value: Value, time_of_day: Value) -> Value:
    """``value``'s date (in its own timezone) at the time of day ``time_of_day``."""
    moment = datetime_arg(ev, value)
    t = time_arg(ev, time_of_day)
    assert moment.tzinfo is not None
    return XDateTime(combine(moment.date(), t, moment.tzinfo))


@xfunction("tz", 1)
def tz(ev: Eval, value: Value) -> Value:
    """The timezone name of a datetime (``UTC``, ``America/Guayaquil``; empty for a bare offset)."""
    return XText(timezone_name(datetime_arg(ev, value)))


@xfunction("tz_offset", 1)
def tz_offset(ev: Eval, value: Value) -> Value:
    """The offset of a datetime as ``+HHMM``/``-HHMM``."""
    moment = datetime_arg(ev, value)
    offset = moment.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return XText(f"{sign}{minutes // 60:02d}{minutes % 60:02d}")


@xfunction("date_from_parts", 3)
def date_from_parts(ev: Eval, year: Value, month: Value, day: Value) -> Value:
    """The date ``year-month-day``; a day past the month's end runs into the next (2017-02-31 is 2017-03-03)."""
    y, m, d = int_arg(year), int_arg(month), int_arg(day)
    if not 1 <= m <= 12:
        return XError("invalid value for month, must be 1-12")
    try:
        return XDate(dt.date(y, m, 1) + dt.timedelta(days=d - 1))
    except (ValueError, OverflowError):
        return XError("date is out of range")


@xfunction("time_from_parts", 3)
def time_from_parts(ev: Eval, hour: Value, minute: Value, second: Value) -> Value:
    h, m, s = int_arg(hour), int_arg(minute), int_arg(second)
    if not 0 <= h <= 23:
        return XError("invalid value for hour, must be 0-23")
    if not 0 <= m <= 59:
        return XError("invalid value for minute, must be 0-59")
    if not 0 <= s <= 59:
        return XError("invalid value for second, must be 0-59")
    return XTime(dt.time(h, m, s))


@xfunction("weekday", 1)
def weekday(ev: Eval, value: Value) -> Value:
    """Day of the week, Sunday 0 to Saturday 6."""
    return XNumber(date_arg(ev, value).isoweekday() % 7)


@xfunction("week_number", 1)
def week_number(ev: Eval, value: Value) -> Value:
    """Week of the year (1-54); weeks start on Sunday and the week holding January 1 is week 1."""
    day = date_arg(ev, value)
    weekday_index = day.isoweekday() % 7
    year_day = day.timetuple().tm_yday - 1
    return XNumber((year_day - weekday_index + 7) // 7 + 1)


@xfunction("legacy_add", 2)
def legacy_add(ev: Eval, arg1: Value, arg2: Value) -> Value:
    """The old ``+`` of migrated flows: a datetime plus a whole number of days, or two numbers added."""
    date1, date2 = to_datetime(ev, arg1), to_datetime(ev, arg2)
    num1, num2 = to_number(arg1), to_number(arg2)
    if isinstance(date1, XDateTime) and isinstance(date2, XDateTime):
        return XError("cannot operate on two dates")
    for moment, days in ((date1, num2), (date2, num1)):
        if isinstance(moment, XDateTime) and isinstance(days, XNumber):
            count = int(days.value)
            if not _INT32_MIN <= count <= _INT32_MAX:
                return XError("cannot operate on integers greater than 32 bit")
            try:
                return XDateTime(add_calendar(moment.value, days=count))
            except DateError as e:
                return XError(str(e))
    if isinstance(num1, XError):
        return num1
    if isinstance(num2, XError):
        return num2
    try:
        return XNumber(numbers.add(num1.value, num2.value))
    except numbers.NumberError as e:
        return XError(str(e))
