"""Conversion and constructor builtins: ``text``, ``number``, ``boolean``, ``date``, ``datetime``, ``time``,
``array``, ``object``."""

from __future__ import annotations

from sauti.engine.excellent.convert import to_boolean, to_date, to_datetime, to_number, to_text, to_time
from sauti.engine.excellent.functions.base import MAX_ARRAY_ITEMS, text_arg, xfunction
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XArray, XError, XObject


@xfunction("text", 1)
def text(ev: Eval, value: Value) -> Value:
    return to_text(value)


@xfunction("number", 1)
def number(ev: Eval, value: Value) -> Value:
    return to_number(value)


@xfunction("boolean", 1)
def boolean(ev: Eval, value: Value) -> Value:
    return to_boolean(value)


@xfunction("date", 1)
def date(ev: Eval, value: Value) -> Value:
    return to_date(ev, value)


@xfunction("datetime", 1)
def datetime(ev: Eval, value: Value) -> Value:
    return to_datetime(ev, value)


@xfunction("time", 1)
def time(ev: Eval, value: Value) -> Value:
    return to_time(ev, value)


@xfunction("array", 0, None)
def array(ev: Eval, *values: Value) -> Value:
    """The arguments as an array (at most 10,000; an error argument is the result)."""
    if len(values) > MAX_ARRAY_ITEMS:
        return XError(f"cannot build an array with more than {MAX_ARRAY_ITEMS} items")
    for value in values:
        if isinstance(value, XError):
            return value
    return XArray(values)


@xfunction("object", 0, None)
def object_(ev: Eval, *pairs: Value) -> Value:
    """An object from ``key, value`` pairs (keys converted to text; a repeated key keeps its last value)."""
    for value in pairs:
        if isinstance(value, XError):
            return value
    if len(pairs) % 2:
        return XError("requires an even number of arguments")
    props: dict[str, Value] = {}
    for i in range(0, len(pairs), 2):
        props[text_arg(pairs[i])] = pairs[i + 1]
    return XObject(props)
