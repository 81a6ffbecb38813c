"""Formatting builtins: ``format``, ``format_date``, ``format_datetime``, ``format_time``, ``format_number``,
``format_urn``, ``format_location``."""

from __future__ import annotations

import datetime as dt

import phonenumbers

from sauti.engine.excellent.dates import DateError, format_layout, zone
from sauti.engine.excellent.functions.base import (
    bool_arg,
    date_arg,
    datetime_arg,
    int_arg,
    number_arg,
    text_arg,
    time_arg,
    xfunction,
)
from sauti.engine.excellent.functions.encoding import URNSyntaxError, parse_urn
from sauti.engine.excellent.numbers import format_number as pretty_number
from sauti.engine.excellent.render import format_value
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XError, XText

__all__ = ["format_urn_text"]


@xfunction("format", 1)
def format_(ev: Eval, value: Value) -> Value:
    """The pretty form of any value (grouped numbers, dates in the environment's formats...)."""
    return XText(format_value(ev, value))


@xfunction("format_date", 1, 2)
def format_date(ev: Eval, value: Value, *args: Value) -> Value:
    day = date_arg(ev, value)
    layout = text_arg(args[0]) if args else ev.env.date_format
    try:
        return XText(format_layout(dt.datetime.combine(day, dt.time()), layout, "date", ev.locale))
    except DateError as e:
        return XError(str(e))


@xfunction("format_datetime", 1, 3)
def format_datetime(ev: Eval, value: Value, *args: Value) -> Value:
    """A datetime written with format codes (default: the environment's date and time formats) in
    ``timezone`` (default: the environment's)."""
    moment = datetime_arg(ev, value)
    layout = text_arg(args[0]) if args else ev.env.datetime_format
    try:
        tz = zone(text_arg(args[1])) if len(args) > 1 else ev.env.tz
        return XText(format_layout(moment.astimezone(tz), layout, "datetime", ev.locale))
    except DateError as e:
        return XError(str(e))


@xfunction("format_time", 1, 2)
def format_time(ev: Eval, value: Value, *args: Value) -> Value:
    moment = time_arg(ev, value)
    layout = text_arg(args[0]) if args else ev.env.time_format
    try:
        return XText(format_layout(dt.datetime.combine(dt.date(2000, 1, 1), moment), layout, "time", ev.locale))
    except DateError as e:
        return XError(str(e))


@xfunction("format_number", 1, 3)
def format_number(ev: Eval, value: Value, *args: Value) -> Value:
    """``number`` with ``places`` decimals (0-9; default: as many as it has), digit grouping unless
    ``humanize`` is false."""
    number = number_arg(value)
    places: int | None = None
    if args:
        places = int_arg(args[0])
        if not 0 <= places <= 9:
            return XError(f"must take 0-9 number of places, got {places}")
    group = bool_arg(args[1]) if len(args) > 1 else True
    return XText(pretty_number(number, ev.env.number_format, places, group))


def format_urn_text(urn: str) -> str:
    """The human form of a URN: its display part, a phone number in national format, else the path.
    ``URNSyntaxError`` when it isn't a URN."""
    scheme, path, _, display = parse_urn(urn)
    if display:
        return display
    if scheme == "tel":
        try:
            parsed = phonenumbers.parse(path, None)
        except phonenumbers.NumberParseException:
            return path
        return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
    return path


@xfunction("format_urn", 1)
def format_urn(ev: Eval, urn: Value) -> Value:
    text = text_arg(urn)
    try:
        return XText(format_urn_text(text))
    except URNSyntaxError as e:
        return XError(f"{text} is not a valid URN: {e}")


@xfunction("format_location", 1)
def format_location(ev: Eval, path: Value) -> Value:
    """The last level of a location path: ``Rwanda > Kigali`` is ``Kigali``."""
    return XText(text_arg(path).split(">")[-1].strip())
