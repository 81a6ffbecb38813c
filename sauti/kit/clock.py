"""The one source of the current time and of new UUIDs, swappable in tests.

Everything that stamps a row or mints an identifier calls :func:`now` or :func:`new_uuid`, so a test can
freeze time (``set_clock``) or make UUIDs predictable (``set_uuid_factory``) in one place.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

_clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
_uuid_factory: Callable[[], uuid.UUID] = uuid.uuid4


def now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return _clock()


def new_uuid() -> str:
    """A new random UUID in its canonical 36-character string form."""
    return str(_uuid_factory())


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (``None`` restores the real one)."""
    global _clock
    _clock = fn or (lambda: datetime.now(UTC))


def set_uuid_factory(fn: Callable[[], uuid.UUID] | None) -> None:
    """Replace the UUID factory (``None`` restores ``uuid4``)."""
    global _uuid_factory
    _uuid_factory = fn or uuid.uuid4
