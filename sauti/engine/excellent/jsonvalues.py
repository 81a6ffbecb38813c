"""Values to and from JSON.

:func:`from_json` reads plain (already decoded) JSON: objects become :class:`XObject` (a ``__default__`` key
becomes the default), arrays :class:`XArray`, strings :class:`XText`, numbers :class:`XNumber` (exactly, with
no float in between when decoded with :func:`loads`), booleans and null as themselves.

:func:`to_json` is the reverse for any value: dates, datetimes and times become their canonical strings,
errors and functions null, objects lose their default unless asked to keep it. :func:`dumps` writes the JSON
text ``json()`` produces: compact, keys sorted, no HTML escaping (as goflow writes it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sauti.engine.excellent.numbers import in_range, render_number
from sauti.engine.excellent.types import (
    DEFAULT_KEY,
    Value,
    XArray,
    XBoolean,
    XDate,
    XDateTime,
    XError,
    XFunction,
    XNumber,
    XObject,
    XText,
    XTime,
)

__all__ = ["dumps", "from_json", "loads", "to_json"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def loads(text: str) -> Any:
    """Decode JSON text with numbers as ``Decimal`` (NaN and Infinity refused). Raises ``ValueError``."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)


def from_json(data: Any) -> Value:
    """The value of decoded JSON (see the module docstring). A number out of range becomes an error value."""
    if data is None:
        return None
    if isinstance(data, bool):
        return XBoolean(data)
    if isinstance(data, str):
        return XText(data)
    if isinstance(data, int | Decimal | float):
        number = data if isinstance(data, Decimal) else Decimal(str(data))
        if not in_range(number):
            return XError("number value out of range")
        return XNumber(number)
    if isinstance(data, Mapping):
        return XObject({str(k): from_json(v) for k, v in data.items()})
    if isinstance(data, list | tuple):
        return XArray([from_json(v) for v in data])
    raise TypeError(f"not JSON: {type(data).__name__}")


def to_json(value: Value, *, with_default: bool = False) -> Any:
    """Plain JSON for ``value`` (numbers as ``Decimal``). ``with_default`` keeps object defaults under
    ``__default__`` (the inverse of :func:`from_json`)."""
    if value is None or isinstance(value, XError | XFunction):
        return None
    if isinstance(value, XText):
        return value.value
    if isinstance(value, XNumber):
        return value.value
    if isinstance(value, XBoolean):
        return value.value
    if isinstance(value, XDate | XDateTime | XTime):
        return value.render()
    if isinstance(value, XArray):
        return [to_json(v, with_default=with_default) for v in value.items]
    assert isinstance(value, XObject)
    out: dict[str, Any] = {}
    for key in value.keys():
        item = value.properties[key]
        if isinstance(item, XError):
            continue  # goflow leaves out properties that can't be written
        out[key] = to_json(item, with_default=with_default)
    if with_default and value.has_default:
        out[DEFAULT_KEY] = to_json(value.default, with_default=True)
    return out


def _write(data: Any, out: list[str]) -> None:
    if data is None:
        out.append("null")
    elif data is True or data is False:
        out.append("true" if data else "false")
    elif isinstance(data, Decimal):
        out.append(render_number(data))
    elif isinstance(data, str):
        out.append(json.dumps(data, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    elif isinstance(data, dict):
        out.append("{")
        for i, key in enumerate(sorted(data)):
            if i:
                out.append(",")
            _write(key, out)
            out.append(":")
            _write(data[key], out)
        out.append("}")
    else:
        out.append("[")
        for i, item in enumerate(data):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")


def dumps(value: Value) -> str:
    """The compact JSON text of ``value`` (``null`` for null, errors and functions)."""
    out: list[str] = []
    _write(to_json(value), out)
    return "".join(out)
