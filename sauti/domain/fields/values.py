"""Typed contact field values: parsing what was written for the field's type, and rendering it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import regex

from sauti.engine.contactql.text import value_key
from sauti.kit.dates import local_iso, parse_datetime

FIELD_TYPES = ("text", "number", "datetime", "state", "district", "ward")
LOCATION_TYPES = ("state", "district", "ward")
_NUMBER = regex.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$")
# the largest magnitude the number column stores
_MAX_NUMBER = Decimal("1e27")


@dataclass(frozen=True)
class Parsed:
    text: str
    text_key: str
    number: Decimal | None
    datetime: datetime | None


def text_key(text: str, value_type: str) -> str:
    """What case-insensitive equality compares: the query language's own folding (NFC, casefold, trim), of the
    last path component for locations, so SQL and the in-memory evaluator agree."""
    return value_key(text, location=value_type in LOCATION_TYPES)


def parse_number(text: str) -> Decimal | None:
    if not _NUMBER.match(text):
        return None
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    if abs(number) >= _MAX_NUMBER:
        return None
    return number


def parse(text: str, value_type: str, tz: ZoneInfo, date_style: str) -> Parsed:
    """Parse ``text`` for a field of ``value_type``; a value that does not fit the type keeps only its text."""
    number = parse_number(text) if value_type == "number" else None
    when = parse_datetime(text, tz, date_style) if value_type == "datetime" else None
    return Parsed(text=text, text_key=text_key(text, value_type), number=number, datetime=when)


def format_number(number: Decimal) -> str:
    """Without trailing zeros or exponent: ``40``, ``12.3``, ``-0.5``."""
    text = format(number.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def render(value_type: str, text: str, number: Decimal | None, when: datetime | None, tz: ZoneInfo) -> str | None:
    """The API's string form of a stored value for the field's type; ``None`` when it did not parse."""
    if value_type == "number":
        return format_number(number) if number is not None else None
    if value_type == "datetime":
        return local_iso(when, tz) if when is not None else None
    return text


def to_text(value: object) -> str | None:
    """A written value (string or number) as text; ``None`` and ``""`` both clear the value."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if text != "" else None
