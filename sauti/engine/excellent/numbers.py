"""Decimal numbers of the expression language: range, arithmetic, rendering and finding numbers in text.

Numbers are ``decimal.Decimal`` throughout, never floats, so ``0.1 + 0.2`` is ``0.3``. A number is in range
when it has at most :data:`MAX_DIGITS` significant digits and its magnitude is between 1e-100 and 1e100
(zero is always fine); arithmetic that leaves the range is an error, as in goflow. Division that doesn't come
out exactly keeps :data:`DIVISION_PLACES` decimal places, rounded half away from zero.

The number finder (:func:`find_numbers`) is what the ``has_number*`` router tests use: it scans text for
candidates in the workspace number format (``1,000.5``), maps Arabic-Indic, Eastern Arabic-Indic and Bengali
digits to ASCII and yields each candidate that reads as a number, in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from functools import lru_cache
from typing import Final

import regex

from sauti.engine.env import NumberFormat

__all__ = [
    "CONTEXT",
    "DIVISION_PLACES",
    "MAX_DIGITS",
    "NumberError",
    "add",
    "divide",
    "find_numbers",
    "format_number",
    "in_range",
    "map_digits",
    "modulo",
    "multiply",
    "number_pattern",
    "parse_decimal",
    "parse_localized",
    "power",
    "render_number",
    "round_number",
    "subtract",
]

MAX_DIGITS: Final = 36
MAX_EXPONENT: Final = 100
DIVISION_PLACES: Final = 16
MAX_ROUND_PLACES: Final = 1_000

# wide enough that no in-range operation rounds: 36 digits at 1e100 divided down to 1e-100, with room to spare
CONTEXT: Final = Context(
    prec=400,
    rounding=ROUND_HALF_UP,
    Emin=-999_999,
    Emax=999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

_DIVISION_QUANTUM: Final = Decimal(1).scaleb(-DIVISION_PLACES)


class NumberError(ArithmeticError):
    """An operation whose result can't be a number; the message is the error value's text."""


def in_range(value: Decimal) -> bool:
    """Whether ``value`` is a finite decimal with ≤ 36 significant digits and magnitude within 1e±100."""
    if not value.is_finite():
        return False
    if value.is_zero():
        return True
    digits = "".join(map(str, value.as_tuple().digits)).strip("0")
    if len(digits) > MAX_DIGITS:
        return False
    return -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT


def _checked(value: Decimal) -> Decimal:
    if not in_range(value):
        raise NumberError("number value out of range")
    return value


def render_number(value: Decimal) -> str:
    """Plain decimal notation without exponent or trailing zeros: ``1234.5``, ``-23``, ``100``, ``0.001``."""
    if value.is_zero():
        return "0"
    if not value.is_finite():
        return str(value)
    return format(value.normalize(CONTEXT), "f")


_STRICT_NUMBER: Final = regex.compile(r"-?(?:[0-9]+|[0-9]+\.[0-9]+|\.[0-9]+)")


def parse_decimal(text: str) -> Decimal | None:
    """A number written plainly (``12``, ``-1.5``, ``.5``; no ``+``, grouping or exponent), surrounding
    whitespace allowed; ``None`` if it isn't one or is out of range."""
    text = text.strip()
    if not _STRICT_NUMBER.fullmatch(text):
        return None
    value = Decimal(text)
    return value if in_range(value) else None


def _op(fn: str, a: Decimal, b: Decimal) -> Decimal:
    try:
        result: Decimal = getattr(CONTEXT, fn)(a, b)
    except (InvalidOperation, Overflow):
        raise NumberError("number value out of range") from None
    return _checked(result)


def add(a: Decimal, b: Decimal) -> Decimal:
    return _op("add", a, b)


def subtract(a: Decimal, b: Decimal) -> Decimal:
    return _op("subtract", a, b)


def multiply(a: Decimal, b: Decimal) -> Decimal:
    return _op("multiply", a, b)


def _quantize_division(value: Decimal) -> Decimal:
    if value.as_tuple().exponent < -DIVISION_PLACES:  # type: ignore[operator]
        value = value.quantize(_DIVISION_QUANTUM, rounding=ROUND_HALF_UP, context=CONTEXT)
    return value


def divide(a: Decimal, b: Decimal) -> Decimal:
    """``a / b`` with :data:`DIVISION_PLACES` places at most; ``division by zero`` for ``b = 0``."""
    if b.is_zero():
        raise NumberError("division by zero")
    try:
        quotient = CONTEXT.divide(a, b)
    except (InvalidOperation, Overflow):
        raise NumberError("number value out of range") from None
    return _checked(_quantize_division(quotient))


def modulo(a: Decimal, b: Decimal) -> Decimal:
    """The remainder of truncated division (its sign is the dividend's): ``mod(-5, 3)`` is ``-2``."""
    if b.is_zero():
        raise NumberError("division by zero")
    return _op("remainder", a, b)


def power(a: Decimal, b: Decimal) -> Decimal:
    """``a ^ b``; an exponent beyond ±100 or a result out of range is ``number value out of range``."""
    if abs(b) > MAX_EXPONENT:
        raise NumberError("number value out of range")
    try:
        if b == b.to_integral_value():
            n = int(b)
            if n >= 0:
                result = CONTEXT.power(a, n)
            else:
                if a.is_zero():
                    raise NumberError("division by zero")
                result = _quantize_division(CONTEXT.divide(Decimal(1), CONTEXT.power(a, -n)))
        else:
            result = _quantize_division(CONTEXT.power(a, b))
    except (InvalidOperation, Overflow, DivisionByZero):
        raise NumberError("number value out of range") from None
    return _checked(result)


def round_number(value: Decimal, places: int, mode: str = "half_up") -> Decimal:
    """``value`` rounded to ``places`` decimal places (negative places round the integer part).

    ``mode`` is ``half_up`` (half away from zero, ``round()``), ``up`` (towards +∞, ``round_up()``) or
    ``down`` (towards -∞, ``round_down()``). Places are clamped to ±1000; rounding a value to more places
    than it has returns it unchanged.
    """
    places = max(-MAX_ROUND_PLACES, min(MAX_ROUND_PLACES, places))
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent >= -places:
        return value
    rounding = {"half_up": ROUND_HALF_UP, "up": ROUND_CEILING, "down": ROUND_FLOOR}[mode]
    try:
        result = value.quantize(Decimal(1).scaleb(-places), rounding=rounding, context=CONTEXT)
    except InvalidOperation:
        raise NumberError("number value out of range") from None
    return _checked(result)


def format_number(value: Decimal, number_format: NumberFormat, places: int | None = None, group: bool = True) -> str:
    """The pretty form of ``value``: ``places`` fixed decimals (rounded half away from zero) or as many as it
    has when ``None``, thousands grouped with the format's grouping symbol when ``group``."""
    if places is None:
        text = render_number(value)
    else:
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=CONTEXT)
        text = format(rounded, "f")
        if rounded.is_zero() and text.startswith("-"):
            text = text[1:]
    integer, _, fraction = text.partition(".")
    sign = ""
    if integer.startswith("-"):
        sign, integer = "-", integer[1:]
    if group:
        chunks: list[str] = []
        while len(integer) > 3:
            chunks.insert(0, integer[-3:])
            integer = integer[:-3]
        chunks.insert(0, integer)
        integer = number_format.digit_grouping_symbol.join(chunks)
    return sign + integer + (number_format.decimal_symbol + fraction if fraction else "")


# ----------------------------------------------------------------------------------------------- finding


_ALT_DIGITS: Final = {
    **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic
    **{chr(0x06F0 + i): str(i) for i in range(10)},  # Eastern Arabic-Indic (Persian, Urdu)
    **{chr(0x09E6 + i): str(i) for i in range(10)},  # Bengali
}
_ALT_TABLE: Final = str.maketrans(_ALT_DIGITS)


def map_digits(text: str) -> str:
    """``text`` with Arabic-Indic, Eastern Arabic-Indic and Bengali digits replaced by ASCII digits."""
    return text.translate(_ALT_TABLE)


@lru_cache(maxsize=32)
def number_pattern(number_format: NumberFormat) -> regex.Pattern[str]:
    """The candidate pattern ``[-+]?([\\p{N}<grp>]+(<dec>\\p{N}+)?|(\\W|^)<dec>\\p{N}+)`` for a number format.

    ``\\W`` is ASCII-only (any character but ``[0-9A-Za-z_]``), as in Go's regular expressions.
    """
    grp = regex.escape(number_format.digit_grouping_symbol)
    dec = regex.escape(number_format.decimal_symbol)
    return regex.compile(rf"[-+]?(?:[\p{{N}}{grp}]+(?:{dec}[\p{{N}}]+)?|(?:[^0-9A-Za-z_]|^){dec}[\p{{N}}]+)")


def parse_localized(candidate: str, number_format: NumberFormat) -> Decimal | None:
    """One candidate read as a number: trimmed, grouping symbols dropped, the decimal symbol made ``.``,
    alternative digits mapped; then as :func:`parse_decimal` (so ``+5`` or ``1e5`` is not a number)."""
    cleaned = candidate.strip()
    if number_format.digit_grouping_symbol:
        cleaned = cleaned.replace(number_format.digit_grouping_symbol, "")
    if number_format.decimal_symbol:
        cleaned = cleaned.replace(number_format.decimal_symbol, ".")
    return parse_decimal(map_digits(cleaned))


def find_numbers(text: str, number_format: NumberFormat | None = None) -> Iterator[Decimal]:
    """Every number in ``text``, in order of appearance (candidates that don't read as numbers are skipped).

    A router test takes the first one that satisfies its comparison: "between 1 and 10" on "I have 20 or 5"
    matches 5.
    """
    nf = number_format or NumberFormat()
    for match in number_pattern(nf).finditer(text):
        value = parse_localized(match.group(0), nf)
        if value is not None:
            yield value
