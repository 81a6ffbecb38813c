"""Number builtins: ``abs``, ``round``, ``round_up``, ``round_down``, ``max``, ``min``, ``mean``, ``mod``,
``rand``, ``rand_between``."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from sauti.engine.excellent import numbers
from sauti.engine.excellent.functions.base import int_arg, number_arg, xfunction
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XError, XNumber


def _number(fn: object, *args: Decimal) -> Value:
    try:
        result = fn(*args)  # type: ignore[operator]
    except numbers.NumberError as e:
        return XError(str(e))
    assert isinstance(result, Decimal)
    return XNumber(result)


@xfunction("abs", 1)
def abs_(ev: Eval, number: Value) -> Value:
    return XNumber(abs(number_arg(number)))


def _round(number: Value, args: tuple[Value, ...], mode: str) -> Value:
    value = number_arg(number)
    places = int_arg(args[0]) if args else 0
    try:
        return XNumber(numbers.round_number(value, places, mode))
    except numbers.NumberError as e:
        return XError(str(e))


@xfunction("round", 1, 2)
def round_(ev: Eval, number: Value, *args: Value) -> Value:
    """Rounded half away from zero to ``places`` (default 0; negative rounds the integer part)."""
    return _round(number, args, "half_up")


@xfunction("round_up", 1, 2)
def round_up(ev: Eval, number: Value, *args: Value) -> Value:
    """Rounded towards +∞ at ``places`` (default 0)."""
    return _round(number, args, "up")


@xfunction("round_down", 1, 2)
def round_down(ev: Eval, number: Value, *args: Value) -> Value:
    """Rounded towards -∞ at ``places`` (default 0)."""
    return _round(number, args, "down")


@xfunction("max", 1, None)
def max_(ev: Eval, *values: Value) -> Value:
    best = number_arg(values[0])
    for value in values[1:]:
        best = max(best, number_arg(value))
    return XNumber(best)


@xfunction("min", 1, None)
def min_(ev: Eval, *values: Value) -> Value:
    best = number_arg(values[0])
    for value in values[1:]:
        best = min(best, number_arg(value))
    return XNumber(best)


@xfunction("mean", 1, None)
def mean(ev: Eval, *values: Value) -> Value:
    try:
        total = Decimal(0)
        for value in values:
            total = numbers.add(total, number_arg(value))
        return XNumber(numbers.divide(total, Decimal(len(values))))
    except numbers.NumberError as e:
        return XError(str(e))


@xfunction("mod", 2)
def mod(ev: Eval, dividend: Value, divisor: Value) -> Value:
    """The remainder of ``dividend / divisor`` with the dividend's sign."""
    return _number(numbers.modulo, number_arg(dividend), number_arg(divisor))


@xfunction("rand", 0)
def rand(ev: Eval) -> Value:
    """A random number in [0, 1) from the evaluation's injected random source."""
    return XNumber(ev.random())


@xfunction("rand_between", 2)
def rand_between(ev: Eval, low: Value, high: Value) -> Value:
    """A random integer from ``low`` to ``high`` inclusive."""
    a, b = number_arg(low), number_arg(high)
    try:
        span = numbers.add(numbers.subtract(b, a), Decimal(1))
        value = numbers.add(numbers.multiply(ev.random(), span), a)
    except numbers.NumberError as e:
        return XError(str(e))
    return XNumber(value.to_integral_value(rounding=ROUND_FLOOR))
