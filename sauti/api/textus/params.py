"""Reading the parameters of a TextUs request, with Grape's coercion rules.

GET parameters come from the query string. Other methods take a JSON object, a url-encoded form or a multipart
form as their body, and (DECISION, as Grape does) the query string too, the body winning. Unknown parameters are
ignored. Types: ``Integer`` (a number or a string of digits), ``String`` (numbers become strings), ``Boolean``
(``true``/``false`` or one of the words in :data:`TRUE_WORDS`/:data:`FALSE_WORDS`), ``DateTime`` (ISO 8601; no
offset means UTC), ``[String]`` (a list, a single string, or repeated ``name[]`` form fields) and ``File`` (a
multipart part). A value of the wrong type is a 400 ``<name> is invalid``; a required one that is absent or
null a 400 ``<name> is missing``. A NUL character anywhere is refused (see ``kit.text``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request

from sauti.api.textus.errors import TextUsError, invalid_param, missing, not_found
from sauti.kit.text import NUL_MESSAGE, has_nul, nul_paths
from sauti.kit.timefmt import parse_iso

TRUE_WORDS = frozenset({"true", "t", "1", "yes", "y", "on"})
FALSE_WORDS = frozenset({"false", "f", "0", "no", "n", "off", ""})
MAX_INT = 2**63 - 1
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Upload:
    filename: str | None
    content_type: str | None
    content: bytes


@dataclass
class Params:
    """The request's parameters by name; each getter coerces one (``None``: absent)."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.values and self.values[name] is not None

    def require(self, *names: str) -> None:
        """A 400 naming every required parameter that is absent or null."""
        absent = [n for n in names if not self.has(n) and n not in self.files]
        if absent:
            raise missing(*absent)

    def integer(self, name: str) -> int | None:
        raw = self.values.get(name)
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool):
            raise invalid_param(name)
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        elif isinstance(raw, str) and raw.strip().lstrip("+-").isascii() and raw.strip().lstrip("+-").isdigit():
            value = int(raw.strip())
        else:
            raise invalid_param(name)
        if abs(value) > MAX_INT:
            raise invalid_param(name)
        return value

    def string(self, name: str) -> str | None:
        raw = self.values.get(name)
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise invalid_param(name)
        return raw if isinstance(raw, str) else str(raw)

    def id_or_text(self, name: str) -> int | str | None:
        """An integer id or a string (an email, a phone number), as given."""
        raw = self.values.get(name)
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        return self.string(name)

    def boolean(self, name: str) -> bool | None:
        raw = self.values.get(name)
        if raw is None:
            return None
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str):
            word = raw.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
        raise invalid_param(name)

    def datetime(self, name: str) -> datetime | None:
        raw = self.values.get(name)
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str):
            raise invalid_param(name)
        parsed = parse_iso(raw)
        if parsed is None:
            raise invalid_param(name)
        return parsed

    def strings(self, name: str) -> list[str] | None:
        raw = self.values.get(name)
        if raw is None:
            return None
        items = raw if isinstance(raw, list) else [raw]
        out = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise invalid_param(name)
            out.append(item if isinstance(item, str) else str(item))
        return out

    def order(self, name: str, orders: Mapping[str, str]) -> str | None:
        """An ``order_by`` value (``attribute``, ``attribute asc`` or ``attribute desc``) as the domain's order
        (``orders`` maps wire attributes to it; ``-`` in front means descending); 400 for another value."""
        raw = self.string(name)
        if raw is None or not raw.strip():
            return None
        key, _, direction = raw.strip().lower().partition(" ")
        direction = direction.strip()
        if key not in orders or direction not in ("", "asc", "desc"):
            raise TextUsError(400, f"{name} does not have a valid value")
        return ("-" if direction == "desc" else "") + orders[key]

    def file(self, name: str) -> Upload | None:
        if name in self.files:
            return self.files[name]
        if self.values.get(name) is not None:  # a value that is not a file part
            raise invalid_param(name)
        return None


def _refuse_nul(values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        if has_nul(name) or any(True for _ in nul_paths(value)):
            raise TextUsError(400, f"{name.replace(chr(0), '')} is invalid: {NUL_MESSAGE}")


def _add(values: dict[str, Any], name: str, value: Any) -> None:
    """Form fields: ``name[]`` (repeated) collects a list under ``name``; a repeated plain name keeps the last."""
    if name.endswith("[]"):
        values.setdefault(name[:-2], [])
        if isinstance(values[name[:-2]], list):
            values[name[:-2]].append(value)
    else:
        values[name] = value


async def read(request: Request) -> Params:
    """The request's parameters (see the module docstring); 400 for a body that is not a JSON object or a
    form, 415 for another kind of body."""
    params = Params()
    for key, text in request.query_params.multi_items():
        _add(params.values, key, text)
    if request.method in ("GET", "HEAD"):
        _refuse_nul(params.values)
        return params
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body: dict[str, Any] = {}
    if ctype in FORM_TYPES:
        form = await request.form()
        for name, part in form.multi_items():
            if isinstance(part, UploadFile):
                params.files[name] = Upload(part.filename, part.content_type, await part.read())
            else:
                _add(body, name, part)
    else:
        raw = await request.body()
        if raw.strip():
            if ctype and ctype != "application/json" and not ctype.endswith("+json"):
                raise TextUsError(415, f"The provided content-type '{ctype}' is not supported.")
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise TextUsError(400, "The request body is not valid JSON.") from exc
            if not isinstance(data, dict):
                raise TextUsError(400, "The request body must be a JSON object.")
            body = data
    params.values.update(body)
    _refuse_nul(params.values)
    for name in params.files:
        if has_nul(name) or has_nul(params.files[name].filename or ""):
            raise TextUsError(400, f"{name.replace(chr(0), '')} is invalid: {NUL_MESSAGE}")
    return params


def path_id(request: Request, name: str = "id") -> int:
    """An integer id from the path; anything else names nothing (404)."""
    raw = str(request.path_params.get(name, ""))
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_INT or int(raw) == 0:
        raise not_found()
    return int(raw)
