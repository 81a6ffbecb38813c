"""A hand-written lexer and precedence-climbing parser for expressions (the body of ``@(...)``).

Grammar, loosest binding first (binary operators are left-associative)::

    expression := expression "&" expression
                | expression ("=" | "!=") expression
                | expression ("<" | "<=" | ">" | ">=") expression
                | expression ("+" | "-") expression
                | expression ("*" | "/") expression
                | expression "^" expression
                | "-" expression                              (binds tighter than any binary operator)
                | "(" NAME ("," NAME)* ")" "=>" expression      (anonymous function)
                | STRING | INTEGER | DECIMAL | TRUE | FALSE | NULL
                | atom
    atom       := atom "(" [expression ("," expression)*] ")" | atom "." (NAME | INTEGER)
                | atom "[" expression "]" | "(" expression ")" | NAME

``TRUE``/``FALSE``/``NULL`` are case-insensitive; literals are not atoms, so ``"abc".v`` is a syntax error.
Strings are double-quoted with Go escapes (``\\n``, ``\\"``, ``\\u00e9``...). An expression nested more than
:data:`MAX_DEPTH` brackets deep is refused before parsing (``expression nesting too deep``); a syntax error
reads ``syntax error at <up to 10 characters from the offending token>``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from sauti.engine.excellent.numbers import in_range
from sauti.engine.excellent.types import go_quote

__all__ = [
    "MAX_DEPTH",
    "Binary",
    "BooleanLiteral",
    "Call",
    "ContextReference",
    "DotLookup",
    "ErrorLiteral",
    "ExpressionSyntaxError",
    "IndexLookup",
    "Lambda",
    "Negation",
    "Node",
    "NullLiteral",
    "NumberLiteral",
    "Parentheses",
    "TextLiteral",
    "nesting_too_deep",
    "parse",
]

MAX_DEPTH: Final = 100


class ExpressionSyntaxError(ValueError):
    """An expression that can't be parsed; the message is goflow's (``syntax error at ...``)."""


# ----------------------------------------------------------------------------------------------- tree


class Node:
    """An expression tree node; ``str(node)`` is its normalised source (used in "x is not a function")."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class ContextReference(Node):
    name: str

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class DotLookup(Node):
    container: Node
    key: str

    def __str__(self) -> str:
        return f"{self.container}.{self.key}"


@dataclass(frozen=True, slots=True)
class IndexLookup(Node):
    container: Node
    index: Node

    def __str__(self) -> str:
        return f"{self.container}[{self.index}]"


@dataclass(frozen=True, slots=True)
class Call(Node):
    function: Node
    args: tuple[Node, ...]

    def __str__(self) -> str:
        return f"{self.function}({', '.join(str(a) for a in self.args)})"


@dataclass(frozen=True, slots=True)
class Lambda(Node):
    params: tuple[str, ...]
    body: Node

    def __str__(self) -> str:
        return f"({', '.join(self.params)}) => {self.body}"


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True, slots=True)
class Negation(Node):
    operand: Node

    def __str__(self) -> str:
        return f"-{self.operand}"


@dataclass(frozen=True, slots=True)
class Parentheses(Node):
    inner: Node

    def __str__(self) -> str:
        return f"({self.inner})"


@dataclass(frozen=True, slots=True)
class TextLiteral(Node):
    value: str

    def __str__(self) -> str:
        return go_quote(self.value)


@dataclass(frozen=True, slots=True)
class NumberLiteral(Node):
    value: Decimal
    source: str

    def __str__(self) -> str:
        return self.source


@dataclass(frozen=True, slots=True)
class ErrorLiteral(Node):
    """A literal that can't be a value (a number out of range): evaluates to an error with ``message``."""

    message: str

    def __str__(self) -> str:
        return "ERROR"


@dataclass(frozen=True, slots=True)
class BooleanLiteral(Node):
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(frozen=True, slots=True)
class NullLiteral(Node):
    def __str__(self) -> str:
        return "null"


# ----------------------------------------------------------------------------------------------- lexer


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # TEXT INTEGER DECIMAL NAME TRUE FALSE NULL ERROR EOF, or the operator itself
    text: str
    pos: int


_OPERATORS: Final = ("=>", "!=", "<=", ">=", ",", "(", ")", "[", "]", ".", "+", "-", "*", "/", "^", "=", "<", ">", "&")
_KEYWORDS: Final = {"true": "TRUE", "false": "FALSE", "null": "NULL"}
_WHITESPACE: Final = " \t\n\r"


def _is_name_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_name_part(ch: str) -> bool:
    return ch == "_" or ch.isalpha() or unicodedata.category(ch) == "Nd"


def _lex_text(source: str, start: int) -> int | None:
    """End (exclusive) of the string literal opening at ``start``, or None."""
    i = start + 1
    n = len(source)
    last_quote: int | None = None
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] == '"':
            last_quote = i + 1
            i += 2
            continue
        if ch == '"':
            return i + 1
        i += 1
    # never closed: the longest literal ends at the last escaped quote (read as a backslash then the end)
    return last_quote + 1 if last_quote is not None else None


def _tokens(source: str) -> list[_Token]:
    out: list[_Token] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch in _WHITESPACE:
            i += 1
            continue
        if ch == '"':
            end = _lex_text(source, i)
            if end is None:
                out.append(_Token("ERROR", ch, i))
                i += 1
            else:
                out.append(_Token("TEXT", source[i:end], i))
                i = end
            continue
        if "0" <= ch <= "9":
            j = i
            while j < n and "0" <= source[j] <= "9":
                j += 1
            kind = "INTEGER"
            if j + 1 < n and source[j] == "." and "0" <= source[j + 1] <= "9":
                j += 1
                while j < n and "0" <= source[j] <= "9":
                    j += 1
                kind = "DECIMAL"
            out.append(_Token(kind, source[i:j], i))
            i = j
            continue
        if _is_name_start(ch):
            j = i + 1
            while j < n and _is_name_part(source[j]):
                j += 1
            word = source[i:j]
            out.append(_Token(_KEYWORDS.get(word.lower(), "NAME"), word, i))
            i = j
            continue
        for op in _OPERATORS:
            if source.startswith(op, i):
                out.append(_Token(op, op, i))
                i += len(op)
                break
        else:
            out.append(_Token("ERROR", ch, i))
            i += 1
    out.append(_Token("EOF", "", n))
    return out


# ----------------------------------------------------------------------------------------------- unquoting

_SIMPLE_ESCAPES: Final = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34}


def _unquote(literal: str) -> str:
    """A string literal's value with Go's escapes; a literal Go would refuse keeps its text between the quotes."""
    inner = literal[1:-1]
    if "\n" in inner:
        return inner
    out = bytearray()
    i = 0
    n = len(inner)
    try:
        while i < n:
            ch = inner[i]
            if ch != "\\":
                out += ch.encode("utf-8", "surrogatepass")
                i += 1
                continue
            if i + 1 >= n:
                return inner
            esc = inner[i + 1]
            if esc in _SIMPLE_ESCAPES:
                out.append(_SIMPLE_ESCAPES[esc])
                i += 2
            elif esc in "xuU":
                width = {"x": 2, "u": 4, "U": 8}[esc]
                digits = inner[i + 2 : i + 2 + width]
                if len(digits) != width or any(c not in "0123456789abcdefABCDEF" for c in digits):
                    return inner
                code = int(digits, 16)
                if esc == "x":
                    out.append(code)
                else:
                    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                        return inner
                    out += chr(code).encode("utf-8")
                i += 2 + width
            elif esc in "01234567":
                digits = inner[i + 1 : i + 4]
                if len(digits) != 3 or any(c not in "01234567" for c in digits) or int(digits, 8) > 255:
                    return inner
                out.append(int(digits, 8))
                i += 4
            else:
                return inner
    except UnicodeEncodeError:  # pragma: no cover - lone surrogates are passed through above
        return inner
    return out.decode("utf-8", "replace")


# ----------------------------------------------------------------------------------------------- parser

_BINARY: Final = {
    "&": 1,
    "=": 2,
    "!=": 2,
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "^": 6,
}


def nesting_too_deep(source: str, limit: int = MAX_DEPTH) -> bool:
    """Whether brackets of any kind (counted everywhere, strings included) nest deeper than ``limit``."""
    depth = 0
    for ch in source:
        if ch in "([{":
            depth += 1
            if depth > limit:
                return True
        elif ch in ")]}" and depth > 0:
            depth -= 1
    return False


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.i = 0

    def peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def next(self) -> _Token:
        token = self.tokens[self.i]
        if token.kind != "EOF":
            self.i += 1
        return token

    def error(self, token: _Token | None = None) -> ExpressionSyntaxError:
        pos = (token or self.peek()).pos
        line_start = self.source.rfind("\n", 0, pos) + 1
        line_end = self.source.find("\n", pos)
        line = self.source[line_start : line_end if line_end >= 0 else len(self.source)]
        column = pos - line_start
        return ExpressionSyntaxError(f"syntax error at {line[column : column + 10]}")

    def expect(self, kind: str) -> _Token:
        if self.peek().kind != kind:
            raise self.error()
        return self.next()

    def parse(self) -> Node:
        node = self.expression(0)
        if self.peek().kind != "EOF":
            raise self.error()
        return node

    def expression(self, min_bp: int) -> Node:
        left = self.unary()
        while True:
            op = self.peek().kind
            bp = _BINARY.get(op)
            if bp is None or bp < min_bp:
                return left
            self.next()
            right = self.expression(bp + 1)
            left = Binary(op, left, right)

    def unary(self) -> Node:
        minuses = 0
        while self.peek().kind == "-":
            self.next()
            minuses += 1
        node = self.primary()
        for _ in range(minuses):
            node = Negation(node)
        return node

    def is_lambda(self) -> bool:
        if self.peek().kind != "(" or self.peek(1).kind != "NAME":
            return False
        k = 2
        while self.peek(k).kind == ",":
            if self.peek(k + 1).kind != "NAME":
                return False
            k += 2
        return self.peek(k).kind == ")" and self.peek(k + 1).kind == "=>"

    def primary(self) -> Node:
        token = self.peek()
        kind = token.kind
        if kind == "TEXT":
            self.next()
            return TextLiteral(_unquote(token.text))
        if kind in ("INTEGER", "DECIMAL"):
            self.next()
            value = Decimal(token.text)
            if not in_range(value):
                return ErrorLiteral(f"number {token.text} is out of range")
            return NumberLiteral(value, token.text)
        if kind in ("TRUE", "FALSE"):
            self.next()
            return BooleanLiteral(kind == "TRUE")
        if kind == "NULL":
            self.next()
            return NullLiteral()
        if self.is_lambda():
            self.next()
            params = [self.next().text]
            while self.peek().kind == ",":
                self.next()
                params.append(self.next().text)
            self.expect(")")
            self.expect("=>")
            return Lambda(tuple(params), self.expression(0))
        return self.atom()

    def atom(self) -> Node:
        token = self.peek()
        node: Node
        if token.kind == "NAME":
            self.next()
            node = ContextReference(token.text)
        elif token.kind == "(":
            self.next()
            node = Parentheses(self.expression(0))
            self.expect(")")
        else:
            raise self.error()
        while True:
            kind = self.peek().kind
            if kind == "(":
                self.next()
                args: list[Node] = []
                if self.peek().kind != ")":
                    args.append(self.expression(0))
                    while self.peek().kind == ",":
                        self.next()
                        args.append(self.expression(0))
                self.expect(")")
                node = Call(node, tuple(args))
            elif kind == ".":
                key = self.peek(1)
                if key.kind not in ("NAME", "INTEGER"):
                    return node  # not a lookup: the error is reported at the dot
                self.next()
                self.next()
                node = DotLookup(node, key.text)
            elif kind == "[":
                self.next()
                index = self.expression(0)
                self.expect("]")
                node = IndexLookup(node, index)
            else:
                return node


def parse(source: str) -> Node:
    """The tree of ``source``; raises :class:`ExpressionSyntaxError` (nesting too deep, or a syntax error)."""
    if nesting_too_deep(source):
        raise ExpressionSyntaxError("expression nesting too deep")
    return _Parser(source).parse()
