"""Writing and reading the engine's JSON (sessions, sprints, contacts) with exact decimal numbers.

The engine's ``to_json`` methods return plain JSON values in which numbers (a contact field's ``number``,
webhook JSON, trigger params) are ``Decimal``: never floats. :func:`dumps` writes them exactly; :func:`loads`
reads numbers back exactly (integers as ``int``, others as ``Decimal``). A platform storing with another JSON
library must keep that exactness (orjson can't write a ``Decimal`` as a number: use these two functions).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sauti.engine.excellent.numbers import render_number

__all__ = ["dumps", "exact", "loads"]


def _write(data: Any, out: list[str], indent: int | None, level: int, sort_keys: bool) -> None:
    if data is None or data is True or data is False:
        out.append("null" if data is None else "true" if data else "false")
    elif isinstance(data, Decimal):
        out.append(render_number(data))
    elif isinstance(data, int | float):
        out.append(json.dumps(data))
    elif isinstance(data, str):
        out.append(json.dumps(data, ensure_ascii=False))
    elif isinstance(data, dict | list | tuple):
        is_dict = isinstance(data, dict)
        items: list[Any]
        if isinstance(data, dict):
            items = sorted(data.items()) if sort_keys else list(data.items())
        else:
            items = list(data)
        opener, closer = ("{", "}") if is_dict else ("[", "]")
        if not items:
            out.append(opener + closer)
            return
        pad = "\n" + " " * (indent * (level + 1)) if indent is not None else ""
        out.append(opener)
        for i, item in enumerate(items):
            if i:
                out.append(",")
            out.append(pad)
            if is_dict:
                out.append(json.dumps(str(item[0]), ensure_ascii=False))
                out.append(": " if indent is not None else ":")
                _write(item[1], out, indent, level + 1, sort_keys)
            else:
                _write(item, out, indent, level + 1, sort_keys)
        out.append("\n" + " " * (indent * level) if indent is not None else "")
        out.append(closer)
    else:
        raise TypeError(f"not JSON: {type(data).__name__}")


def dumps(data: Any, *, indent: int | None = None, sort_keys: bool = False) -> str:
    """JSON text of ``data`` (Decimals written exactly, non-ASCII kept; compact unless ``indent``)."""
    out: list[str] = []
    _write(data, out, indent, 0, sort_keys)
    return "".join(out)


def exact(data: Any) -> Any:
    """``data`` with every float made the Decimal it prints as: JSON a platform stored exactly (with
    :func:`dumps`) but read back with a library that makes floats of its numbers."""
    if isinstance(data, float):
        return Decimal(repr(data))
    if isinstance(data, dict):
        return {k: exact(v) for k, v in data.items()}
    if isinstance(data, list):
        return [exact(v) for v in data]
    return data


def _reject(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def loads(text: str) -> Any:
    """Decode JSON text: integers as ``int`` (flow definitions need them so), other numbers as ``Decimal``
    (never a float). Raises ``ValueError``."""
    return json.loads(text, parse_float=Decimal, parse_constant=_reject)
