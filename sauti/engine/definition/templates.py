"""Finding and rewriting the expressions inside a definition's templates, without evaluating them.

Inspection needs to know which context paths a template reads (``@fields.age`` depends on the field ``age``,
``@parent.results.name`` is a parent reference) and two migrations rename or shorten references
(``@webhook`` became ``@webhook.json`` in 13.3.0). Both only need the template scanner of the expression
language and a token-level view of each expression, which this module provides. Evaluation belongs to
``sauti.engine.excellent``.

- :func:`scan` splits a template into body text, ``@identifier`` shorthands and ``@(expression)`` blocks with
  the scanning rules of the expression language (``@@`` is a literal ``@``; an unclosed ``@(`` makes the rest
  literal; ``@name`` is an identifier only when its top-level name is a context root).
- :func:`context_paths` lists the lookup chains an expression makes from root names, lower-cased:
  ``upper(fields.first_name) & contact.fields["nick name"]`` gives ``("upper",)``, ``("fields",
  "first_name")`` and ``("contact", "fields", "nick name")``.
- :func:`rewrite_template` applies a token-level edit to each identifier and expression; an edited expression
  keeps its original spacing (goflow re-prints an edited expression in its canonical form instead, which
  differs only in whitespace and letter case of root names).
- :func:`path_values` / :func:`rewrite_path` read and edit the string values at a field path such as
  ``groups[*].name_match`` or ``headers.*`` inside a JSON object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

ROOTS: Final[frozenset[str]] = frozenset(
    """
    child contact fields globals input legacy_extra node parent locals results resume run ticket trigger urns
    webhook
    """.split()
)
"""The top-level names of a run's context: the only ones an ``@identifier`` shorthand may start with."""

TokenKind: TypeAlias = Literal["body", "identifier", "expression"]


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of a template: body text (as written, ``@@`` kept), an identifier (without ``@``) or an
    expression (without ``@(`` and ``)``)."""

    kind: TokenKind
    text: str


def _is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _skip_string(text: str, i: int) -> int:
    """Index just past the string literal whose opening quote is at ``i - 1`` (or ``len(text)``)."""
    escaped = False
    while i < len(text):
        ch = text[i]
        i += 1
        if ch == '"' and not escaped:
            return i
        escaped = ch == "\\"
    return i


def scan(template: str, roots: frozenset[str] | None = ROOTS) -> Iterator[Token]:
    """The tokens of ``template``; with ``roots=None`` every ``@name`` is an identifier."""
    body: list[str] = []
    i, n = 0, len(template)

    def flush() -> Iterator[Token]:
        if body:
            yield Token("body", "".join(body))
            body.clear()

    while i < n:
        ch = template[i]
        nxt = template[i + 1] if i + 1 < n else ""
        if ch != "@":
            body.append(ch)
            i += 1
        elif nxt == "(":
            j, depth = i + 2, 1
            while j < n:
                c = template[j]
                if c == '"':
                    j = _skip_string(template, j + 1)
                    continue
                if c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if depth:
                body.append(template[i:])
                i = n
            else:
                yield from flush()
                yield Token("expression", template[i + 2 : j])
                i = j + 1
        elif nxt == "@":
            body.append("@@")
            i += 2
        elif nxt and _is_name_char(nxt):
            j = i + 1
            while j < n and (
                _is_name_char(template[j]) or (template[j] == "." and j + 1 < n and _is_name_char(template[j + 1]))
            ):
                j += 1
            identifier = template[i + 1 : j]
            if roots is None or identifier.split(".")[0].lower() in roots:
                yield from flush()
                yield Token("identifier", identifier)
            else:
                body.append("@" + identifier)
            i = j
        else:
            body.append("@")
            i += 1
    yield from flush()


# ---------------------------------------------------------------------------------------------------- expressions
@dataclass(frozen=True, slots=True)
class _Tok:
    kind: Literal["name", "number", "string", "op"]
    text: str
    start: int
    end: int


_KEYWORDS: Final = frozenset({"true", "false", "null"})
_TWO_CHAR_OPS: Final = ("=>", "!=", "<=", ">=")


def _tokens(expression: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(expression)
    while i < n:
        ch = expression[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            j = i + 1
            while j < n and expression[j] != '"':
                j += 2 if expression[j] == "\\" and j + 1 < n and expression[j + 1] == '"' else 1
            j = min(j + 1, n)
            toks.append(_Tok("string", expression[i:j], i, j))
            i = j
        elif ch.isascii() and ch.isdigit():
            j = i
            while j < n and expression[j].isascii() and expression[j].isdigit():
                j += 1
            if j + 1 < n and expression[j] == "." and expression[j + 1].isascii() and expression[j + 1].isdigit():
                j += 1
                while j < n and expression[j].isascii() and expression[j].isdigit():
                    j += 1
            toks.append(_Tok("number", expression[i:j], i, j))
            i = j
        elif ch.isalpha() or ch == "_":
            j = i
            while j < n and _is_name_char(expression[j]):
                j += 1
            toks.append(_Tok("name", expression[i:j], i, j))
            i = j
        else:
            width = 2 if expression[i : i + 2] in _TWO_CHAR_OPS else 1
            toks.append(_Tok("op", expression[i : i + width], i, i + width))
            i += width
    return toks


def _unquote(literal: str) -> str:
    return literal[1:-1].replace('\\"', '"')


def _lambda_params(toks: list[_Tok]) -> set[int]:
    """Indexes of the names in ``(a, b) =>`` parameter lists (they are not context references)."""
    params: set[int] = set()
    for i, tok in enumerate(toks):
        if tok.text != "=>" or i == 0 or toks[i - 1].text != ")":
            continue
        j = i - 2
        names: list[int] = []
        while j >= 0 and toks[j].kind == "name":
            names.append(j)
            if j >= 1 and toks[j - 1].text == ",":
                j -= 2
            else:
                j -= 1
                break
        if j >= 0 and toks[j].text == "(":
            params.update(names)
    return params


def _roots(toks: list[_Tok]) -> Iterator[int]:
    """Indexes of the names that start a lookup chain (not after ``.``, not keywords, not lambda parameters)."""
    params = _lambda_params(toks)
    for i, tok in enumerate(toks):
        if tok.kind != "name" or i in params or tok.text.lower() in _KEYWORDS:
            continue
        if i > 0 and toks[i - 1].text == ".":
            continue
        yield i


def _chain(toks: list[_Tok], i: int) -> tuple[str, ...]:
    parts = [toks[i].text.lower()]
    j = i + 1
    while j < len(toks):
        if toks[j].text == "." and j + 1 < len(toks) and toks[j + 1].kind in ("name", "number"):
            parts.append(toks[j + 1].text.lower())
            j += 2
        elif toks[j].text == "[" and j + 2 < len(toks) and toks[j + 1].kind == "string" and toks[j + 2].text == "]":
            parts.append(_unquote(toks[j + 1].text).lower())
            j += 3
        else:
            break
    return tuple(parts)


def context_paths(expression: str) -> list[tuple[str, ...]]:
    """Every lookup chain from a root name in ``expression`` (an identifier's text is an expression too)."""
    toks = _tokens(expression)
    return [_chain(toks, i) for i in _roots(toks)]


def template_paths(template: str) -> list[tuple[str, ...]]:
    """:func:`context_paths` of every identifier and expression of ``template``."""
    return [path for tok in scan(template) if tok.kind != "body" for path in context_paths(tok.text)]


Edit: TypeAlias = Callable[[str], str]
"""Rewrites one identifier or expression text (returning it unchanged when there is nothing to do)."""


def rewrite_template(template: str, roots: frozenset[str] | None, edit: Edit) -> str:
    """``template`` with ``edit`` applied to each identifier and expression (identifiers limited to ``roots``)."""
    out: list[str] = []
    for tok in scan(template, roots):
        if tok.kind == "body":
            out.append(tok.text)
        elif tok.kind == "identifier":
            out.append("@" + edit(tok.text))
        else:
            out.append("@(" + edit(tok.text) + ")")
    return "".join(out)


def rename_root(old: str, new: str) -> Edit:
    """An edit replacing every root reference named ``old`` (any case) by the text ``new``."""

    def edit(expression: str) -> str:
        toks = _tokens(expression)
        hits = [toks[i] for i in _roots(toks) if toks[i].text.lower() == old]
        for tok in reversed(hits):
            expression = expression[: tok.start] + new + expression[tok.end :]
        return expression

    return edit


def truncate_lookups(root: str, limit: int) -> Edit:
    """An edit cutting to ``limit`` characters every ``.key`` looked up directly on the root named ``root``."""

    def edit(expression: str) -> str:
        toks = _tokens(expression)
        cuts: list[_Tok] = []
        for i in _roots(toks):
            if toks[i].text == root and i + 2 < len(toks) and toks[i + 1].text == ".":
                key = toks[i + 2]
                if key.kind in ("name", "number") and len(key.text) > limit:
                    cuts.append(key)
        for tok in reversed(cuts):
            expression = expression[: tok.start] + tok.text[:limit] + expression[tok.end :]
        return expression

    return edit


# ---------------------------------------------------------------------------------------------------- field paths
def _segments(path: str) -> list[tuple[str, bool]]:
    """``a[*].b`` → ``[("a", True), ("b", False)]`` (True: the value is a list to go through)."""
    return [(seg.removesuffix("[*]"), seg.endswith("[*]")) for seg in path.split(".")]


def _containers(obj: Any, segments: list[tuple[str, bool]]) -> Iterator[tuple[Any, str]]:
    """``(container, key)`` pairs where the last segment's values live."""
    if not isinstance(obj, Mapping):
        return
    (key, is_list), rest = segments[0], segments[1:]
    if not rest:
        if key == "*":
            for k in list(obj):
                yield obj, k
        else:
            yield obj, key
        return
    values = list(obj.values()) if key == "*" else [obj.get(key)]
    for value in values:
        if is_list:
            for item in value if isinstance(value, list) else ():
                yield from _containers(item, rest)
        else:
            yield from _containers(value, rest)


def path_values(obj: Mapping[str, Any], path: str) -> Iterator[str]:
    """The strings at ``path`` inside ``obj`` (a trailing ``[*]`` means each string of a list)."""
    for container, key in _containers(obj, _segments(path)):
        value = container.get(key)
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))


def rewrite_path(obj: Any, path: str, edit: Edit, on_container: Callable[[Any, str], None] | None = None) -> None:
    """Apply ``edit`` in place to the strings at ``path``; ``on_container(container, key)`` is called first for
    each object holding them (the migrations use it to rewrite the translations of localizable items)."""
    for container, key in _containers(obj, _segments(path)):
        if not isinstance(container, dict) or key not in container:
            continue
        if on_container is not None:
            on_container(container, key)
        value = container.get(key)
        if isinstance(value, str):
            container[key] = edit(value)
        elif isinstance(value, list):
            container[key] = [edit(v) if isinstance(v, str) else v for v in value]
