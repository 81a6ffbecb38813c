"""The one rule for characters Sauti will not store: NUL.

PostgreSQL cannot hold U+0000 in a text value (it raises ``invalid byte sequence for encoding "UTF8": 0x00``)
while SQLite stores it, so the same request would behave differently on the two databases. DECISION: text that
a caller sends us (API bodies, query strings, form fields) with a NUL in it is refused with a 400 in the
dialect's shape, before anything is read or written; text that arrives from elsewhere and must be kept (a
provider's inbound message, a provider's reply recorded in a channel log) has its NULs removed. Every other
character, control characters included, is ordinary text and is stored exactly as given on both databases.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

NUL = "\x00"

# DRF's own words for the same rule, which both dialects show to callers
NUL_MESSAGE = "Null characters are not allowed."

Path = tuple[str | int, ...]
T = TypeVar("T")


def has_nul(text: str) -> bool:
    return NUL in text


def without_nul(text: str) -> str:
    """``text`` with every NUL removed (for foreign text we must keep, never for a caller's input)."""
    return text.replace(NUL, "") if NUL in text else text


def nul_paths(value: Any, path: Path = ()) -> Iterator[Path]:
    """Where NULs hide in parsed JSON: the path of every string value, or of every object whose keys hold
    one. ``[]`` is the top level itself (a bare string)."""
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                yield path
            else:
                yield from nul_paths(item, (*path, key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from nul_paths(item, (*path, i))


def scrubbed(item: T) -> T:
    """A dataclass instance with NULs removed from its text fields (``str`` and tuples of ``str``): for what
    a provider tells us, which we keep rather than refuse."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(item):  # type: ignore[arg-type]
        value = getattr(item, f.name)
        if isinstance(value, str) and NUL in value:
            changes[f.name] = without_nul(value)
        elif isinstance(value, tuple) and any(isinstance(v, str) and NUL in v for v in value):
            changes[f.name] = tuple(without_nul(v) if isinstance(v, str) else v for v in value)
    return dataclasses.replace(item, **changes) if changes else item  # type: ignore[type-var]
