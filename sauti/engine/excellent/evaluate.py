"""Evaluating expressions and templates against a context.

Errors are values: an expression that fails evaluates to an :class:`XError`, never raises. In a template a
failing expression writes nothing and adds one :class:`TemplateError`; the rest of the template is kept.

Names resolve, case-insensitively, in the arguments of the enclosing anonymous functions, then the root
context, then the function table (functions are values: ``foreach(list, upper)``); an unknown name is
``context has no property 'x'``. Lookups: ``object.key`` is an error for a missing key but ``object["key"]``
is null; ``array.0``/``array[i]`` take an integer index, negative from the end; anything else ``doesn't
support lookups``.

Each expression gets its own cost budget (:attr:`Eval.budget`); exceeding it is the fatal error ``expression
is too complex to evaluate`` (code ``expression_too_complex`` in a :class:`TemplateError`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from sauti.engine.excellent import numbers
from sauti.engine.excellent.convert import to_integer, to_number, to_text
from sauti.engine.excellent.functions import FUNCTIONS, num_args_error
from sauti.engine.excellent.parser import (
    Binary,
    BooleanLiteral,
    Call,
    ContextReference,
    DotLookup,
    ErrorLiteral,
    ExpressionSyntaxError,
    IndexLookup,
    Lambda,
    Negation,
    Node,
    NullLiteral,
    NumberLiteral,
    Parentheses,
    TextLiteral,
    parse,
)
from sauti.engine.excellent.runtime import MAX_TEMPLATE_CHARS, Eval, call_function
from sauti.engine.excellent.scanner import Token, scan
from sauti.engine.excellent.types import (
    TOO_COMPLEX,
    Value,
    XArray,
    XBoolean,
    XError,
    XFunction,
    XNumber,
    XObject,
    XText,
    describe,
    render,
)

__all__ = [
    "TemplateError",
    "TemplateResult",
    "context_paths",
    "evaluate_expression",
    "evaluate_node",
    "evaluate_template",
    "evaluate_template_result",
    "evaluate_template_value",
    "truncate",
]

_NESTING_ERROR: Final = XError("expression nesting too deep")


class Scope:
    """Names visible to an expression: ``values`` first, then the parent scope, then the functions."""

    __slots__ = ("parent", "values")

    def __init__(self, values: XObject, parent: Scope | None = None) -> None:
        self.values = values
        self.parent = parent

    def lookup(self, name: str) -> tuple[bool, Value]:
        scope: Scope | None = self
        while scope is not None:
            found, value = scope.values.lookup(name)
            if found:
                return True, value
            scope = scope.parent
        function = FUNCTIONS.get(name.lower())
        if function is not None:
            return True, function
        return False, None


# ----------------------------------------------------------------------------------------------- operators


def _textual(op: str, left: Value, right: Value) -> Value:
    a = to_text(left)
    if isinstance(a, XError):
        return a
    b = to_text(right)
    if isinstance(b, XError):
        return b
    if op == "&":
        return XText(a.value + b.value)
    same = a.value == b.value
    return XBoolean(same if op == "=" else not same)


_ARITHMETIC: Final[dict[str, Callable[[Decimal, Decimal], Decimal]]] = {
    "+": numbers.add,
    "-": numbers.subtract,
    "*": numbers.multiply,
    "/": numbers.divide,
    "^": numbers.power,
}


def _numeric(op: str, left: Value, right: Value) -> Value:
    a = to_number(left)
    if isinstance(a, XError):
        return a
    b = to_number(right)
    if isinstance(b, XError):
        return b
    x, y = a.value, b.value
    if op == "<":
        return XBoolean(x < y)
    if op == "<=":
        return XBoolean(x <= y)
    if op == ">":
        return XBoolean(x > y)
    if op == ">=":
        return XBoolean(x >= y)
    try:
        result = _ARITHMETIC[op](x, y)
    except numbers.NumberError as e:
        return XError(str(e))
    return XNumber(result)


def _binary(op: str, left: Value, right: Value) -> Value:
    if op in ("&", "=", "!="):
        return _textual(op, left, right)
    return _numeric(op, left, right)


def _negate(value: Value) -> Value:
    number = to_number(value)
    if isinstance(number, XError):
        return number
    return XNumber(-number.value) if not number.value.is_zero() else XNumber(0)


def _resolve(container: Value, key: Value, dot: bool) -> Value:
    if isinstance(container, XArray):
        index = to_integer(key)
        if isinstance(index, XError):
            return index
        count = len(container)
        if index >= count or index < -count:
            return XError(f"index {index} out of range for {count} items")
        return container[index]
    if isinstance(container, XObject):
        name = to_text(key)
        if isinstance(name, XError):
            return name
        found, value = container.lookup(name.value)
        if not found and dot:
            return XError(f"{describe(container)} has no property '{name.value}'")
        return value
    return XError(f"{describe(container)} doesn't support lookups")


# ----------------------------------------------------------------------------------------------- evaluation


def _leaf(node: Node, scope: Scope, ev: Eval) -> Value:
    if isinstance(node, ContextReference):
        found, value = scope.lookup(node.name)
        if not found:
            return XError(f"context has no property '{node.name}'")
        return value
    if isinstance(node, TextLiteral):
        return XText(node.value)
    if isinstance(node, NumberLiteral):
        return XNumber(node.value)
    if isinstance(node, BooleanLiteral):
        return XBoolean(node.value)
    if isinstance(node, NullLiteral):
        return None
    if isinstance(node, ErrorLiteral):
        return XError(node.message)
    if isinstance(node, Parentheses):
        return evaluate_node(node.inner, scope, ev)
    if isinstance(node, Lambda):
        return _lambda(node, scope)
    raise TypeError(f"unexpected node {node!r}")  # pragma: no cover - the parser makes no other nodes


def _lambda(node: Lambda, scope: Scope) -> XFunction:
    params = node.params

    def anonymous(ev: Eval, *args: Value) -> Value:
        if len(args) != len(params):
            return num_args_error(len(params), len(params), len(args))
        child = Scope(XObject(dict(zip(params, args, strict=True))), scope)
        return evaluate_node(node.body, child, ev)

    return XFunction("", anonymous)


_SPINE = (Binary, DotLookup, IndexLookup, Call, Negation)


def _spine_child(node: Node) -> Node:
    if isinstance(node, Binary):
        return node.left
    if isinstance(node, DotLookup | IndexLookup):
        return node.container
    if isinstance(node, Call):
        return node.function
    assert isinstance(node, Negation)
    return node.operand


def evaluate_node(node: Node, scope: Scope, ev: Eval) -> Value:
    """The value of a parsed expression. The left spine (``a + b + c``, ``a.b.c``, ``f(x)(y)``) is walked
    iteratively so long chains don't exhaust Python's stack."""
    spine: list[Node] = []
    while isinstance(node, _SPINE):
        spine.append(node)
        node = _spine_child(node)
    value = _leaf(node, scope, ev)
    for parent in reversed(spine):
        if isinstance(parent, Binary):
            right = evaluate_node(parent.right, scope, ev)
            value = _binary(parent.op, value, right)
            if not ev.charge(value):
                value = TOO_COMPLEX
        elif isinstance(parent, Negation):
            value = _negate(value)
        elif isinstance(value, XError):
            continue  # lookups and calls don't run on an error: it propagates
        elif isinstance(parent, DotLookup):
            value = _resolve(value, XText(parent.key), True)
        elif isinstance(parent, IndexLookup):
            key = evaluate_node(parent.index, scope, ev)
            value = key if isinstance(key, XError) else _resolve(value, key, False)
        else:
            assert isinstance(parent, Call)
            if not isinstance(value, XFunction):
                value = XError(f"{parent.function} is not a function")
                continue
            args = [evaluate_node(arg, scope, ev) for arg in parent.args]
            value = call_function(ev, value, args)
    return value


_CACHED_CHARS: Final = 2_000  # templates and expressions up to this long are scanned and parsed once


@functools.lru_cache(maxsize=2048)
def _parsed(expression: str) -> Node | str:
    """The tree of ``expression``, or its syntax error's message (trees are immutable: one serves every
    evaluation of the same text, e.g. a campaign message for each of its many contacts)."""
    try:
        return parse(expression)
    except ExpressionSyntaxError as e:
        return str(e)


@functools.lru_cache(maxsize=2048)
def _scanned(template: str, top_levels: frozenset[str]) -> tuple[Token, ...]:
    return tuple(scan(template, top_levels))


def _tokens(template: str, top_levels: frozenset[str]) -> Iterator[Token] | tuple[Token, ...]:
    if len(template) > _CACHED_CHARS:
        return scan(template, top_levels)
    return _scanned(template, top_levels)


def template_tokens(template: str, context: XObject) -> Sequence[Token]:
    """The tokens of ``template`` with ``context``'s keys as the top-level names (:func:`scan`), scanned once
    per template and set of names."""
    return tuple(_tokens(template, _top_levels(context)))


def evaluate_expression(expression: str, context: XObject, ev: Eval) -> Value:
    """The value of ``expression`` (an ``@(...)`` body or identifier) in ``context``; errors are values."""
    if len(expression) > _CACHED_CHARS:
        try:
            tree: Node | str = parse(expression)
        except ExpressionSyntaxError as e:
            tree = str(e)
    else:
        tree = _parsed(expression)
    if isinstance(tree, str):
        return XError(tree)
    try:
        return evaluate_node(tree, Scope(context), ev.metered())
    except RecursionError:
        return _NESTING_ERROR


# ----------------------------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class TemplateError:
    """One failing expression of a template: its ``expression`` source (``@(1 / 0)``), the error ``message``
    (``division by zero``) and the event code (``expression`` or ``expression_too_complex``)."""

    expression: str
    message: str
    code: Literal["expression", "expression_too_complex"] = "expression"

    @property
    def event_text(self) -> str:
        """The text of the ``error`` event a session logs for it."""
        return f"Error evaluating expression: {self.message}"


@dataclass(frozen=True)
class TemplateResult:
    text: str
    errors: tuple[TemplateError, ...]


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last three replaced by ``...`` when it was longer."""
    if limit < 0:
        limit = 0
    if len(text) <= limit:
        return text
    if limit <= 3:
        return text[:limit]
    return text[: limit - 3] + "..."


@functools.lru_cache(maxsize=256)
def _lowered(keys: tuple[str, ...]) -> frozenset[str]:
    return frozenset(key.lower() for key in keys)


def _top_levels(context: XObject) -> frozenset[str]:
    """``context``'s keys lower-cased, one set per distinct list of keys (a session's root context has the same
    ones at every evaluation; the same set object also keeps its hash for the scan cache)."""
    return _lowered(context.names())


def evaluate_template_result(
    template: str,
    context: XObject,
    ev: Eval,
    *,
    escaping: Callable[[str], str] | None = None,
    max_chars: int | None = MAX_TEMPLATE_CHARS,
) -> TemplateResult:
    """Evaluate ``template`` as text: each expression's canonical text (passed through ``escaping`` when given,
    e.g. URL encoding for a webhook URL) in place of it; a failing expression writes nothing and adds a
    :class:`TemplateError`. The result is cut to ``max_chars`` (``None``: no limit) with :func:`truncate`."""
    out: list[str] = []
    errors: list[TemplateError] = []
    for token in _tokens(template, _top_levels(context)):
        if token.type == "text":
            out.append(token.value)
            continue
        value = evaluate_expression(token.value, context, ev)
        if isinstance(value, XError):
            code: Literal["expression", "expression_too_complex"] = (
                "expression_too_complex" if value.fatal else "expression"
            )
            errors.append(TemplateError(token.source, value.message, code))
            continue
        text = render(value)
        out.append(escaping(text) if escaping is not None else text)
    text = "".join(out)
    if max_chars is not None:
        text = truncate(text, max_chars)
    return TemplateResult(text, tuple(errors))


def evaluate_template(
    template: str,
    context: XObject,
    ev: Eval,
    *,
    escaping: Callable[[str], str] | None = None,
    max_chars: int | None = MAX_TEMPLATE_CHARS,
) -> tuple[str, list[str]]:
    """``template`` evaluated as text, and the error message of each failing expression (goflow's words, e.g.
    ``division by zero``; a session logs each as ``Error evaluating expression: <message>``).
    :func:`evaluate_template_result` gives the expression source and event code too."""
    result = evaluate_template_result(template, context, ev, escaping=escaping, max_chars=max_chars)
    return result.text, [e.message for e in result.errors]


def evaluate_template_value(template: str, context: XObject, ev: Eval) -> tuple[Value, list[str]]:
    """Template value mode (router operands, case arguments): when the trimmed template is exactly one
    ``@identifier`` or ``@(...)``, its typed value (which may be an error value: no message is listed then);
    otherwise the template evaluated as text, with its error messages."""
    trimmed = template.strip()
    tokens = scan(trimmed, _top_levels(context))
    first = next(tokens, None)
    if first is not None and first.type != "text" and next(tokens, None) is None:
        return evaluate_expression(first.value, context, ev), []
    text, errors = evaluate_template(trimmed, context, ev)
    return XText(text), errors


# ----------------------------------------------------------------------------------------------- inspection


def _paths(node: Node) -> Iterator[tuple[str, ...]]:
    """Context paths in evaluation order, like goflow's context callback: a name starts a path, a ``.key`` or
    a ``["literal"]`` lookup extends the current one."""
    current: list[str] = []
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ContextReference):
            current = [n.name.lower()]
            yield tuple(current)
        elif isinstance(n, DotLookup | IndexLookup):
            # walk the container first, then extend the path it left
            stack.append(_PathStep(n))
            stack.append(n.container)
        elif isinstance(n, _PathStep):
            step = n.node
            if isinstance(step, DotLookup):
                current = [*current, step.key.lower()]
                yield tuple(current)
            else:
                assert isinstance(step, IndexLookup)
                stack.append(_PathIndex(step))
        elif isinstance(n, _PathIndex):
            index = n.node.index
            yield from _paths(index)
            if isinstance(index, TextLiteral):
                current = [*current, index.value.lower()]
                yield tuple(current)
        elif isinstance(n, Binary):
            stack.extend((n.right, n.left))
        elif isinstance(n, Call):
            stack.extend(reversed((n.function, *n.args)))
        elif isinstance(n, Negation):
            stack.append(n.operand)
        elif isinstance(n, Parentheses):
            stack.append(n.inner)
        elif isinstance(n, Lambda):
            stack.append(n.body)


@dataclass(frozen=True, slots=True)
class _PathStep(Node):
    node: DotLookup | IndexLookup


@dataclass(frozen=True, slots=True)
class _PathIndex(Node):
    node: IndexLookup


def context_paths(template: str) -> list[tuple[str, ...]]:
    """Every context path a template reads, lower-cased, in order (``@fields.age`` gives ``("fields",)`` and
    ``("fields", "age")``). Every identifier counts (no context to filter them); expressions that don't
    parse contribute nothing. For dependency inspection of flow definitions."""
    out: list[tuple[str, ...]] = []
    for token in scan(template, None):
        if token.type == "text":
            continue
        try:
            tree = parse(token.value)
        except ExpressionSyntaxError:
            continue
        out.extend(_paths(tree))
    return out
