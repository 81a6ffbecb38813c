"""The function registry and the argument helpers every builtin uses.

A builtin is ``fn(ev, *args) -> Value`` registered with :func:`xfunction`, which checks the argument count
(goflow's wording: ``need 2 argument(s), got 1``, ``need 1 to 3 argument(s), got 0``, ``need at least 1
argument(s), got 0``) and turns a :class:`Fail` raised by an argument helper into the error it carries. So a
body reads top to bottom::

    @xfunction("repeat", 2)
    def repeat(ev: Eval, text: Value, count: Value) -> Value:
        return XText(text_arg(text) * int_arg(count))

Every argument helper returns the converted Python value or raises :class:`Fail` with the conversion error
(an error argument fails with that very error), so a builtin returns the first bad argument's error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Final, TypeVar

from sauti.engine.excellent.convert import (
    to_array,
    to_boolean,
    to_date,
    to_datetime,
    to_function,
    to_integer,
    to_number,
    to_object,
    to_text,
    to_time,
)
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XArray, XError, XFunction, XObject

__all__ = [
    "FUNCTIONS",
    "MAX_ARRAY_ITEMS",
    "MAX_TEXT_CHARS",
    "Fail",
    "array_arg",
    "bool_arg",
    "check",
    "date_arg",
    "datetime_arg",
    "function_arg",
    "int_arg",
    "lookup_function",
    "num_args_error",
    "number_arg",
    "object_arg",
    "text_arg",
    "time_arg",
    "xfunction",
]

FUNCTIONS: Final[dict[str, XFunction]] = {}
"""Every builtin by lower-case name (router case tests register here too)."""

MAX_ARRAY_ITEMS: Final = 10_000
MAX_TEXT_CHARS: Final = 10_000

F = TypeVar("F", bound=Callable[..., Value])


class Fail(Exception):
    """Raised by argument helpers; :func:`xfunction` returns its ``error``."""

    def __init__(self, error: XError) -> None:
        super().__init__(error.message)
        self.error = error


def num_args_error(min_args: int, max_args: int | None, got: int) -> XError:
    """goflow's wording for a wrong number of arguments (``max_args`` None: no maximum)."""
    if min_args == max_args:
        return XError(f"need {min_args} argument(s), got {got}")
    if max_args is None:
        return XError(f"need at least {min_args} argument(s), got {got}")
    return XError(f"need {min_args} to {max_args} argument(s), got {got}")


_SAME: Final = object()


def xfunction(name: str, min_args: int, max_args: int | object | None = _SAME) -> Callable[[F], F]:
    """Register the decorated ``fn(ev, *args)`` as builtin ``name`` taking ``min_args`` to ``max_args``
    arguments (``max_args`` defaults to ``min_args``; ``None`` means any number)."""
    maximum: int | None = min_args if max_args is _SAME else max_args  # type: ignore[assignment]

    def decorate(fn: F) -> F:
        def checked(ev: Eval, *args: Value) -> Value:
            if len(args) < min_args or (maximum is not None and len(args) > maximum):
                return num_args_error(min_args, maximum, len(args))
            try:
                return fn(ev, *args)
            except Fail as failure:
                return failure.error

        FUNCTIONS[name] = XFunction(name, checked)
        return fn

    return decorate


def lookup_function(name: str) -> XFunction | None:
    """The builtin called ``name`` (case-insensitive)."""
    return FUNCTIONS.get(name.lower())


def check(value: Value) -> Value:
    """``value`` unless it is an error (then :class:`Fail`)."""
    if isinstance(value, XError):
        raise Fail(value)
    return value


def text_arg(value: Value) -> str:
    result = to_text(value)
    if isinstance(result, XError):
        raise Fail(result)
    return result.value


def number_arg(value: Value) -> Decimal:
    result = to_number(value)
    if isinstance(result, XError):
        raise Fail(result)
    return result.value


def int_arg(value: Value) -> int:
    result = to_integer(value)
    if isinstance(result, XError):
        raise Fail(result)
    return result


def bool_arg(value: Value) -> bool:
    result = to_boolean(value)
    if isinstance(result, XError):
        raise Fail(result)
    return result.value


def date_arg(ev: Eval, value: Value) -> dt.date:
    result = to_date(ev, value)
    if isinstance(result, XError):
        raise Fail(result)
    return result.value


def datetime_arg(ev: Eval, value: Value, fill_time: bool = False) -> dt.datetime:
    result = to_datetime(ev, value, fill_time)
    if isinstance(result, XError):
        raise Fail(result)
    return result.value


def time_arg(ev: Eval, value: Value) -> dt.time:
    result = to_time(ev, value)
    if isinstance(result, XError):
        raise Fail(result)
    return result.value


def array_arg(value: Value) -> XArray:
    result = to_array(value)
    if isinstance(result, XError):
        raise Fail(result)
    return result


def object_arg(value: Value) -> XObject:
    result = to_object(value)
    if isinstance(result, XError):
        raise Fail(result)
    return result


def function_arg(value: Value) -> XFunction:
    result = to_function(value)
    if isinstance(result, XError):
        raise Fail(result)
    return result
