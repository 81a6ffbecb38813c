"""Text builtins. Case mapping is per character (``upper("ß")`` stays ``ß``), as Go maps runes; "whitespace"
is Go's ``unicode.IsSpace`` set."""

from __future__ import annotations

import html
import unicodedata
from decimal import Decimal
from typing import Final
from urllib.parse import quote

import regex

from sauti.engine.excellent import numbers
from sauti.engine.excellent.functions.base import (
    MAX_ARRAY_ITEMS,
    MAX_TEXT_CHARS,
    int_arg,
    number_arg,
    text_arg,
    xfunction,
)
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XArray, XError, XNumber, XText
from sauti.engine.excellent.words import tokenize, tokenize_by_chars

__all__ = ["GO_SPACE", "go_lower", "go_title", "go_upper", "slice_bounds", "words"]

GO_SPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
REGEX_TIMEOUT: Final = 1.0  # seconds; Go's regexps are linear-time, Python's can backtrack for ever


def go_upper(text: str) -> str:
    if text.isascii():
        return text.upper()
    return "".join(u if len(u := ch.upper()) == 1 else ch for ch in text)


def go_lower(text: str) -> str:
    if text.isascii():
        return text.lower()
    return "".join(lo if len(lo := ch.lower()) == 1 else ch for ch in text)


def _is_separator(ch: str) -> bool:
    if ch <= "\x7f":
        return not (ch.isalnum() or ch == "_")
    if ch.isalpha() or unicodedata.category(ch) == "Nd":
        return False
    return ch in GO_SPACE


def go_title(text: str) -> str:
    """Go's ``strings.Title``: a letter after a separator (space, ASCII punctuation) is title-cased."""
    out = []
    previous = " "
    for ch in text:
        if _is_separator(previous):
            titled = ch.title()
            out.append(titled if len(titled) == 1 else ch)
        else:
            out.append(ch)
        previous = ch
    return "".join(out)


def words(text: str, delimiters: str) -> list[str]:
    """The words of ``text``: split on any of ``delimiters``, or by the word tokenizer when that is empty."""
    return tokenize_by_chars(text, delimiters) if delimiters else tokenize(text)


def slice_bounds(length: int, start: int, end: int) -> tuple[int, int]:
    """``start:end`` clamped like goflow's slices: negatives count from the end, an empty range when crossed."""
    if start < 0:
        start = max(length + start, 0)
    if end < 0:
        end = max(length + end, 0)
    start = min(start, length)
    end = min(end, length)
    return (start, end) if start <= end else (0, 0)


def _optional_text(args: tuple[Value, ...], index: int) -> str:
    """An optional text argument; missing or null is ``""``."""
    if len(args) <= index or args[index] is None:
        return ""
    return text_arg(args[index])


@xfunction("char", 1)
def char(ev: Eval, code: Value) -> Value:
    """The character with Unicode ``code`` (an impossible code gives U+FFFD)."""
    n = int_arg(code)
    try:
        return XText(chr(n)) if not 0xD800 <= n <= 0xDFFF else XText("\ufffd")
    except (ValueError, OverflowError):
        return XText("\ufffd")


@xfunction("code", 1)
def code(ev: Eval, text: Value) -> Value:
    value = text_arg(text)
    if not value:
        return XError("requires a string of at least one character")
    return XNumber(ord(value[0]))


@xfunction("split", 1, 2)
def split(ev: Eval, text: Value, *args: Value) -> Value:
    """Non-empty pieces of ``text`` split on any of ``delimiters``, or its words (the word tokenizer) without."""
    pieces = words(text_arg(text), _optional_text(args, 0))
    if len(pieces) > MAX_ARRAY_ITEMS:
        return XError(f"cannot build an array with more than {MAX_ARRAY_ITEMS} items")
    return XArray([XText(p) for p in pieces])


def _trim(text: Value, args: tuple[Value, ...], left: bool, right: bool) -> Value:
    value = text_arg(text)
    chars = GO_SPACE
    if args and args[0] is not None:
        chars = text_arg(args[0])  # an explicit "" trims nothing, as in goflow
    if left and right:
        return XText(value.strip(chars))
    return XText(value.lstrip(chars) if left else value.rstrip(chars))


@xfunction("trim", 1, 2)
def trim(ev: Eval, text: Value, *args: Value) -> Value:
    return _trim(text, args, True, True)


@xfunction("trim_left", 1, 2)
def trim_left(ev: Eval, text: Value, *args: Value) -> Value:
    return _trim(text, args, True, False)


@xfunction("trim_right", 1, 2)
def trim_right(ev: Eval, text: Value, *args: Value) -> Value:
    return _trim(text, args, False, True)


@xfunction("title", 1)
def title(ev: Eval, text: Value) -> Value:
    return XText(go_title(go_lower(text_arg(text))))


@xfunction("upper", 1)
def upper(ev: Eval, text: Value) -> Value:
    return XText(go_upper(text_arg(text)))


@xfunction("lower", 1)
def lower(ev: Eval, text: Value) -> Value:
    return XText(go_lower(text_arg(text)))


@xfunction("word", 2, 3)
def word(ev: Eval, text: Value, index: Value, *args: Value) -> Value:
    """The word at ``index`` (0-based, negative from the end)."""
    value = text_arg(text)
    i = int_arg(index)
    found = words(value, _optional_text(args, 0))
    offset = i + len(found) if i < 0 else i
    if not 0 <= offset < len(found):
        return XError(f"index {i} is out of range for the number of words {len(found)}")
    return XText(found[offset])


@xfunction("remove_first_word", 1)
def remove_first_word(ev: Eval, text: Value) -> Value:
    """``text`` from its second word on (what precedes that word is dropped); empty with fewer than 2 words."""
    value = text_arg(text)
    found = tokenize(value)
    if len(found) < 2:
        return XText("")
    rest = value[value.index(found[0]) + len(found[0]) :]
    return XText(rest[rest.index(found[1]) :])


@xfunction("word_slice", 2, 4)
def word_slice(ev: Eval, text: Value, start: Value, *args: Value) -> Value:
    """Words ``start`` up to (not including) ``end`` joined by spaces; a missing or negative end means all."""
    value = text_arg(text)
    first = int_arg(start)
    if first < 0:
        return XError("must start with a positive index")
    end = -1
    if args:
        end = int_arg(args[0])
    if 0 < end <= first:
        return XError("must have a end which is greater than the start")
    found = words(value, _optional_text(args, 1))
    if first >= len(found):
        return XText("")
    end = min(end, len(found))
    return XText(" ".join(found[first:end] if end > 0 else found[first:]))


@xfunction("word_count", 1, 2)
def word_count(ev: Eval, text: Value, *args: Value) -> Value:
    return XNumber(len(words(text_arg(text), _optional_text(args, 0))))


@xfunction("field", 3)
def field(ev: Eval, text: Value, index: Value, delimiter: Value) -> Value:
    """The trimmed piece ``index`` of ``text`` split on ``delimiter`` (with ``" "`` runs of spaces count once);
    empty when out of range, an error for a negative index."""
    value = text_arg(text)
    i = int_arg(index)
    if i < 0:
        return XError("cannot use a negative index")
    sep = text_arg(delimiter)
    pieces = list(value) if sep == "" else value.split(sep)
    if sep == " ":
        pieces = [p for p in pieces if p]
    if i >= len(pieces):
        return XText("")
    return XText(pieces[i].strip(GO_SPACE))


@xfunction("clean", 1)
def clean(ev: Eval, text: Value) -> Value:
    """``text`` without control, format, private-use and surrogate characters."""
    value = text_arg(text)
    return XText("".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs")))


@xfunction("text_slice", 2, 3)
def text_slice(ev: Eval, text: Value, start: Value, *args: Value) -> Value:
    value = text_arg(text)
    first = int_arg(start)
    end = int_arg(args[0]) if args else len(value)
    a, b = slice_bounds(len(value), first, end)
    return XText(value[a:b])


@xfunction("text_length", 1)
def text_length(ev: Eval, value: Value) -> Value:
    return XNumber(len(text_arg(value)))


@xfunction("text_compare", 2)
def text_compare(ev: Eval, text1: Value, text2: Value) -> Value:
    a, b = text_arg(text1), text_arg(text2)
    return XNumber((a > b) - (a < b))


@xfunction("regex_match", 2, 3)
def regex_match(ev: Eval, text: Value, pattern: Value, *args: Value) -> Value:
    """The first match (or capture ``group``) of a case-insensitive, multi-line search for ``pattern``."""
    value = text_arg(text)
    source = text_arg(pattern)
    group = int_arg(args[0]) if args else 0
    try:
        compiled = regex.compile("(?mi)" + source)
    except (regex.error, ValueError, OverflowError):
        return XError("invalid regular expression")
    try:
        match = compiled.search(value, timeout=REGEX_TIMEOUT)
    except TimeoutError:
        return XError("regular expression took too long to run")
    groups = [] if match is None else [match.group(0), *match.groups()]
    if not 0 <= group < len(groups):
        return XError("invalid regular expression group")
    return XText(groups[group] or "")


@xfunction("repeat", 2)
def repeat(ev: Eval, text: Value, count: Value) -> Value:
    value = text_arg(text)
    n = int_arg(count)
    if n < 0:
        return XError(f"must be called with a positive integer, got {n}")
    if value and n > MAX_TEXT_CHARS // len(value):
        return XError(f"cannot build a string longer than {MAX_TEXT_CHARS} characters")
    return XText(value * n)


@xfunction("replace", 3, 4)
def replace(ev: Eval, text: Value, needle: Value, replacement: Value, *args: Value) -> Value:
    """``text`` with the first ``count`` (all when missing or negative) occurrences of ``needle`` replaced."""
    value, old, new = text_arg(text), text_arg(needle), text_arg(replacement)
    n = int_arg(args[0]) if args else -1
    return XText(value.replace(old, new, n))


@xfunction("percent", 1)
def percent(ev: Eval, number: Value) -> Value:
    """``number`` as a whole percentage: ``0.54234`` is ``54%``."""
    value = number_arg(number)
    try:
        scaled = numbers.round_number(numbers.multiply(value, Decimal(100)), 0)
    except numbers.NumberError as e:
        return XError(str(e))
    as_int = int(scaled)
    if not -(2**63) <= as_int < 2**63:
        return XError("percentage value is out of range")
    return XText(f"{as_int}%")


@xfunction("url_encode", 1)
def url_encode(ev: Eval, text: Value) -> Value:
    """Percent-encoding for a URL query parameter (a space is ``%20``)."""
    return XText(quote(text_arg(text), safe="-_.~"))


@xfunction("html_decode", 1)
def html_decode(ev: Eval, text: Value) -> Value:
    """HTML entities decoded; a non-breaking space becomes a plain space."""
    return XText(html.unescape(text_arg(text)).replace("\xa0", " "))


@xfunction("read_chars", 1)
def read_chars(ev: Eval, text: Value) -> Value:
    """``text`` spelled out for IVR: characters spaced, in groups of three or four (``1 2 3 , 4 5 6``) when
    the length allows, one at a time otherwise; a leading ``+`` is dropped."""
    chars = list(text_arg(text).lstrip("+"))
    n = len(chars)
    for size in (3, 4):
        if n % size == 0:
            return XText(" , ".join(" ".join(chars[i : i + size]) for i in range(0, n, size)))
    return XText(" , ".join(chars))
