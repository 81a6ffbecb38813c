"""How names and text values are folded for comparison, shared by the evaluator, the SQL translator and the
domain code that stores the derived columns (``Contact.name_key``, ``Contact.name_tokens``,
``ContactValue.text_key``).

Folding is NFC normalisation, Unicode case folding and trimming. The stored keys are exactly what these
functions return, so comparing a stored key with the key of a query value in SQL gives the same answer as
comparing the two in memory.
"""

from __future__ import annotations

import unicodedata

import regex

NAME_KEY_MAX = 128  # Contact.name_key is String(128)
TEXT_KEY_MAX = 255  # ContactValue.text_key is String(255)
MIN_NAME_TOKEN = 2  # shorter query tokens are ignored by `name ~ x`
NAME_TOKEN_PREFIX = 8  # query tokens are cut to this many characters before the prefix match

_WORD = regex.compile(r"\w+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(text: str) -> str:
    """NFC-normalised, case-folded, trimmed text."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold()).strip()


def name_key(name: str | None) -> str | None:
    """What ``name = x`` compares: the folded name (at most 128 characters), ``None`` for no or blank name."""
    if name is None:
        return None
    return fold(name)[:NAME_KEY_MAX] or None


def name_tokens(name: str | None) -> str | None:
    """The folded word tokens of a name, each preceded by one space: ``" alice uwase"``.

    ``None`` when the name has no word at all. The leading spaces let SQL test "some token starts with p" as
    ``name_tokens LIKE '% p%'``: tokens never contain spaces, so the match cannot straddle two tokens.
    """
    if name is None:
        return None
    tokens = _WORD.findall(fold(name))
    return "".join(f" {token}" for token in tokens) or None


def name_query_tokens(value: str) -> list[str]:
    """The prefixes ``name ~ value`` looks for: folded word tokens of at least 2 characters, cut to 8,
    without repeats, in order. An empty list means the value cannot be used with ``~`` on names.
    """
    seen: list[str] = []
    for token in _WORD.findall(fold(value)):
        if len(token) >= MIN_NAME_TOKEN:
            prefix = token[:NAME_TOKEN_PREFIX]
            if prefix not in seen:
                seen.append(prefix)
    return seen


def name_matches(name: str | None, value: str) -> bool:
    """Whether ``name ~ value`` holds: **every** query token is a prefix of some token of the name.

    RapidPro's wording ("any query token") leaves several-token queries open; Sauti requires all of them,
    so ``name ~ "ali uw"`` finds "Alice Uwase" but not "Alice Mukamana", which is what someone typing more
    words expects. A value with no usable token (see :func:`name_query_tokens`) matches nothing.
    """
    tokens = name_tokens(name)
    wanted = name_query_tokens(value)
    if tokens is None or not wanted:
        return False
    have = tokens.split()
    return all(any(token.startswith(prefix) for token in have) for prefix in wanted)


def value_key(text: str, *, location: bool = False) -> str:
    """What text ``=`` compares: the folded text, at most 255 characters.

    For location fields (state, district, ward) only the last component of a ``Country > State > District``
    path counts, so ``district = "Gasabo"`` matches a stored ``Rwanda > Kigali > Gasabo``.
    """
    if location:
        text = text.rsplit(">", 1)[-1]
    return fold(text)[:TEXT_KEY_MAX]


def ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, leaving every other character alone.

    URN paths are compared this way: it is the one case folding SQLite and PostgreSQL can both do identically
    (see ``sauti.domain.contacts.search``), and stored paths are ASCII in practice anyway.
    """
    return text.translate(_ASCII_LOWER)
