"""Conversions between value types, as functions and operators apply them to their arguments.

Each returns the converted value or an :class:`~sauti.engine.excellent.types.XError` (an error argument is
returned as is), never raising. The rules:

- text: the canonical rendering; null is ``""``.
- number: numbers as they are; text written plainly (``-1.5``, ``.5``; no grouping, ``+`` or exponent); an
  object by its default; anything else ``unable to convert "abc" to a number``.
- integer: a number's integer part (truncated), within ±2³¹.
- boolean: truthiness.
- date / datetime / time: the same type as is; a datetime gives its date or time of day (the date in the
  environment's timezone); a date gives midnight in the environment's timezone; text is read as
  :func:`~sauti.engine.excellent.dates.parse_datetime_text` describes; a number 0-23 is that hour (24 is
  midnight); an object converts by its default.
"""

from __future__ import annotations

import datetime as dt

from sauti.engine.excellent.dates import combine, parse_date_text, parse_datetime_text, parse_time_text
from sauti.engine.excellent.numbers import parse_decimal, render_number
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import (
    Value,
    XArray,
    XBoolean,
    XDate,
    XDateTime,
    XError,
    XFunction,
    XNumber,
    XObject,
    XText,
    XTime,
    describe,
    truthy,
)

__all__ = [
    "EMPTY_TEXT",
    "to_array",
    "to_boolean",
    "to_date",
    "to_datetime",
    "to_function",
    "to_integer",
    "to_number",
    "to_object",
    "to_text",
    "to_time",
]

EMPTY_TEXT = XText("")

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def to_text(value: Value) -> XText | XError:
    if value is None:
        return EMPTY_TEXT
    if isinstance(value, XText | XError):
        return value
    return XText(value.render())


def to_number(value: Value) -> XNumber | XError:
    if isinstance(value, XNumber | XError):
        return value
    if isinstance(value, XText):
        parsed = parse_decimal(value.value)
        if parsed is not None:
            return XNumber(parsed)
    elif isinstance(value, XObject) and value.has_default:
        return to_number(value.default)
    return XError(f"unable to convert {describe(value)} to a number")


def to_integer(value: Value) -> int | XError:
    number = to_number(value)
    if isinstance(number, XError):
        return number
    integer = int(number.value)
    if not _INT32_MIN <= integer <= _INT32_MAX:
        return XError(f"number value {render_number(number.value)} is out of range for an integer")
    return integer


def to_boolean(value: Value) -> XBoolean | XError:
    if isinstance(value, XError):
        return value
    return XBoolean(truthy(value))


def to_date(ev: Eval, value: Value) -> XDate | XError:
    if isinstance(value, XDate | XError):
        return value
    if isinstance(value, XDateTime):
        return XDate(value.value.astimezone(ev.env.tz).date())
    if isinstance(value, XText):
        found = parse_date_text(ev.env, value.value, ev.current_time().year)
        if found is not None:
            return XDate(found[0])
    elif isinstance(value, XObject) and value.has_default:
        return to_date(ev, value.default)
    return XError(f"unable to convert {describe(value)} to a date")


def to_datetime(ev: Eval, value: Value, fill_time: bool = False) -> XDateTime | XError:
    """``fill_time``: text with a date but no time takes the current time of day instead of midnight."""
    if isinstance(value, XDateTime | XError):
        return value
    if isinstance(value, XDate):
        return XDateTime(combine(value.value, dt.time(0, 0), ev.env.tz))
    if isinstance(value, XText):
        parsed = parse_datetime_text(ev.env, value.value, ev.now(), fill_time)
        if parsed is not None:
            return XDateTime(parsed)
    elif isinstance(value, XObject) and value.has_default:
        return to_datetime(ev, value.default, fill_time)
    return XError(f"unable to convert {describe(value)} to a datetime")


def to_time(ev: Eval, value: Value) -> XTime | XError:
    if isinstance(value, XTime | XError):
        return value
    if isinstance(value, XDateTime):
        return XTime(value.value.time())
    if isinstance(value, XNumber):
        hour = int(value.value)  # the integer part, as goflow truncates
        if 0 <= hour <= 23:
            return XTime(dt.time(hour))
        if hour == 24:
            return XTime(dt.time(0))
    elif isinstance(value, XText):
        parsed = parse_time_text(value.value)
        if parsed is not None:
            return XTime(parsed)
    elif isinstance(value, XObject) and value.has_default:
        return to_time(ev, value.default)
    return XError(f"unable to convert {describe(value)} to a time")


def to_array(value: Value) -> XArray | XError:
    if value is None:
        return XArray(())
    if isinstance(value, XArray | XError):
        return value
    return XError(f"unable to convert {describe(value)} to an array")


def to_object(value: Value) -> XObject | XError:
    if value is None:
        return XObject({})
    if isinstance(value, XObject | XError):
        return value
    return XError(f"unable to convert {describe(value)} to an object")


def to_function(value: Value) -> XFunction | XError:
    if isinstance(value, XFunction):
        return value
    return XError(f"{describe(value)} is not a function")
