"""The one source of the current time and of new UUIDs, swappable in tests.

Everything that stamps a row or mints an identifier calls :func:`now` or :func:`new_uuid`, so a test can
freeze time (``set_clock``) or make UUIDs predictable (``set_uuid_factory``) in one place.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

_clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
_uuid_factory: Callable[[], uuid.UUID] = uuid.uuid4


def now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return _clock()


def new_uuid() -> str:
    """A new random UUID in its canonical 36-character string form (version 4, from the operating system's
    randomness as ``uuid4`` makes it, formatted without building a ``UUID`` object when the factory is the real
    one: an inbound message through a flow names some forty things)."""
    if _uuid_factory is not uuid.uuid4:
        return str(_uuid_factory())
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_uuids(n: int) -> list[str]:
    """``n`` new random UUIDs (version 4), made in bulk from the operating system's randomness when the factory
    is the real one (a broadcast names thousands at a time), else from the factory a test installed."""
    if _uuid_factory is not uuid.uuid4:
        return [str(_uuid_factory()) for _ in range(n)]
    raw = bytearray(os.urandom(16 * n))
    out: list[str] = []
    for start in range(0, 16 * n, 16):
        raw[start + 6] = (raw[start + 6] & 0x0F) | 0x40  # version 4
        raw[start + 8] = (raw[start + 8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw[start : start + 16].hex()
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (``None`` restores the real one)."""
    global _clock
    _clock = fn or (lambda: datetime.now(UTC))


def set_uuid_factory(fn: Callable[[], uuid.UUID] | None) -> None:
    """Replace the UUID factory (``None`` restores ``uuid4``)."""
    global _uuid_factory
    _uuid_factory = fn or uuid.uuid4
