"""Date and time tests: ``has_date``, ``has_date_lt``, ``has_date_eq``, ``has_date_gt``, ``has_time``.

The operand is converted to text and read with Excellent's date reading
(:func:`sauti.engine.excellent.dates.parse_datetime_text`): a full ISO-8601 datetime, else an ISO date at the
start, else a date in the environment's date format anywhere in the text (separators ``- . \\ / _`` or space,
two- or four-digit years), then a time of day in the rest of the text. A date without a time takes the current
time of day (``Eval.now`` in the environment's timezone), so the match is a datetime in the environment's
timezone (or at the offset the text gave).

The comparison argument of ``has_date_lt/eq/gt`` converts with ``datetime()`` (an ISO or workspace-format
literal, a date, a datetime such as ``@(datetime_add(today(), 10, "D"))``); one that isn't a date is an error
result. The comparison is by calendar day, both sides seen in the environment's timezone: the time of day never
matters, so "today" equals any time today.

``has_time`` reads a time of day (``10:30``, ``10 PM``, ``10:30:45``, ``1030``) with
:func:`sauti.engine.excellent.dates.parse_time_text`; its match is a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sauti.engine.cases.base import FALSE_RESULT, case_test, true_result
from sauti.engine.excellent.convert import to_datetime, to_time
from sauti.engine.excellent.functions.base import datetime_arg, text_arg
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XError, XText

__all__ = ["has_date", "has_date_eq", "has_date_gt", "has_date_lt", "has_time"]


def _test(ev: Eval, text: str, compare: Callable[[dt.date], bool]) -> Value:
    """A true result with the datetime found in ``text`` (time filled from now) when ``compare`` accepts its
    day in the environment's timezone."""
    found = to_datetime(ev, XText(text), fill_time=True)
    if isinstance(found, XError):
        return FALSE_RESULT
    return true_result(found) if compare(found.value.astimezone(ev.env.tz).date()) else FALSE_RESULT


def _day(ev: Eval, value: Value) -> dt.date:
    """The day of a comparison argument in the environment's timezone (``Fail`` if it isn't a date)."""
    return datetime_arg(ev, value).astimezone(ev.env.tz).date()


@case_test("has_date", 1, 1)
def has_date(ev: Eval, operand: Value) -> Value:
    """Any date."""
    return _test(ev, text_arg(operand), lambda day: True)


@case_test("has_date_lt", 2, 2)
def has_date_lt(ev: Eval, operand: Value, maximum: Value) -> Value:
    """A date on a day before ``maximum``'s."""
    text = text_arg(operand)
    limit = _day(ev, maximum)
    return _test(ev, text, lambda day: day < limit)


@case_test("has_date_eq", 2, 2)
def has_date_eq(ev: Eval, operand: Value, date: Value) -> Value:
    """A date on the same day as ``date``."""
    text = text_arg(operand)
    target = _day(ev, date)
    return _test(ev, text, lambda day: day == target)


@case_test("has_date_gt", 2, 2)
def has_date_gt(ev: Eval, operand: Value, minimum: Value) -> Value:
    """A date on a day after ``minimum``'s."""
    text = text_arg(operand)
    limit = _day(ev, minimum)
    return _test(ev, text, lambda day: day > limit)


@case_test("has_time", 1, 1)
def has_time(ev: Eval, operand: Value) -> Value:
    """Any time of day."""
    found = to_time(ev, XText(text_arg(operand)))
    return FALSE_RESULT if isinstance(found, XError) else true_result(found)
