"""Selects built once per shape: a listing's statement made by its own builder, with its values bound per call.

A list request builds its select anew: the domain's conditions, the page's order and limit. Then SQLAlchemy
works out the new object's cache key, walking the whole statement, to find the compiled form it already has.
Both cost more than the statement takes to run: 140 to 350 us of building and 200 to 660 us with the key for
the groups, fields and a contact's messages (on PostgreSQL a small read runs in 60 us).

:meth:`Shapes.statement` runs the builder once per shape (what the caller's ``key`` says: which filters are
given, the flags), with *stand-ins* for the values a request brings (the workspace's id, a UUID). Every bound
value that is a stand-in becomes a named parameter; the statement is kept, and later calls of the same shape
take it with their own values. The builder stays the one place its rules live.

A builder that does more with a value than compare it (lower-cases it, strips it, cuts it, escapes it into a
pattern) leaves a bound value derived from a stand-in that no named parameter replaces (a string stand-in is
mixed-case, padded with spaces and longer than any column, so each of those changes it): such a shape is never
kept and every call builds its statement as before, as it does when the builder refuses a stand-in (raises) or
uses one nowhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import bindparam
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import iterate, replacement_traverse

__all__ = ["Shapes", "split"]

_MARK: Final = "sauti-stand-in"
_INT_BASE: Final = -7_700_000_000_000_000  # ids are positive; no arithmetic of a builder reaches below this
_INT_BOUND: Final = -7_600_000_000_000_000
_YEAR_BOUND: Final = 1100  # stand-in datetimes are in the eleventh century
_UNKEPT: Final = object()
KEEP: Final = 512  # shapes kept per cache: a key may hold what a client sent (an unknown folder), so it is bounded


def _stand_in(n: int, value: Any) -> Any:
    if isinstance(value, datetime):
        return datetime(_YEAR_BOUND - 99 + n, 1, 1, tzinfo=UTC)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"only ints, strings and datetimes stand in for a value, not {type(value).__name__}")
    if isinstance(value, int):
        return _INT_BASE - n
    # mixed case, spaces at both ends and longer than any column: lower-casing, stripping or cutting it shows
    return f" \x01Sauti-Stand-In-{n}-{'x' * 300}\x01 "


def _derived(value: Any) -> bool:
    """Whether a bound value left in a kept statement came from a stand-in."""
    if isinstance(value, str):
        return _MARK in value.lower()
    if isinstance(value, int) and not isinstance(value, bool):
        return value < _INT_BOUND
    if isinstance(value, datetime):
        return value.year < _YEAR_BOUND
    if isinstance(value, list | tuple | set | frozenset):
        return any(_derived(v) for v in value)
    return False


def _bound(statement: Any, stand_ins: Mapping[str, Any]) -> Any:
    """``statement`` with every bound stand-in turned into its named parameter, or ``_UNKEPT``."""
    names = {(type(v), v): name for name, v in stand_ins.items()}
    used: set[str] = set()

    def replace(element: Any, **_: Any) -> Any:
        if isinstance(element, BindParameter) and not element.expanding:
            name = names.get((type(element.value), element.value))
            if name is not None:
                used.add(name)
                return bindparam(name, type_=element.type)
        return None

    kept = replacement_traverse(statement, {}, replace)
    if used != set(stand_ins):
        return _UNKEPT
    for element in iterate(kept):
        if isinstance(element, BindParameter) and element.key not in stand_ins and _derived(element.value):
            return _UNKEPT
    return kept


class Shapes:
    """Statements kept per shape (a process-wide cache: a handful of shapes per endpoint)."""

    def __init__(self) -> None:
        self._kept: dict[Hashable, Any] = {}

    def statement(
        self, key: Hashable, build: Callable[[Mapping[str, Any]], Any], values: Mapping[str, Any]
    ) -> tuple[Any, dict[str, Any] | None]:
        """``build(values)``'s statement and the parameters to run it with: the kept statement of ``key`` and
        ``values`` (named as in ``values``), or, for a shape that cannot be kept, ``build(values)`` and ``None``.
        ``build`` must depend on nothing but ``key`` and ``values``; each value is an int, a string or a
        datetime."""
        try:
            found = self._kept.get(key)
        except TypeError:  # a shape that holds a list: built per call
            return build(values), None
        if found is None:
            found = _UNKEPT
            stand_ins = {name: _stand_in(n, v) for n, (name, v) in enumerate(values.items())}
            try:
                made = build(stand_ins)
            except Exception:  # a builder that refuses a stand-in: this shape is built per call
                made = None
            if made is not None:
                found = _bound(made, stand_ins)
            if len(self._kept) >= KEEP:
                self._kept.clear()
            self._kept[key] = found
        if found is _UNKEPT:
            return build(values), None
        return found, dict(values)


def split(wanted: Any, values: Iterable[str]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A filter's (a dataclass's) shape and values: the fields named in ``values`` that are given (not None)
    are values, and the shape says which; every other field is part of the shape as it is."""
    named = set(values)
    shape: list[Any] = [type(wanted).__qualname__]
    given: dict[str, Any] = {}
    for f in dataclasses.fields(wanted):
        value = getattr(wanted, f.name)
        if f.name in named and value is not None:
            given[f.name] = value
            shape.append((f.name, ...))
        else:
            shape.append((f.name, value))
    return tuple(shape), given
