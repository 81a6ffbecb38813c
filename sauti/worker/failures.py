"""How a row that could not be processed says why: one line an operator can act on."""

from __future__ import annotations

from sauti.kit.text import without_nul

MAX_LENGTH = 1000


def describe(exc: BaseException) -> str:
    """``ExceptionType: message``, cut to a size a status column holds."""
    text = without_nul(f"{type(exc).__name__}: {exc}")
    return text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 1] + "…"
