"""Logic and inspection builtins: ``if``, ``and``, ``or``, ``default``, ``is_error``, ``count``."""

from __future__ import annotations

from sauti.engine.excellent.convert import to_boolean, to_text
from sauti.engine.excellent.functions.base import xfunction
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XArray, XBoolean, XError, XNumber, XObject


@xfunction("and", 1, None)
def and_(ev: Eval, *values: Value) -> Value:
    """Whether every argument is truthy (the first error argument met is the result)."""
    for value in values:
        result = to_boolean(value)
        if isinstance(result, XError) or not result.value:
            return result
    return XBoolean(True)


@xfunction("or", 1, None)
def or_(ev: Eval, *values: Value) -> Value:
    """Whether any argument is truthy (the first error argument met is the result)."""
    for value in values:
        result = to_boolean(value)
        if isinstance(result, XError) or result.value:
            return result
    return XBoolean(False)


@xfunction("if", 3)
def if_(ev: Eval, test: Value, then: Value, otherwise: Value) -> Value:
    """``then`` when ``test`` is truthy, else ``otherwise``; an error ``test`` is the result."""
    result = to_boolean(test)
    if isinstance(result, XError):
        return result
    return then if result.value else otherwise


@xfunction("default", 2)
def default(ev: Eval, value: Value, fallback: Value) -> Value:
    """``value``, unless it is an error or renders as empty text (whitespace counts as text)."""
    text = to_text(value)
    if isinstance(text, XError) or text.value == "":
        return fallback
    return value


@xfunction("is_error", 1)
def is_error(ev: Eval, value: Value) -> Value:
    return XBoolean(isinstance(value, XError))


@xfunction("count", 1)
def count(ev: Eval, value: Value) -> Value:
    """Items of an array or properties of an object (the default not counted); null is 0."""
    if value is None:
        return XNumber(0)
    if isinstance(value, XArray | XObject):
        return XNumber(len(value))
    return XError("value isn't countable")
