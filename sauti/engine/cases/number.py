"""Number tests: ``has_number``, ``has_number_eq``, ``has_number_lt``, ``has_number_lte``, ``has_number_gt``,
``has_number_gte``, ``has_number_between``.

The operand is converted to text and searched with Excellent's number finder
(:func:`sauti.engine.excellent.numbers.find_numbers`) in the environment's number format: grouping and decimal
symbols, Arabic-Indic, Eastern Arabic-Indic and Bengali digits. The first number found that satisfies the
comparison is the match (a number value, so ``1,000`` matches as ``1000``): "between 1 and 10" on "I have 20 or
5" matches 5. The comparison arguments convert strictly with ``number()`` (``"10"`` is fine, ``"ten"`` or
``"1,000"`` is an error result).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sauti.engine.cases.base import FALSE_RESULT, case_test, true_result
from sauti.engine.excellent.functions.base import number_arg, text_arg
from sauti.engine.excellent.numbers import find_numbers
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XNumber

__all__ = [
    "has_number",
    "has_number_between",
    "has_number_eq",
    "has_number_gt",
    "has_number_gte",
    "has_number_lt",
    "has_number_lte",
]


def _first(ev: Eval, text: str, accept: Callable[[Decimal], bool]) -> Value:
    """A true result for the first number of ``text`` that ``accept`` takes, else the false result."""
    for number in find_numbers(text, ev.env.number_format):
        if accept(number):
            return true_result(XNumber(number))
    return FALSE_RESULT


@case_test("has_number_between", 3, 3)
def has_number_between(ev: Eval, operand: Value, minimum: Value, maximum: Value) -> Value:
    """A number ``n`` with ``minimum <= n <= maximum``."""
    text = text_arg(operand)
    low, high = number_arg(minimum), number_arg(maximum)
    return _first(ev, text, lambda n: low <= n <= high)


@case_test("has_number", 1, 1)
def has_number(ev: Eval, operand: Value) -> Value:
    """Any number."""
    return _first(ev, text_arg(operand), lambda n: True)


@case_test("has_number_eq", 2, 2)
def has_number_eq(ev: Eval, operand: Value, value: Value) -> Value:
    """A number equal to ``value`` (by value: ``10.0`` equals ``10``)."""
    text = text_arg(operand)
    target = number_arg(value)
    return _first(ev, text, lambda n: n == target)


@case_test("has_number_lt", 2, 2)
def has_number_lt(ev: Eval, operand: Value, maximum: Value) -> Value:
    """A number below ``maximum``."""
    text = text_arg(operand)
    limit = number_arg(maximum)
    return _first(ev, text, lambda n: n < limit)


@case_test("has_number_lte", 2, 2)
def has_number_lte(ev: Eval, operand: Value, maximum: Value) -> Value:
    """A number at most ``maximum``."""
    text = text_arg(operand)
    limit = number_arg(maximum)
    return _first(ev, text, lambda n: n <= limit)


@case_test("has_number_gt", 2, 2)
def has_number_gt(ev: Eval, operand: Value, minimum: Value) -> Value:
    """A number above ``minimum``."""
    text = text_arg(operand)
    limit = number_arg(minimum)
    return _first(ev, text, lambda n: n > limit)


@case_test("has_number_gte", 2, 2)
def has_number_gte(ev: Eval, operand: Value, minimum: Value) -> Value:
    """A number at least ``minimum``."""
    text = text_arg(operand)
    limit = number_arg(minimum)
    return _first(ev, text, lambda n: n >= limit)
