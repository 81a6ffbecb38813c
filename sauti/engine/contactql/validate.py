"""Checking a parsed query against a workspace: do its fields, groups and flows exist, and does every
operator and value make sense for the property's type.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import pycountry

from sauti.engine.contactql import errors
from sauti.engine.contactql.errors import QueryError
from sauti.engine.contactql.parser import MAX_CONDITIONS
from sauti.engine.contactql.text import MIN_NAME_TOKEN, name_query_tokens
from sauti.engine.contactql.tree import (
    ATTRIBUTES,
    COMPARISONS,
    DATETIME,
    FIELD_TYPES,
    NUMBER,
    TEXT,
    BoolCombination,
    Condition,
    Node,
    iter_conditions,
)
from sauti.engine.contactql.values import Environment, parse_date, parse_number

STATUSES = frozenset({"active", "blocked", "stopped", "archived"})
MIN_URN_CONTAINS = 3
# properties whose presence is not a question: every contact has them
NO_SETCHECK = frozenset({"uuid", "id", "ref", "status", "created_on", "tickets"})


class Resolver(Protocol):
    """What validation needs to know about the workspace.

    Names are passed as the user wrote them (trimmed); implementations should match them case-insensitively,
    as evaluation does.
    """

    def field_type(self, key: str) -> str | None:
        """The type of the active field ``key`` (text|number|datetime|state|district|ward), or ``None``."""
        ...

    def group_exists(self, name: str) -> bool: ...

    def flow_exists(self, name: str) -> bool: ...


def _value_type(cond: Condition, resolver: Resolver) -> str:
    if cond.kind == "attribute":
        return ATTRIBUTES[cond.key]
    if cond.kind == "scheme":
        return TEXT
    value_type = resolver.field_type(cond.key)
    if value_type not in FIELD_TYPES:
        raise QueryError(
            errors.UNKNOWN_PROPERTY,
            f"can't resolve '{cond.key}' to attribute, scheme or field",
            {"property": cond.key},
        )
    return value_type


def _is_urn(cond: Condition) -> bool:
    return cond.kind == "scheme" or (cond.kind == "attribute" and cond.key == "urn")


def _check_operator(cond: Condition, value_type: str) -> None:
    if cond.op == "~":
        if cond.kind == "attribute" and cond.key == "name":
            if not name_query_tokens(cond.value):
                raise QueryError(
                    errors.INVALID_PARTIAL_NAME,
                    f"contains on name needs a word of at least {MIN_NAME_TOKEN} characters",
                    {"min_token_length": str(MIN_NAME_TOKEN)},
                )
        elif _is_urn(cond):
            if len(cond.value.strip()) < MIN_URN_CONTAINS:
                raise QueryError(
                    errors.INVALID_PARTIAL_URN,
                    f"contains on URNs needs at least {MIN_URN_CONTAINS} characters",
                    {"min_value_length": str(MIN_URN_CONTAINS)},
                )
        else:
            raise QueryError(
                errors.UNSUPPORTED_CONTAINS,
                f"'{cond.key}' can't be used with ~ (only name and URNs can)",
                {"property": cond.key},
            )
    elif cond.op in COMPARISONS and value_type not in (NUMBER, DATETIME):
        raise QueryError(
            errors.UNSUPPORTED_COMPARISON,
            f"'{cond.key}' can't be used with {cond.op} (only numbers and dates can)",
            {"property": cond.key, "operator": cond.op},
        )


def _invalid(code: str, what: str, value: str) -> QueryError:
    return QueryError(code, f"'{value}' is not a valid {what}", {"value": value})


def _check_value(cond: Condition, value_type: str, resolver: Resolver, env: Environment) -> None:
    value = cond.value.strip()
    if value_type == NUMBER and parse_number(value) is None:
        raise _invalid(errors.INVALID_NUMBER, "number", cond.value)
    if value_type == DATETIME and parse_date(value, env.date_style) is None:
        raise _invalid(errors.INVALID_DATE, "date", cond.value)
    if cond.kind != "attribute":
        return
    if cond.key == "status" and value.lower() not in STATUSES:
        raise _invalid(errors.INVALID_STATUS, "contact status", cond.value)
    if cond.key == "language" and not _is_language(value):
        raise _invalid(errors.INVALID_LANGUAGE, "language code", cond.value)
    if cond.key == "group" and not resolver.group_exists(value):
        raise _invalid(errors.INVALID_GROUP, "group name", cond.value)
    if cond.key in ("flow", "history") and not resolver.flow_exists(value):
        raise _invalid(errors.INVALID_FLOW, "flow name", cond.value)


def _is_language(value: str) -> bool:
    """An ISO-639-3 code (``eng``, ``kin``, ``swa``), any case."""
    if len(value) != 3 or not value.isascii() or not value.isalpha():
        return False
    try:
        return pycountry.languages.get(alpha_3=value.lower()) is not None
    except KeyError:  # older pycountry raises instead of returning None
        return False


def validate_condition(cond: Condition, resolver: Resolver, env: Environment) -> Condition:
    """Check one condition; return it with ``value_type`` set. Raises :class:`QueryError`."""
    if env.redact_urns and _is_urn(cond) and cond.value.strip():
        raise QueryError(errors.REDACTED_URNS, "URNs are redacted in this workspace and can't be searched")
    value_type = _value_type(cond, resolver)
    _check_operator(cond, value_type)
    if cond.op in ("=", "!=") and not cond.value.strip():
        if cond.kind == "attribute" and cond.key in NO_SETCHECK:
            raise QueryError(
                errors.UNSUPPORTED_SETCHECK,
                f"can't check whether '{cond.key}' is set: every contact has one",
                {"property": cond.key, "operator": cond.op},
            )
    else:
        _check_value(cond, value_type, resolver, env)
    return replace(cond, value_type=value_type)


def validate(node: Node, resolver: Resolver, env: Environment) -> Node:
    """Check a parsed tree against the workspace; return the same tree with every ``value_type`` filled.

    A value that is empty after trimming, with ``=`` or ``!=``, is an existence check (``x = ""`` - x has no
    value). Raises :class:`QueryError` for the first problem found, left to right (``too_complex`` first).
    """
    if sum(1 for _ in iter_conditions(node)) > MAX_CONDITIONS:
        raise QueryError(errors.TOO_COMPLEX, f"query has more than {MAX_CONDITIONS} conditions")
    return _validate(node, resolver, env)


def _validate(node: Node, resolver: Resolver, env: Environment) -> Node:
    if isinstance(node, Condition):
        return validate_condition(node, resolver, env)
    return BoolCombination(node.op, tuple(_validate(child, resolver, env) for child in node.children))
