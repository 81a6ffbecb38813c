"""Array and object builtins: ``slice``, ``contains``, ``join``, ``reverse``, ``sort``, ``sum``, ``unique``,
``concat``, ``filter``, ``foreach``, ``foreach_value``, ``extract``, ``extract_object``, ``keys``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sauti.engine.excellent import numbers
from sauti.engine.excellent.convert import to_boolean
from sauti.engine.excellent.functions.base import (
    MAX_ARRAY_ITEMS,
    array_arg,
    function_arg,
    int_arg,
    number_arg,
    object_arg,
    text_arg,
    xfunction,
)
from sauti.engine.excellent.functions.text import slice_bounds
from sauti.engine.excellent.runtime import Eval, call_function
from sauti.engine.excellent.types import (
    Value,
    XArray,
    XBoolean,
    XDate,
    XDateTime,
    XError,
    XNumber,
    XObject,
    XText,
    XTime,
    describe,
    equals,
)

_COMPARABLE = (XText, XNumber, XBoolean, XDate, XDateTime, XTime)


@xfunction("slice", 2, 3)
def slice_(ev: Eval, array: Value, start: Value, *args: Value) -> Value:
    """Items ``start`` up to (not including) ``end``; negatives count from the end."""
    items = array_arg(array).items
    first = int_arg(start)
    end = int_arg(args[0]) if args else len(items)
    a, b = slice_bounds(len(items), first, end)
    return XArray(items[a:b])


@xfunction("contains", 2)
def contains(ev: Eval, array: Value, value: Value) -> Value:
    """Whether an item equals ``value`` (same type and value: ``1`` is not ``"1"``)."""
    items = array_arg(array).items
    if isinstance(value, XError):
        return value
    return XBoolean(any(equals(item, value) for item in items))


@xfunction("join", 2)
def join(ev: Eval, array: Value, separator: Value) -> Value:
    items = array_arg(array).items
    sep = text_arg(separator)
    return XText(sep.join(text_arg(item) for item in items))


@xfunction("reverse", 1)
def reverse(ev: Eval, array: Value) -> Value:
    return XArray(array_arg(array).items[::-1])


def _sort_key(item: Value) -> Any:
    assert isinstance(item, _COMPARABLE)
    if isinstance(item, XDateTime):
        return item.value.astimezone(dt.UTC)  # instants, not wall times
    return item.value


@xfunction("sort", 1)
def sort(ev: Eval, array: Value) -> Value:
    """The items in ascending order; they must all be of one comparable type (text, number, boolean, date,
    datetime or time)."""
    items = array_arg(array).items
    if len(items) < 2:
        return XArray(items)
    first = items[0]
    for item in items:
        if not isinstance(item, _COMPARABLE):
            return XError(f"{describe(item)} isn't a comparable type")
        if type(item) is not type(first):
            return XError("can't sort array of different types")
    return XArray(sorted(items, key=_sort_key))


@xfunction("sum", 1)
def sum_(ev: Eval, array: Value) -> Value:
    items = array_arg(array).items
    total = Decimal(0)
    try:
        for item in items:
            total = numbers.add(total, number_arg(item))
    except numbers.NumberError as e:
        return XError(str(e))
    return XNumber(total)


@xfunction("unique", 1)
def unique(ev: Eval, array: Value) -> Value:
    """The items without repeats (first occurrence kept)."""
    kept: list[Value] = []
    for item in array_arg(array).items:
        if not any(equals(item, k) for k in kept):
            kept.append(item)
    return XArray(kept)


@xfunction("concat", 2)
def concat(ev: Eval, array1: Value, array2: Value) -> Value:
    first, second = array_arg(array1).items, array_arg(array2).items
    if len(first) + len(second) > MAX_ARRAY_ITEMS:
        return XError(f"cannot build an array with more than {MAX_ARRAY_ITEMS} items")
    return XArray(first + second)


@xfunction("filter", 2)
def filter_(ev: Eval, array: Value, function: Value) -> Value:
    """The items for which ``function(item)`` is truthy."""
    items = array_arg(array).items
    fn = function_arg(function)
    kept: list[Value] = []
    for item in items:
        keep = to_boolean(call_function(ev, fn, [item]))
        if isinstance(keep, XError):
            return keep
        if keep.value:
            kept.append(item)
    return XArray(kept)


@xfunction("foreach", 2, None)
def foreach(ev: Eval, array: Value, function: Value, *extra: Value) -> Value:
    """``function(item, *extra)`` for each item (the first error is the result)."""
    items = array_arg(array).items
    fn = function_arg(function)
    out: list[Value] = []
    for item in items:
        result = call_function(ev, fn, [item, *extra])
        if isinstance(result, XError):
            return result
        out.append(result)
    return XArray(out)


@xfunction("foreach_value", 2, None)
def foreach_value(ev: Eval, obj: Value, function: Value, *extra: Value) -> Value:
    """An object with ``function(value, *extra)`` for each property value (the first error is the result)."""
    source = object_arg(obj)
    fn = function_arg(function)
    out: dict[str, Value] = {}
    for key in source.keys():
        result = call_function(ev, fn, [source.properties[key], *extra])
        if isinstance(result, XError):
            return result
        out[key] = result
    return XObject(out)


@xfunction("extract", 2)
def extract(ev: Eval, obj: Value, key: Value) -> Value:
    """The property ``key`` of ``obj`` (case-insensitive), null when missing."""
    source = object_arg(obj)
    return source.get(text_arg(key))


@xfunction("extract_object", 2, None)
def extract_object(ev: Eval, obj: Value, *keys: Value) -> Value:
    """A new object with just the named properties (missing ones null)."""
    source = object_arg(obj)
    names = [text_arg(k) for k in keys]
    return XObject({name: source.get(name) for name in names})


@xfunction("keys", 1)
def keys(ev: Eval, obj: Value) -> Value:
    """The property names in sorted order (null has none)."""
    return XArray([XText(k) for k in object_arg(obj).keys()])
