"""How JSON columns are written: as JSON libraries write them, except that a value holding a ``Decimal`` (the
flow engine's numbers: a webhook's JSON, a contact's number, kept in sessions and run results) is written
exactly, as a JSON number, by the engine's own writer (``engine/jsonio.dumps``).

Read back, such numbers are floats (the columns are read by the standard library); the flow runtime makes them
Decimals again where the engine reads them (``jsonio.exact``).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "fast_dumps"]


def _exact(value: Any) -> str:
    from sauti.engine import jsonio  # only when a Decimal is there: most values never need it

    return jsonio.dumps(value)


def dumps(value: Any) -> str:
    """The engines' ``json_serializer`` (SQLAlchemy's own choice, the standard library, when it can)."""
    try:
        return json.dumps(value)
    except TypeError:
        return _exact(value)


def fast_dumps(value: Any) -> str:
    """For bulk writes (orjson when it can)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return _exact(value)
