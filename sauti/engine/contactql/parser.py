"""Text to tree: a hand-written tokenizer and a precedence parser for the contact query language.

Grammar (precedence from loose to tight: ``OR``, then ``AND`` or plain juxtaposition, then parentheses)::

    query      := or_expr EOF
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := unary (["and"] unary)*
    unary      := "(" or_expr ")" | PROPERTY COMPARATOR literal | literal
    literal    := WORD | STRING

``and``, ``or``, ``has`` (``~``) and ``is`` (``=``) are case-insensitive keywords. A WORD is a run of letters,
digits and ``_ . - + / ' @ :``; a STRING is double-quoted with JSON-style backslash escapes. Parsing needs no
workspace data: properties are resolved to attribute, scheme or field by name alone, and whether a field
exists is left to :func:`sauti.engine.contactql.validate.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from sauti.engine.contactql import errors
from sauti.engine.contactql.errors import QueryError
from sauti.engine.contactql.text import name_query_tokens
from sauti.engine.contactql.tree import (
    ATTRIBUTES,
    SCHEMES,
    BoolCombination,
    BoolOp,
    Condition,
    Kind,
    Node,
    Operator,
    simplify,
)

MAX_CONDITIONS = 250
MAX_NESTING = 100

_WORD = regex.compile(r"[\p{L}\p{M}\p{Nd}_.\-+/'@:]+")
_PROPERTY = regex.compile(r"(?:\p{L}+\.)?[\p{L}\p{M}\p{Nd}_]+")
# symbol comparators, longest first so ">=" is not read as ">" then "="
_COMPARATORS: dict[str, Operator] = {
    "!=": "!=",
    ">=": ">=",
    "<=": "<=",
    "=": "=",
    ">": ">",
    "<": "<",
    "~": "~",
}
_WORD_COMPARATORS: dict[str, Operator] = {"has": "~", "is": "="}
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}

_URN = regex.compile(r"([A-Za-z][A-Za-z0-9]*):(.+)", regex.DOTALL)
_PHONE = regex.compile(r"\+?[-0-9]{4,}")
_NOT_PHONE_CHARS = regex.compile(r"[^+0-9]+")
_DIGITS = regex.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(" ")" and or cmp word string eof
    text: str  # the source text (for words), the unescaped value (for strings), the operator (for cmp)
    pos: int


def _syntax(message: str) -> QueryError:
    return QueryError(errors.SYNTAX, message)


def _read_string(source: str, start: int) -> tuple[str, int]:
    """Unescape the string whose opening quote is at ``start``; return it and the index after the close."""
    out: list[str] = []
    i = start + 1
    while i < len(source):
        char = source[i]
        if char == '"':
            return "".join(out), i + 1
        if char != "\\":
            out.append(char)
            i += 1
            continue
        if i + 1 >= len(source):
            break
        code = source[i + 1]
        if code in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[code])
            i += 2
            continue
        if code != "u":
            raise _syntax(f"invalid escape '\\{code}' at position {i}")
        point, i = _read_unicode_escape(source, i)
        out.append(point)
    raise _syntax(f"unterminated string starting at position {start}")


def _read_hex4(source: str, i: int) -> int | None:
    """The code unit of the backslash-u escape (four hex digits) at ``i``, or ``None`` if there is none there."""
    digits = source[i + 2 : i + 6]
    if source[i : i + 2] != "\\u" or len(digits) != 4 or not regex.fullmatch(r"[0-9A-Fa-f]{4}", digits):
        return None
    return int(digits, 16)


def _read_unicode_escape(source: str, i: int) -> tuple[str, int]:
    unit = _read_hex4(source, i)
    if unit is None:
        raise _syntax(f"invalid escape at position {i}")
    if 0xD800 <= unit < 0xDC00:  # a high surrogate must be followed by its low half
        low = _read_hex4(source, i + 6)
        if low is None or not 0xDC00 <= low < 0xE000:
            raise _syntax(f"invalid surrogate escape at position {i}")
        return chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)), i + 12
    if 0xDC00 <= unit < 0xE000:
        raise _syntax(f"invalid surrogate escape at position {i}")
    return chr(unit), i + 6


def tokenize(source: str) -> list[_Token]:
    """Split query text into tokens, ending with an ``eof`` token. Raises ``syntax`` on a stray character."""
    tokens: list[_Token] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char.isspace():
            i += 1
            continue
        if char in "()":
            tokens.append(_Token(char, char, i))
            i += 1
            continue
        if char == '"':
            value, end = _read_string(source, i)
            tokens.append(_Token("string", value, i))
            i = end
            continue
        for symbol, op in _COMPARATORS.items():
            if source.startswith(symbol, i):
                tokens.append(_Token("cmp", op, i))
                i += len(symbol)
                break
        else:
            word = _WORD.match(source, i)
            if word is None:
                raise _syntax(f"unexpected character '{char}' at position {i}")
            text = word.group()
            lowered = text.lower()
            if lowered in ("and", "or"):
                tokens.append(_Token(lowered, text, i))
            elif lowered in _WORD_COMPARATORS:
                tokens.append(_Token("cmp", _WORD_COMPARATORS[lowered], i))
            else:
                tokens.append(_Token("word", text, i))
            i = word.end()
    tokens.append(_Token("eof", "", len(source)))
    return tokens


def resolve_property(name: str) -> tuple[Kind, str]:
    """What a property name refers to, by name alone: ``fields.x`` and ``urns.x`` say it; otherwise a fixed
    attribute, else a URN scheme, else (presumably) a field. The key is lower-cased.

    Raises ``unknown_property_type`` for another ``x.`` prefix and ``unknown_property`` for ``urns.<not a
    scheme>``.
    """
    key = name.lower()
    if "." in key:
        prefix, rest = key.split(".", 1)
        if prefix == "fields":
            return "field", rest
        if prefix == "urns":
            if rest in SCHEMES:
                return "scheme", rest
            raise QueryError(
                errors.UNKNOWN_PROPERTY,
                f"can't resolve '{key}' to attribute, scheme or field",
                {"property": key},
            )
        raise QueryError(errors.UNKNOWN_PROPERTY_TYPE, f"unknown property type '{prefix}'", {"type": prefix})
    if key in ATTRIBUTES:
        return "attribute", key
    if key in SCHEMES:
        return "scheme", key
    return "field", key


def implicit_condition(value: str, *, redact_urns: bool = False) -> Condition:
    """The condition a bare value stands for.

    ``scheme:path`` with a known scheme is ``scheme = path``; a phone-like value (``+250-788 ...``: an
    optional ``+`` then at least four digits or dashes) is ``tel ~ <its digits and +>``; anything else
    searches names: ``name ~ value`` when the value has a word of two or more characters, else
    ``name = value``. In a workspace that redacts URNs, URN and phone readings are off and an all-digit
    value is a contact ``ref``.
    """
    bare = value.strip()
    if redact_urns:
        if _DIGITS.fullmatch(bare):
            return Condition("attribute", "ref", "=", bare)
    else:
        urn = _URN.fullmatch(bare)
        if urn and urn[1].lower() in SCHEMES and urn[2].strip():
            return Condition("scheme", urn[1].lower(), "=", urn[2])
        if _PHONE.fullmatch(bare):
            return Condition("scheme", "tel", "~", _NOT_PHONE_CHARS.sub("", bare))
    op: Operator = "~" if name_query_tokens(value) else "="
    return Condition("attribute", "name", op, value)


class _Parser:
    def __init__(self, tokens: list[_Token], redact_urns: bool) -> None:
        self.tokens = tokens
        self.index = 0
        self.redact_urns = redact_urns
        self.conditions = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.peek()
        self.index += 1
        return token

    def unexpected(self, token: _Token) -> QueryError:
        if token.kind == "eof":
            return _syntax("unexpected end of query")
        shown = token.text if token.kind != "string" else f'"{token.text}"'
        return _syntax(f"unexpected '{shown}' at position {token.pos}")

    def count_condition(self) -> None:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise QueryError(errors.TOO_COMPLEX, f"query has more than {MAX_CONDITIONS} conditions")

    def parse(self) -> Node:
        if self.peek().kind == "eof":
            raise _syntax("empty query")
        node = self.or_expr()
        if self.peek().kind != "eof":
            raise self.unexpected(self.peek())
        return node

    def combine(self, op: BoolOp, children: list[Node]) -> Node:
        return children[0] if len(children) == 1 else BoolCombination(op, tuple(children))

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.peek().kind == "or":
            self.advance()
            children.append(self.and_expr())
        return self.combine("or", children)

    def and_expr(self) -> Node:
        children = [self.unary()]
        while True:
            kind = self.peek().kind
            if kind == "and":
                self.advance()
                children.append(self.unary())
            elif kind in ("(", "word", "string"):  # juxtaposition is AND
                children.append(self.unary())
            else:
                return self.combine("and", children)

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "(":
            self.advance()
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise QueryError(errors.TOO_COMPLEX, f"query nests more than {MAX_NESTING} parentheses")
            node = self.or_expr()
            if self.peek().kind != ")":
                raise self.unexpected(self.peek())
            self.advance()
            self.depth -= 1
            return node
        if token.kind == "word" and self.peek(1).kind == "cmp":
            return self.condition()
        if token.kind in ("word", "string"):
            self.advance()
            self.count_condition()
            return implicit_condition(token.text, redact_urns=self.redact_urns)
        raise self.unexpected(token)

    def condition(self) -> Condition:
        prop = self.advance()
        if not _PROPERTY.fullmatch(prop.text):
            raise _syntax(f"'{prop.text}' at position {prop.pos} is not a property name")
        op = self.advance().text
        literal = self.peek()
        if literal.kind not in ("word", "string"):
            raise self.unexpected(literal)
        self.advance()
        self.count_condition()
        kind, key = resolve_property(prop.text)
        return Condition(kind, key, _COMPARATORS[op], literal.text)


def parse(text: str, *, redact_urns: bool = False) -> Node:
    """Parse query text into a simplified tree (no workspace checks; see ``validate``).

    Raises :class:`QueryError` with code ``syntax`` for malformed text, ``unknown_property_type`` /
    ``unknown_property`` for properties that cannot be named at all, and ``too_complex`` for more than 250
    conditions or 100 nested parentheses.
    """
    return simplify(_Parser(tokenize(text), redact_urns).parse())
