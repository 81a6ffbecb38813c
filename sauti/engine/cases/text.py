"""Text tests: ``has_text`` (and its old name ``has_value``), ``has_only_text``, the word tests
``has_any_word``, ``has_all_words``, ``has_phrase``, ``has_only_phrase``, and ``has_beginning``, ``has_pattern``.

Every test converts its operand and arguments to text (null is ``""``; an error is the result). "Trimmed" means
Go's ``strings.TrimSpace`` (Unicode whitespace at both ends). The word tests trim both texts, split them with
Excellent's word tokenizer (:func:`sauti.engine.excellent.words.tokenize`) and compare tokens in the
environment's ``input_collation`` (:func:`sauti.engine.excellent.words.collate`); their match is the matching
tokens of the operand, in its order and original case, joined by single spaces.
"""

from __future__ import annotations

from sauti.engine.cases.base import FALSE_RESULT, case_test, true_result
from sauti.engine.excellent.functions.base import text_arg
from sauti.engine.excellent.functions.text import GO_SPACE
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XText
from sauti.engine.excellent.words import collate, tokenize

__all__ = ["has_any_word", "has_only_phrase", "has_text"]


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
