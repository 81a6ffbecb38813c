"""The contact query language of smart groups, contact search and flow starts (``age > 18 AND name ~ "bob"``).

Pure: text in, tree out, and a tree evaluated against an in-memory contact. The SQL translation of the same
tree lives in ``sauti.domain.contacts.search``.

Typical use::

    node = parse_query('age > 18 tel ~ 0788', resolver, env)   # QueryError on any problem
    evaluate(node, snapshot, env)                              # -> bool
    to_text(node)                                              # 'fields.age > 18 AND urns.tel ~ 0788'
"""

from __future__ import annotations

from sauti.engine.contactql.errors import CODES, QueryError
from sauti.engine.contactql.evaluate import ContactSnapshot, FieldValue, compile_query, evaluate, value_type_of
from sauti.engine.contactql.parser import MAX_CONDITIONS, implicit_condition, parse, resolve_property
from sauti.engine.contactql.text import (
    ascii_lower,
    name_key,
    name_matches,
    name_query_tokens,
    name_tokens,
    value_key,
)
from sauti.engine.contactql.tree import (
    ATTRIBUTES,
    SCHEMES,
    BoolCombination,
    Condition,
    Node,
    allow_as_group,
    iter_conditions,
    quote,
    simplify,
    to_text,
)
from sauti.engine.contactql.validate import Resolver, validate
from sauti.engine.contactql.values import Environment, day_range, parse_date, parse_number


def parse_query(text: str, resolver: Resolver, env: Environment) -> Node:
    """Parse and validate in one step: the tree to evaluate or translate. Raises :class:`QueryError`."""
    return validate(parse(text, redact_urns=env.redact_urns), resolver, env)


__all__ = [
    "ATTRIBUTES",
    "CODES",
    "MAX_CONDITIONS",
    "SCHEMES",
    "BoolCombination",
    "Condition",
    "ContactSnapshot",
    "Environment",
    "FieldValue",
    "Node",
    "QueryError",
    "Resolver",
    "allow_as_group",
    "ascii_lower",
    "compile_query",
    "day_range",
    "evaluate",
    "implicit_condition",
    "iter_conditions",
    "name_key",
    "name_matches",
    "name_query_tokens",
    "name_tokens",
    "parse",
    "parse_date",
    "parse_number",
    "parse_query",
    "quote",
    "resolve_property",
    "simplify",
    "to_text",
    "validate",
    "value_key",
    "value_type_of",
]
