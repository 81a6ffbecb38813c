"""Reading query-string parameters the way the API v2 dialect does."""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime

from starlette.requests import Request

from sauti.api.rapidpro.errors import bad_request
from sauti.kit.text import NUL_MESSAGE, has_nul, without_nul
from sauti.kit.timefmt import parse_iso

TRUE_WORDS = frozenset({"true", "y", "yes", "1"})
MAX_REPEATS = 100


class Unsatisfiable(Exception):
    """A filter value can match nothing (e.g. an unparseable date): the listing is empty, not an error."""


def refuse_nul(request: Request) -> None:
    """A query string with a NUL character anywhere is refused (see ``kit.text``)."""
    for name, raw in request.query_params.multi_items():
        if has_nul(name) or has_nul(raw):
            raise bad_request(f"Param '{without_nul(name)}': {NUL_MESSAGE}")


def value(request: Request, name: str) -> str | None:
    """A single-valued parameter: the last occurrence, or ``None`` when absent or empty."""
    values = request.query_params.getlist(name)
    if not values:
        return None
    return values[-1] or None


def flag(request: Request, name: str) -> bool:
    """Booleans are true iff the lower-cased value is one of true, y, yes, 1."""
    raw = value(request, name)
    return raw is not None and raw.strip().lower() in TRUE_WORDS


def uuid_value(request: Request, name: str) -> str | None:
    """A UUID parameter (first occurrence), validated: 400 when it is not a UUID."""
    values = [v for v in request.query_params.getlist(name) if v]
    if not values:
        return None
    return check_uuid(name, values[0])


def uuid_values(request: Request, name: str) -> list[str]:
    values = [v for v in request.query_params.getlist(name) if v]
    if len(values) > MAX_REPEATS:
        raise bad_request(f"Param '{name}' can have a maximum of {MAX_REPEATS} values.")
    return [check_uuid(name, v) for v in values]


def check_uuid(name: str, raw: str) -> str:
    try:
        return str(uuidlib.UUID(raw))
    except ValueError as exc:
        raise bad_request(f"Param '{name}': {raw} is not a valid UUID.") from exc


def int_value(request: Request, name: str) -> int | None:
    raw = value(request, name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise bad_request(f"Value for {name} must be an integer") from exc


def date_value(request: Request, name: str) -> datetime | None:
    """An inclusive date bound. An unparseable value makes the result empty (raises ``Unsatisfiable``)."""
    raw = value(request, name)
    if raw is None:
        return None
    parsed = parse_iso(raw)
    if parsed is None:
        raise Unsatisfiable(name)
    return parsed


def exclusive(request: Request, *names: str) -> None:
    """At most one of ``names`` may carry a non-empty value."""
    given = [n for n in names if value(request, n) is not None]
    if len(given) > 1:
        raise bad_request(f"You may only specify one of the {', '.join(names)} parameters")


def lookup(request: Request, *names: str, required: bool = False) -> tuple[str, str] | None:
    """The object identifier of an update or delete: exactly one of ``names`` (given sorted in messages)."""
    given = [(n, v) for n in names if (v := value(request, n)) is not None]
    listing = ", ".join(sorted(names))
    if len(given) > 1:
        raise bad_request(f"URL can only contain one of the following parameters: {listing}")
    if not given:
        if required:
            raise bad_request(f"URL must contain one of the following parameters: {listing}")
        return None
    name, raw = given[0]
    if name == "uuid":
        raw = check_uuid(name, raw)
    return name, raw
