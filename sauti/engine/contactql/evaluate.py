"""Evaluating a validated query against one contact held in memory (smart groups inside sessions).

The rules here are the definition of what a query means; ``sauti.domain.contacts.search`` translates the same
rules to SQL and is tested for giving identical answers.

A property has zero or more values for a contact (several tel URNs, no language ...). A condition with ``=``,
``~``, ``>`` ... holds when **any** value satisfies it; ``!=`` holds when **no** value equals the query value
(so also when there is none). ``x = ""`` holds when x has no value, ``x != ""`` when it has one.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sauti.engine.contactql.text import ascii_lower, name_key, name_matches, value_key
from sauti.engine.contactql.tree import ATTRIBUTES, DATETIME, LOCATION_TYPES, NUMBER, TEXT, Condition, Node
from sauti.engine.contactql.values import Environment, day_range, parse_date, parse_number


@dataclass(frozen=True)
class FieldValue:
    """A contact's value for one field: the text as written and its parsed number/datetime (``None`` when the
    text does not parse as that type). Which of them a query looks at depends on the field's type.
    """

    text: str
    number: Decimal | None = None
    datetime: dt.datetime | None = None


class FieldReading(Protocol):
    """A contact's value for one field as a query reads it: a :class:`FieldValue`, or the engine contact's own
    value (which has these three as well)."""

    @property
    def text(self) -> str: ...

    @property
    def number(self) -> Decimal | None: ...

    @property
    def datetime(self) -> dt.datetime | None: ...


@dataclass(frozen=True)
class ContactSnapshot:
    """What a query can see of a contact.

    ``urns`` are ``(scheme, path)`` pairs; ``fields`` maps field key to value; ``groups`` holds the names of
    the (active) groups the contact is in, ``flow`` the name of the flow it is waiting in and ``history`` the
    names of flows it has been in (names are compared case-insensitively). Datetimes are timezone-aware.
    ``ref`` conditions compare with ``id``: Sauti's contact ref is the decimal id (leading zeros allowed).
    ``status``, ``language`` and ``uuid`` are compared as stored, with lower-cased query values.
    """

    uuid: str
    id: int
    name: str | None
    status: str
    language: str | None
    urns: tuple[tuple[str, str], ...]
    fields: Mapping[str, FieldReading]
    groups: frozenset[str]
    created_on: dt.datetime
    last_seen_on: dt.datetime | None
    tickets: int
    flow: str | None
    history: frozenset[str] = field(default_factory=frozenset)


def evaluate(node: Node, contact: ContactSnapshot, env: Environment) -> bool:
    """Whether ``contact`` matches the validated query ``node``.

    Raises ``ValueError`` for a field condition without ``value_type`` (the query was not validated).
    """
    if isinstance(node, Condition):
        return _condition(node, contact, env)
    if node.op == "and":
        return all(evaluate(child, contact, env) for child in node.children)
    return any(evaluate(child, contact, env) for child in node.children)


def compile_query(node: Node, env: Environment) -> Callable[[ContactSnapshot], bool]:
    """``evaluate(node, contact, env)`` as a function of the contact, for a query tested against many contacts
    (a smart group at every change of a contact in a session): each condition's type, trimmed value and test are
    found once. Answers, and errors, are :func:`evaluate`'s: a condition that cannot be prepared (a query that was
    not validated) is evaluated as :func:`evaluate` does, when it is reached."""
    if isinstance(node, Condition):
        return _compiled_condition(node, env)
    parts = tuple(compile_query(child, env) for child in node.children)
    if node.op == "and":
        return lambda contact: all(part(contact) for part in parts)
    return lambda contact: any(part(contact) for part in parts)


def _compiled_condition(cond: Condition, env: Environment) -> Callable[[ContactSnapshot], bool]:
    try:
        value_type = value_type_of(cond)
        query = cond.value.strip()
        if not query and cond.op in ("=", "!="):
            wants_none = cond.op == "="
            return lambda contact: (not _values(cond, value_type, contact)) == wants_none
        if cond.op == "!=":
            equal = _matcher(cond, "=", value_type, query, env)
            return lambda contact: not any(equal(value) for value in _values(cond, value_type, contact))
        test = _matcher(cond, cond.op, value_type, query, env)
    except Exception:  # left to evaluation time, where evaluate() raises it
        return lambda contact: _condition(cond, contact, env)
    return lambda contact: any(test(value) for value in _values(cond, value_type, contact))


def value_type_of(cond: Condition) -> str:
    """The type a condition compares as: known for attributes and schemes, set by validation for fields."""
    if cond.value_type is not None:
        return cond.value_type
    if cond.kind == "attribute":
        return ATTRIBUTES[cond.key]
    if cond.kind == "scheme":
        return TEXT
    raise ValueError(f"field condition on '{cond.key}' has no value_type: validate the query first")


def _condition(cond: Condition, contact: ContactSnapshot, env: Environment) -> bool:
    value_type = value_type_of(cond)
    values = _values(cond, value_type, contact)
    query = cond.value.strip()
    if not query and cond.op in ("=", "!="):
        return (not values) == (cond.op == "=")
    if cond.op == "!=":
        equal = _matcher(cond, "=", value_type, query, env)
        return not any(equal(value) for value in values)
    test = _matcher(cond, cond.op, value_type, query, env)
    return any(test(value) for value in values)


def _values(cond: Condition, value_type: str, contact: ContactSnapshot) -> list[Any]:
    """The contact's values for the condition's property, in the form the matchers take."""
    if cond.kind == "scheme":
        return [path for scheme, path in contact.urns if scheme == cond.key]
    if cond.kind == "field":
        fv = contact.fields.get(cond.key)
        if fv is None:
            return []
        if value_type == NUMBER:
            return [fv.number] if fv.number is not None else []
        if value_type == DATETIME:
            return [fv.datetime] if fv.datetime is not None else []
        key = value_key(fv.text, location=value_type in LOCATION_TYPES)
        return [key] if key else []
    match cond.key:
        case "uuid":
            return [contact.uuid]
        case "id" | "ref":
            return [contact.id]
        case "name":
            return [contact.name] if name_key(contact.name) is not None else []
        case "status":
            return [contact.status]
        case "language":
            return [contact.language] if contact.language else []
        case "urn":
            return [path for _, path in contact.urns]
        case "group":
            return [value_key(name) for name in contact.groups]
        case "flow":
            return [value_key(contact.flow)] if contact.flow else []
        case "history":
            return [value_key(name) for name in contact.history]
        case "tickets":
            return [Decimal(contact.tickets)]
        case "created_on":
            return [contact.created_on]
        case "last_seen_on":
            return [contact.last_seen_on] if contact.last_seen_on is not None else []
    raise ValueError(f"unknown attribute '{cond.key}'")  # pragma: no cover - the parser knows them all


def _never(value: Any) -> bool:
    return False


def _matcher(cond: Condition, op: str, value_type: str, query: str, env: Environment) -> Callable[[Any], bool]:
    """A test of one contact value for ``op`` (never ``!=``: callers negate ``=``)."""
    return _matcher_for(cond, op, value_type, query, env.date_style, env.timezone)


@functools.lru_cache(maxsize=4096)
def _matcher_for(
    cond: Condition, op: str, value_type: str, query: str, date_style: str, timezone: str
) -> Callable[[Any], bool]:
    """:func:`_matcher`, made once per condition and environment: a smart group's query is tested against every
    contact a flow start or an import changes, and parsing its value again for each (a number's pattern and
    Decimal, a date in the workspace's style) was a sixth of a 10,000-contact flow start."""
    if value_type == NUMBER:
        number = parse_number(query)
        assert number is not None, "validated"
        return _number_test(op, number)
    if value_type == DATETIME:
        day = parse_date(query, date_style)
        assert day is not None, "validated"
        return _datetime_test(op, *day_range(day, ZoneInfo(timezone)))
    if cond.kind == "scheme" or cond.key == "urn":
        folded = ascii_lower(query)
        if op == "~":
            return lambda path: folded in ascii_lower(path)
        return lambda path: ascii_lower(path) == folded
    if cond.kind == "field":
        wanted = value_key(query, location=value_type in LOCATION_TYPES)
        return lambda key: key == wanted
    if cond.key == "name":
        if op == "~":
            return lambda name: name_matches(name, query)
        wanted_name = name_key(query)
        return lambda name: name_key(name) == wanted_name
    if cond.key in ("id", "ref"):
        if not query.isascii() or not query.isdigit():
            return _never
        wanted_id = int(query)
        return lambda contact_id: contact_id == wanted_id
    if cond.key in ("group", "flow", "history"):
        wanted_name = value_key(query)
        return lambda name: name == wanted_name
    # uuid, status, language: stored lower-case
    lowered = query.lower()
    return lambda stored: stored == lowered


def _number_test(op: str, number: Decimal) -> Callable[[Decimal], bool]:
    match op:
        case "=":
            return lambda value: value == number
        case ">":
            return lambda value: value > number
        case ">=":
            return lambda value: value >= number
        case "<":
            return lambda value: value < number
        case "<=":
            return lambda value: value <= number
    raise ValueError(f"operator {op} on a number")


def _datetime_test(op: str, start: dt.datetime, end: dt.datetime) -> Callable[[dt.datetime], bool]:
    """Day semantics: ``=`` within the local day; ``>`` from its end; ``>=`` from its start; ``<`` before its
    start; ``<=`` before its end.
    """
    match op:
        case "=":
            return lambda value: start <= value < end
        case ">":
            return lambda value: value >= end
        case ">=":
            return lambda value: value >= start
        case "<":
            return lambda value: value < start
        case "<=":
            return lambda value: value < end
    raise ValueError(f"operator {op} on a datetime")
