"""Contact queries as SQL: a validated contact-query tree becomes one boolean clause over ``Contact``.

The meaning of a query is defined by the in-memory evaluator (``sauti.engine.contactql.evaluate``); this module
says the same thing in SQL and ``tests/domain/test_search_sql.py`` checks the two agree contact for contact.

Only portable SQL is emitted, so SQLite and PostgreSQL give the same answers: comparisons of stored keys with
keys computed here in Python (``name_key``, ``text_key``, lower-case codes), correlated ``EXISTS`` for values
that live in other tables (URNs, field values, group memberships), ``LIKE`` with escaped wildcards, and for URN
paths an ASCII-only lower-casing spelled with ``replace()`` (``lower()`` folds non-ASCII letters on PostgreSQL
but not on SQLite).

The clause never negates anything that can be NULL (only ``EXISTS`` and guarded comparisons), so SQL's
three-valued logic cannot make it differ from the evaluator's two values.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    and_,
    exists,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.types import String

from sauti.engine.contactql import (
    Condition,
    Environment,
    Node,
    ascii_lower,
    day_range,
    name_key,
    name_query_tokens,
    parse_date,
    parse_number,
    value_key,
    value_type_of,
)
from sauti.engine.contactql.tree import DATETIME, LOCATION_TYPES, NUMBER
from sauti.models import Contact, ContactGroup, ContactURN, ContactValue, GroupMember

_BIGINT_LIMIT = 2**62  # ids: well inside BIGINT, and no id comes near it
_INT4_LIMIT = 2**31 - 1  # tickets is an INTEGER column (asyncpg refuses wider parameters)
_ASCII_LETTERS = frozenset(string.ascii_letters)


class FieldLike(Protocol):
    """What the translator needs to know of a field (``ContactField`` rows qualify)."""

    @property
    def id(self) -> int: ...

    @property
    def value_type(self) -> str: ...


@dataclass(frozen=True)
class FieldInfo:
    """A field's row id and its type (text|number|datetime|state|district|ward)."""

    id: int
    value_type: str


HistoryClause = Callable[[int | None], ColumnElement[bool]]


def to_where(
    node: Node,
    *,
    workspace_id: int,
    fields: Mapping[str, FieldLike],
    env: Environment,
    groups: Mapping[str, int] | None = None,
    flows: Mapping[str, int] | None = None,
    history: HistoryClause | None = None,
) -> ColumnElement[bool]:
    """The ``WHERE`` clause selecting the contacts of ``workspace_id`` that match the validated ``node``.

    Use it in a select from (unaliased) ``Contact``; deleted or inactive contacts are the caller's filter.
    ``fields`` maps field keys to their id and type; a field missing from it has no values (as for a contact
    without that key in memory). ``groups`` and ``flows`` map names to ids (names are folded with
    ``value_key``, so any case will do); ``history(flow_id)`` must return an ``EXISTS``-style clause "the
    contact has been in that flow" (``None``: in any flow). Each is needed only when the query uses
    ``group``, ``flow`` or ``history`` names; a missing one is a programming error (``LookupError``).
    """
    translator = _Translator(
        fields=fields,
        env=env,
        groups=None if groups is None else {value_key(k): v for k, v in groups.items()},
        flows=None if flows is None else {value_key(k): v for k, v in flows.items()},
        history=history,
    )
    return and_(Contact.workspace_id == workspace_id, translator.node(node))


# --------------------------------------------------------------------------------------- where values live


@dataclass(frozen=True)
class _OnContact:
    """A single value in a ``Contact`` column; ``present`` says when it counts as having a value."""

    column: SQLColumnExpression[Any]
    present: ColumnElement[bool] | None = None  # None: every contact has one


@dataclass(frozen=True)
class _InRows:
    """Zero or more values in rows of another table, reached by the correlating ``where`` clauses."""

    where: tuple[ColumnElement[bool], ...]
    column: SQLColumnExpression[Any]
    present: ColumnElement[bool] | None = None  # None: every such row holds a value


@dataclass(frozen=True)
class _Nothing:
    """No contact has a value (a field the workspace no longer has)."""


_Values = _OnContact | _InRows | _Nothing
_Predicate = Callable[[SQLColumnExpression[Any]], ColumnElement[bool]]


def _has_value(values: _Values) -> ColumnElement[bool]:
    if isinstance(values, _Nothing):
        return false()
    if isinstance(values, _OnContact):
        return values.present if values.present is not None else true()
    conditions = (*values.where, values.present) if values.present is not None else values.where
    return exists(select(literal_column("1")).where(*conditions))


def _any(values: _Values, predicate: _Predicate) -> ColumnElement[bool]:
    """Some value satisfies ``predicate``."""
    if isinstance(values, _Nothing):
        return false()
    if isinstance(values, _OnContact):
        return predicate(values.column)
    return exists(select(literal_column("1")).where(*values.where, predicate(values.column)))


def _none(values: _Values, predicate: _Predicate) -> ColumnElement[bool]:
    """No value satisfies ``predicate`` (true without values)."""
    if isinstance(values, _Nothing):
        return true()
    if isinstance(values, _OnContact):
        if values.present is None:
            return not_(predicate(values.column))
        return or_(not_(values.present), not_(predicate(values.column)))
    return not_(_any(values, predicate))


# --------------------------------------------------------------------------------------- predicates


def _ascii_lower_sql(expr: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
    """``expr`` with A-Z lower-cased and nothing else changed, in SQL both databases run alike."""
    for upper in string.ascii_uppercase:
        expr = func.replace(expr, literal_column(f"'{upper}'"), literal_column(f"'{upper.lower()}'"), type_=String())
    return expr


def _urn_predicate(op: str, query: str) -> _Predicate:
    folded = ascii_lower(query)
    has_letters = not _ASCII_LETTERS.isdisjoint(query)
    if op == "~":
        if not has_letters:  # nothing to fold: a plain substring test
            return lambda path: path.contains(query, autoescape=True)
        return lambda path: _ascii_lower_sql(path).contains(folded, autoescape=True)
    if not has_letters:  # then ascii_lower(path) == query only if path == query: the indexable form
        return lambda path: path == query
    return lambda path: _ascii_lower_sql(path) == folded


def _number_predicate(op: str, number: Decimal | int) -> _Predicate:
    match op:
        case "=":
            return lambda col: col == number
        case ">":
            return lambda col: col > number
        case ">=":
            return lambda col: col >= number
        case "<":
            return lambda col: col < number
        case "<=":
            return lambda col: col <= number
    raise ValueError(f"operator {op} on a number")


def _integer_predicate(op: str, number: Decimal) -> _Predicate:
    """Comparisons of the INTEGER tickets column with a decimal, as integer comparisons: ``t > 1.5`` is
    ``t > 1``, ``t >= 1.5`` is ``t >= 2``, ``t = 1.5`` is false; a bound outside the column's range decides
    the answer by itself (so no out-of-range parameter is ever sent).
    """
    if op == "=":
        if number != number.to_integral_value() or abs(number) > _INT4_LIMIT:
            return lambda col: false()
        return _equals(int(number))
    # the same test with an integer bound: t > x is t > floor(x), t >= x is t >= ceil(x), and so on
    bound = math.floor(number) if op in (">", "<=") else math.ceil(number)
    below = op in ("<", "<=")
    if bound > _INT4_LIMIT:
        return lambda col: true() if below else false()
    if bound < -_INT4_LIMIT - 1:
        return lambda col: false() if below else true()
    return _number_predicate(op, bound)


def _datetime_predicate(op: str, query: str, env: Environment) -> _Predicate:
    day = parse_date(query, env.date_style)
    if day is None:
        raise ValueError(f"'{query}' is not a date: validate the query first")
    start, end = day_range(day, env.tzinfo)
    match op:
        case "=":
            return lambda col: and_(col >= start, col < end)
        case ">":
            return lambda col: col >= end
        case ">=":
            return lambda col: col >= start
        case "<":
            return lambda col: col < start
        case "<=":
            return lambda col: col < end
    raise ValueError(f"operator {op} on a datetime")


def _equals(value: Any) -> _Predicate:
    return lambda col: col == value


def _equals_id(query: str) -> _Predicate:
    if not (query.isascii() and query.isdigit()) or int(query) > _BIGINT_LIMIT:
        return lambda col: false()
    return _equals(int(query))


def _name_contains(query: str) -> _Predicate:
    tokens = name_query_tokens(query)
    if not tokens:
        return lambda col: false()
    # `col` is name_key; the prefix test runs on the token column beside it
    return lambda col: and_(*(Contact.name_tokens.contains(f" {token}", autoescape=True) for token in tokens))


# --------------------------------------------------------------------------------------- translation


@dataclass(frozen=True)
class _Translator:
    fields: Mapping[str, FieldLike]
    env: Environment
    groups: Mapping[str, int] | None
    flows: Mapping[str, int] | None
    history: HistoryClause | None

    def node(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, Condition):
            return self.condition(node)
        parts = [self.node(child) for child in node.children]
        return and_(*parts) if node.op == "and" else or_(*parts)

    def condition(self, cond: Condition) -> ColumnElement[bool]:
        if cond.kind == "attribute" and cond.key == "history":
            return self.history_condition(cond)
        value_type = self.value_type(cond)
        values = self.values(cond, value_type)
        query = cond.value.strip()
        if not query and cond.op in ("=", "!="):
            has = _has_value(values)
            return has if cond.op == "!=" else not_(has)
        if cond.op == "!=":
            return _none(values, self.predicate(cond, "=", value_type, query))
        return _any(values, self.predicate(cond, cond.op, value_type, query))

    def value_type(self, cond: Condition) -> str:
        if cond.kind == "field" and cond.key in self.fields:
            return self.fields[cond.key].value_type
        return value_type_of(cond)

    def values(self, cond: Condition, value_type: str) -> _Values:
        if cond.kind == "scheme":
            return _InRows((ContactURN.contact_id == Contact.id, ContactURN.scheme == cond.key), ContactURN.path)
        if cond.kind == "field":
            info = self.fields.get(cond.key)
            if info is None:
                return _Nothing()
            where = (ContactValue.contact_id == Contact.id, ContactValue.field_id == info.id)
            if value_type == NUMBER:
                return _InRows(where, ContactValue.number_value, ContactValue.number_value.is_not(None))
            if value_type == DATETIME:
                return _InRows(where, ContactValue.datetime_value, ContactValue.datetime_value.is_not(None))
            return _InRows(where, ContactValue.text_key, ContactValue.text_key != "")
        match cond.key:
            case "uuid":
                return _OnContact(Contact.uuid)
            case "id" | "ref":
                return _OnContact(Contact.id)
            case "name":
                return _OnContact(Contact.name_key, _filled(Contact.name_key))
            case "status":
                return _OnContact(Contact.status)
            case "language":
                return _OnContact(Contact.language, _filled(Contact.language))
            case "urn":
                return _InRows((ContactURN.contact_id == Contact.id,), ContactURN.path)
            case "group":
                member_of_live_group = (
                    GroupMember.contact_id == Contact.id,
                    GroupMember.group_id.in_(select(ContactGroup.id).where(ContactGroup.is_active)),
                )
                return _InRows(member_of_live_group, GroupMember.group_id)
            case "flow":
                return _OnContact(Contact.current_flow_id, Contact.current_flow_id.is_not(None))
            case "tickets":
                return _OnContact(Contact.tickets)
            case "created_on":
                return _OnContact(Contact.created_on)
            case "last_seen_on":
                return _OnContact(Contact.last_seen_on, Contact.last_seen_on.is_not(None))
        raise ValueError(f"unknown attribute '{cond.key}'")

    def predicate(self, cond: Condition, op: str, value_type: str, query: str) -> _Predicate:
        if value_type == NUMBER:
            number = parse_number(query)
            if number is None:
                raise ValueError(f"'{query}' is not a number: validate the query first")
            if cond.kind == "attribute":  # tickets, an integer column
                return _integer_predicate(op, number)
            return _number_predicate(op, number)
        if value_type == DATETIME:
            return _datetime_predicate(op, query, self.env)
        if cond.kind == "scheme" or cond.key == "urn":
            return _urn_predicate(op, query)
        if cond.kind == "field":
            return _equals(value_key(query, location=value_type in LOCATION_TYPES))
        match cond.key:
            case "name":
                return _name_contains(query) if op == "~" else _equals(name_key(query))
            case "id" | "ref":
                return _equals_id(query)
            case "group":
                return _equals_id_or_nothing(self.lookup(self.groups, "groups", query))
            case "flow":
                return _equals_id_or_nothing(self.lookup(self.flows, "flows", query))
        return _equals(query.lower())  # uuid, status, language: stored lower-case

    def lookup(self, names: Mapping[str, int] | None, what: str, query: str) -> int | None:
        if names is None:
            raise LookupError(f"to_where needs the {what} mapping for this query")
        return names.get(value_key(query))

    def history_condition(self, cond: Condition) -> ColumnElement[bool]:
        if self.history is None:
            raise LookupError("to_where needs the history clause for this query")
        query = cond.value.strip()
        if not query:
            been_anywhere = self.history(None)
            return been_anywhere if cond.op == "!=" else not_(been_anywhere)
        flow_id = self.lookup(self.flows, "flows", query)
        been = self.history(flow_id) if flow_id is not None else false()
        return not_(been) if cond.op == "!=" else been


def _filled(column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    return and_(column.is_not(None), column != "")


def _equals_id_or_nothing(row_id: int | None) -> _Predicate:
    if row_id is None:  # named something that no longer exists: nobody is in it
        return lambda col: false()
    return _equals(row_id)
