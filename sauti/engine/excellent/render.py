"""The pretty form of values, as ``format()`` writes them (templates use the canonical form, ``render``).

Numbers get digit grouping in the environment's number format (``1,234.5``); dates, datetimes and times the
environment's formats (datetimes shown in its timezone: ``18-07-1979 10:00``); arrays are comma separated, or
one ``- item`` per line when an item spans lines; objects are ``key: value`` lines in key order (or their
default's pretty form); errors are empty.
"""

from __future__ import annotations

import datetime as dt

from sauti.engine.excellent.dates import format_layout
from sauti.engine.excellent.numbers import format_number
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import (
    Value,
    XArray,
    XDate,
    XDateTime,
    XError,
    XNumber,
    XObject,
    XTime,
)

__all__ = ["format_value", "indent"]


def indent(text: str, prefix: str) -> str:
    """``prefix`` added at the start of every non-empty line of ``text``."""
    out: list[str] = []
    at_line_start = True
    for ch in text:
        if at_line_start and ch != "\n":
            out.append(prefix)
        out.append(ch)
        at_line_start = ch == "\n"
    return "".join(out)


def format_value(ev: Eval, value: Value) -> str:
    """The pretty text of ``value`` in ``ev``'s environment and language."""
    env = ev.env
    if value is None or isinstance(value, XError):
        return ""
    if isinstance(value, XNumber):
        return format_number(value.value, env.number_format)
    if isinstance(value, XDate):
        return format_layout(dt.datetime.combine(value.value, dt.time()), env.date_format, "date", ev.locale)
    if isinstance(value, XDateTime):
        return format_layout(value.value.astimezone(env.tz), env.datetime_format, "datetime", ev.locale)
    if isinstance(value, XTime):
        return format_layout(dt.datetime.combine(dt.date(2000, 1, 1), value.value), env.time_format, "time", ev.locale)
    if isinstance(value, XArray):
        parts = [format_value(ev, item) for item in value.items]
        if any("\n" in part for part in parts):
            return "\n".join("-" + indent(part, "  ")[1:] for part in parts)
        return ", ".join(parts)
    if isinstance(value, XObject):
        if value.has_default:
            return format_value(ev, value.default)
        lines = []
        for key in value.keys():
            text = format_value(ev, value.properties[key])
            lines.append(f"{key}:\n{indent(text, '  ')}" if "\n" in text else f"{key}: {text}")
        return "\n".join(lines)
    return value.render()
