"""Splitting text into words, as the word functions (``word()``, ``split()``...) and router word tests do.

A word is a maximal run of Unicode letters, marks, digits, ``_`` and the apostrophe ``'``; every symbol
character (Unicode category S: emoji, ``$``, ``+``, ``=``...) is a word on its own; everything else separates.
So ``"Hi there. I'm a flow!"`` is ``Hi``, ``there``, ``I'm``, ``a``, ``flow`` and ``"😀😃"`` is two words.
"""

from __future__ import annotations

from typing import Final

import regex

__all__ = ["WORD_PATTERN", "collate", "tokenize", "tokenize_by_chars"]

WORD_PATTERN: Final = regex.compile(r"[\p{M}\p{L}\p{N}_']+|\p{S}")


def tokenize(text: str) -> list[str]:
    """The words of ``text`` in order (see the module docstring)."""
    return WORD_PATTERN.findall(text)


def tokenize_by_chars(text: str, delimiters: str) -> list[str]:
    """``text`` split on any of the characters of ``delimiters``, empty pieces dropped."""
    if not delimiters:
        return [text] if text else []
    pattern = "[" + "".join(regex.escape(c) for c in dict.fromkeys(delimiters)) + "]+"
    return [piece for piece in regex.split(pattern, text) if piece]


def collate(token: str, collation: str = "default") -> str:
    """The form in which two tokens compare equal for router word tests.

    Only the ``default`` collation (lower-casing, ``str.lower`` like Go's ``ToLower``, not ``casefold``) is
    implemented; ``confusables`` and ``arabic_variants`` fall back to it.
    """
    return token.lower()
