"""The parsed form of a query: conditions combined with AND/OR, and its canonical text.

A tree is made of two frozen node types. :class:`Condition` compares one contact property with a literal
value; :class:`BoolCombination` joins two or more nodes with ``and`` or ``or``. Trees are values: equal
queries give equal trees, and :func:`to_text` turns a tree back into the canonical query text RapidPro shows
and stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, TypeAlias

import regex

Kind: TypeAlias = Literal["attribute", "scheme", "field"]
Operator: TypeAlias = Literal["=", "!=", "~", ">", ">=", "<", "<="]
BoolOp: TypeAlias = Literal["and", "or"]

OPERATORS: tuple[Operator, ...] = ("=", "!=", "~", ">", ">=", "<", "<=")
COMPARISONS: frozenset[str] = frozenset({">", ">=", "<", "<="})

TEXT = "text"
NUMBER = "number"
DATETIME = "datetime"
STATE = "state"
DISTRICT = "district"
WARD = "ward"
LOCATION_TYPES: frozenset[str] = frozenset({STATE, DISTRICT, WARD})
FIELD_TYPES: frozenset[str] = frozenset({TEXT, NUMBER, DATETIME, STATE, DISTRICT, WARD})

# the fixed contact attributes and the value type each is compared as
ATTRIBUTES: dict[str, str] = {
    "uuid": TEXT,
    "id": TEXT,
    "ref": TEXT,
    "name": TEXT,
    "status": TEXT,
    "language": TEXT,
    "urn": TEXT,
    "group": TEXT,
    "flow": TEXT,
    "history": TEXT,
    "tickets": NUMBER,
    "created_on": DATETIME,
    "last_seen_on": DATETIME,
}

# URN schemes a property (or an implicit ``scheme:path`` value) may name
SCHEMES: frozenset[str] = frozenset(
    {
        "bsuid",
        "discord",
        "ext",
        "facebook",
        "fcm",
        "freshchat",
        "instagram",
        "jiochat",
        "line",
        "mailto",
        "rocketchat",
        "slack",
        "tel",
        "telegram",
        "twitter",
        "twitterid",
        "viber",
        "vk",
        "webchat",
        "wechat",
        "whatsapp",
    }
)

# attributes a smart group may not use: they change outside the contact (or are not evaluated in memory by
# RapidPro), so membership could not be kept current by re-evaluating on contact changes
NOT_FOR_GROUPS: frozenset[str] = frozenset({"id", "ref", "status", "group", "flow", "history"})


@dataclass(frozen=True, slots=True)
class Condition:
    """``key op value`` on one contact property.

    ``kind`` says what ``key`` names: a fixed attribute (``name``, ``created_on`` ...), a URN scheme (``tel``)
    or a custom field key. ``key`` is lower-case; ``op`` is canonical (``has`` is ``~``, ``is`` is ``=``);
    ``value`` is the literal as written (quotes and escapes removed, not trimmed). ``value_type`` is filled
    by validation (``text``, ``number``, ``datetime``, ``state``, ``district``, ``ward``); the evaluator
    needs it for fields, whose type only the workspace knows.
    """

    kind: Kind
    key: str
    op: Operator
    value: str
    value_type: str | None = None


@dataclass(frozen=True, slots=True)
class BoolCombination:
    """Two or more nodes joined by ``and`` (all must hold) or ``or`` (any must hold)."""

    op: BoolOp
    children: tuple[Node, ...]


Node: TypeAlias = Condition | BoolCombination


def simplify(node: Node) -> Node:
    """Flatten nested combinations of the same operator (``(a AND b) AND c`` is ``a AND b AND c``).

    Combinations of one child collapse to that child. Order is kept; the result means the same.
    """
    if isinstance(node, Condition):
        return node
    children: list[Node] = []
    for child in node.children:
        simple = simplify(child)
        if isinstance(simple, BoolCombination) and simple.op == node.op:
            children.extend(simple.children)
        else:
            children.append(simple)
    if len(children) == 1:
        return children[0]
    return BoolCombination(node.op, tuple(children))


def iter_conditions(node: Node) -> Iterator[Condition]:
    """Every condition of the tree, left to right."""
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Condition):
            yield current
        else:
            stack.extend(reversed(current.children))


def allow_as_group(node: Node) -> bool:
    """Whether a query may back a smart group: it must not use id, ref, status, group, flow or history."""
    return not any(c.kind == "attribute" and c.key in NOT_FOR_GROUPS for c in iter_conditions(node))


_PLAIN_NUMBER = regex.compile(r"[0-9]+(?:\.[0-9]+)?")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def quote(value: str) -> str:
    """Quote a value for a query: double quotes, with ``"``, ``\\`` and control characters escaped.

    The parser reads the result back to the same value, so user text can be embedded in generated queries.
    """
    out = ['"']
    for char in value:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _condition_text(cond: Condition) -> str:
    prefix = {"field": "fields.", "scheme": "urns.", "attribute": ""}[cond.kind]
    value = cond.value if _PLAIN_NUMBER.fullmatch(cond.value) else quote(cond.value)
    return f"{prefix}{cond.key} {cond.op} {value}"


def _node_text(node: Node, nested: bool) -> str:
    if isinstance(node, Condition):
        return _condition_text(node)
    joined = f" {node.op.upper()} ".join(_node_text(child, True) for child in node.children)
    return f"({joined})" if nested else joined


def to_text(node: Node) -> str:
    """The canonical text of a query.

    Field and URN properties get their ``fields.``/``urns.`` prefix, values are quoted unless they look like
    ``123`` or ``1.5``, nested combinations are parenthesised and the top level is not:
    ``fields.age > 18 AND (name ~ "bob" OR urns.tel = "+1555")``. Parsing the text gives the same tree
    (without validation's ``value_type``).
    """
    return _node_text(node, False)
