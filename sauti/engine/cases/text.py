"""Text tests: ``has_text`` (and its old name ``has_value``), ``has_only_text``, the word tests
``has_any_word``, ``has_all_words``, ``has_phrase``, ``has_only_phrase``, and ``has_beginning``, ``has_pattern``.

Every test converts its operand and arguments to text (null is ``""``; an error is the result). "Trimmed" means
Go's ``strings.TrimSpace`` (Unicode whitespace at both ends). The word tests trim both texts, split them with
Excellent's word tokenizer (:func:`sauti.engine.excellent.words.tokenize`) and compare tokens in the
environment's ``input_collation`` (:func:`sauti.engine.excellent.words.collate`); their match is the matching
tokens of the operand, in its order and original case, joined by single spaces.
"""

from __future__ import annotations

import regex

from sauti.engine.cases.base import FALSE_RESULT, case_test, true_result
from sauti.engine.excellent.functions.base import text_arg
from sauti.engine.excellent.functions.text import GO_SPACE, REGEX_TIMEOUT
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XError, XObject, XText
from sauti.engine.excellent.words import collate, tokenize

__all__ = [
    "has_all_words",
    "has_any_word",
    "has_beginning",
    "has_only_phrase",
    "has_only_text",
    "has_pattern",
    "has_phrase",
    "has_text",
]


def _trim(text: str) -> str:
    return text.strip(GO_SPACE)


def _tokens(ev: Eval, operand: Value, words: Value) -> tuple[list[str], list[str], list[str]]:
    """The operand's tokens, their collated forms and the collated tokens of ``words``."""
    text_tokens = tokenize(_trim(text_arg(operand)))
    word_tokens = tokenize(_trim(text_arg(words)))
    collation = ev.env.input_collation
    return (
        text_tokens,
        [collate(t, collation) for t in text_tokens],
        [collate(t, collation) for t in word_tokens],
    )


@case_test("has_text", 1, 1)
@case_test("has_value", 1, 1)
def has_text(ev: Eval, operand: Value) -> Value:
    """True when the text has any non-whitespace character; the match is the trimmed text. ``has_value`` is the
    same test under the name older flows use."""
    text = _trim(text_arg(operand))
    return true_result(XText(text)) if text else FALSE_RESULT


@case_test("has_any_word", 2, 2)
def has_any_word(ev: Eval, operand: Value, words: Value) -> Value:
    """True when any token of the text is one of the tokens of ``words``; the match is every such token."""
    tokens, collated, wanted = _tokens(ev, operand, words)
    wanted_set = set(wanted)
    matches = [token for token, key in zip(tokens, collated, strict=True) if key in wanted_set]
    return true_result(XText(" ".join(matches))) if matches else FALSE_RESULT


@case_test("has_only_phrase", 2, 2)
def has_only_phrase(ev: Eval, operand: Value, phrase: Value) -> Value:
    """True when the text's tokens are exactly the phrase's tokens, pairwise equal (so ``""`` has the phrase
    ``""``, but a non-empty text doesn't); the match is the text's tokens."""
    tokens, collated, wanted = _tokens(ev, operand, phrase)
    if collated != wanted:
        return FALSE_RESULT
    return true_result(XText(" ".join(tokens)))


@case_test("has_only_text", 2, 2)
def has_only_text(ev: Eval, operand: Value, other: Value) -> Value:
    """True when the two texts are exactly equal: case-sensitive, nothing trimmed, no tokenizing."""
    text = text_arg(operand)
    return true_result(XText(text)) if text == text_arg(other) else FALSE_RESULT


@case_test("has_all_words", 2, 2)
def has_all_words(ev: Eval, operand: Value, words: Value) -> Value:
    """True when every token of ``words`` is somewhere in the text, in any order; the match is every token of
    the text that is one of them. No words at all is (vacuously) a match, with an empty match."""
    tokens, collated, wanted = _tokens(ev, operand, words)
    wanted_set = set(wanted)
    matches = [token for token, key in zip(tokens, collated, strict=True) if key in wanted_set]
    if not wanted_set <= set(collated):
        return FALSE_RESULT
    return true_result(XText(" ".join(matches)))


@case_test("has_phrase", 2, 2)
def has_phrase(ev: Eval, operand: Value, phrase: Value) -> Value:
    """True when the phrase's tokens occur one after the other in the text; an empty phrase always matches (with
    an empty match).

    The scan is goflow's: on a token that doesn't continue the phrase it starts over from the phrase's first
    token *with the next token of the text*, without trying the current one as a new start. So "a a b" hasn't
    the phrase "a b" (and flows written against goflow behave the same here).
    """
    tokens, collated, wanted = _tokens(ev, operand, phrase)
    if not wanted:
        return true_result(XText(""))
    position = 0
    matched: list[str] = []
    for token, key in zip(tokens, collated, strict=True):
        if key == wanted[position]:
            matched.append(token)
            position += 1
            if position == len(wanted):
                return true_result(XText(" ".join(matched)))
        else:
            position = 0
            matched = []
    return FALSE_RESULT


def _fold_equal(a: str, b: str) -> bool:
    """Go's ``strings.EqualFold`` for two texts of the same length: each pair of characters equal under simple
    case folding (compared lower-cased, then upper-cased, so the three forms of Greek sigma are one letter)."""
    return len(a) == len(b) and all(
        x == y or x.lower() == y.lower() or x.upper() == y.upper() for x, y in zip(a, b, strict=True)
    )


@case_test("has_beginning", 2, 2)
def has_beginning(ev: Eval, operand: Value, beginning: Value) -> Value:
    """True when the trimmed text starts with the trimmed ``beginning``, compared case-insensitively character by
    character (no tokenizing: runs of spaces must be the same); neither may be empty. The match is the start of
    the text, as long as ``beginning``, in the text's case.

    goflow measures the prefix in UTF-8 bytes; Sauti measures it in characters, which agrees whenever both
    texts have the same byte length per character (always for ASCII).
    """
    text = _trim(text_arg(operand))
    prefix = _trim(text_arg(beginning))
    if not text or not prefix or len(text) < len(prefix):
        return FALSE_RESULT
    segment = text[: len(prefix)]
    return true_result(XText(segment)) if _fold_equal(segment, prefix) else FALSE_RESULT


@case_test("has_pattern", 2, 2)
def has_pattern(ev: Eval, operand: Value, pattern: Value) -> Value:
    """True when the regular expression ``pattern`` (trimmed) is found in the text (not trimmed), searching
    case-insensitively and multi-line (``(?mi)``). The match is the whole match; ``extra`` holds it under
    ``"0"`` and each capture group under its number (``""`` for a group that took no part).

    Patterns are read by the ``regex`` package: every RE2 pattern goflow accepts works, and ``\\w``, ``\\d``,
    ``\\b`` are Unicode-aware (RE2's are ASCII-only). An invalid pattern is the error ``must be called with a
    valid regular expression``; a search that runs longer than Excellent's regex time limit is an error too
    (Python's engine backtracks where RE2 can't).
    """
    text = text_arg(operand)
    source = _trim(text_arg(pattern))
    try:
        compiled = regex.compile("(?mi)" + source)
    except (regex.error, ValueError, OverflowError):
        return XError("must be called with a valid regular expression")
    try:
        found = compiled.search(text, timeout=REGEX_TIMEOUT)
    except TimeoutError:
        return XError("regular expression took too long to run")
    if found is None:
        return FALSE_RESULT
    groups = [found.group(0), *found.groups()]
    extra = XObject({str(i): XText(group or "") for i, group in enumerate(groups)})
    return true_result(XText(found.group(0)), extra)
