"""Splitting a template into literal text, ``@identifier`` shorthands and ``@(...)`` expressions.

The rules (goflow's):

- ``@@`` is a literal ``@``;
- ``@(`` starts an expression that ends at the matching ``)``; parentheses inside ``"..."`` string literals
  (which may contain ``\\"``) don't count. An unclosed expression leaves the rest of the template literal;
- ``@`` followed by a letter, digit or ``_`` starts an identifier: name characters, with a ``.`` included
  only when the next character is also a name character (``@contact.name.`` ends before the last period). An
  identifier whose top-level name isn't a key of the context (``bob@gmail.com``) is literal text;
- any other ``@`` is literal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["Token", "is_name_char", "scan"]

TokenType = Literal["text", "identifier", "expression"]


def is_name_char(ch: str) -> bool:
    """A letter, a number or ``_`` (what an identifier is made of)."""
    return ch == "_" or ch.isalpha() or unicodedata.category(ch)[0] == "N"


@dataclass(frozen=True)
class Token:
    """One piece of a template. ``value`` is the literal text (``@@`` already unescaped), the identifier
    (``contact.name``) or the expression body (``1 + 2`` for ``@(1 + 2)``); ``source`` is the original text."""

    type: TokenType
    value: str
    source: str


def _expression_end(template: str, start: int) -> int | None:
    """Index of the ``)`` closing the expression whose body starts at ``start``, or None if unclosed."""
    depth = 1
    i = start
    n = len(template)
    while i < n:
        ch = template[i]
        if ch == '"':
            i += 1
            escaped = False
            while i < n:
                c = template[i]
                if c == '"' and not escaped:
                    break
                escaped = c == "\\"  # goflow: every backslash escapes, even a second one
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _identifier_end(template: str, start: int) -> int:
    i = start
    n = len(template)
    while i < n:
        ch = template[i]
        if ch == ".":
            if i + 1 < n and is_name_char(template[i + 1]):
                i += 2
                continue
            break
        if not is_name_char(ch):
            break
        i += 1
    return i


def scan(template: str, top_levels: Collection[str] | None = None) -> Iterator[Token]:
    """The tokens of ``template``. ``top_levels`` (lower-case) are the context's keys: an identifier whose first
    name isn't one of them is text; ``None`` accepts every identifier. Adjacent text tokens are merged."""
    text: list[str] = []
    raw: list[str] = []

    def flush() -> Iterator[Token]:
        if text or raw:
            yield Token("text", "".join(text), "".join(raw))
            text.clear()
            raw.clear()

    i = 0
    n = len(template)
    while i < n:
        ch = template[i]
        if ch != "@" or i + 1 >= n:
            text.append(ch)
            raw.append(ch)
            i += 1
            continue
        nxt = template[i + 1]
        if nxt == "@":
            text.append("@")
            raw.append("@@")
            i += 2
        elif nxt == "(":
            end = _expression_end(template, i + 2)
            if end is None:
                text.append(template[i:])
                raw.append(template[i:])
                i = n
            else:
                yield from flush()
                yield Token("expression", template[i + 2 : end], template[i : end + 1])
                i = end + 1
        elif is_name_char(nxt):
            end = _identifier_end(template, i + 1)
            identifier = template[i + 1 : end]
            top = identifier.split(".", 1)[0].lower()
            if top_levels is None or top in top_levels:
                yield from flush()
                yield Token("identifier", identifier, "@" + identifier)
            else:
                text.append("@" + identifier)
                raw.append("@" + identifier)
            i = end
        else:
            text.append("@" + nxt)
            raw.append("@" + nxt)
            i += 2
    yield from flush()
