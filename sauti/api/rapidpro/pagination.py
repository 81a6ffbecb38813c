"""Cursor pagination of the API v2 dialect: keyset pages over an indexed (position, id) ordering.

The cursor is opaque to clients (url-safe base64 of a small JSON document) and holds the position and id of the
row a page starts after, plus whether it walks backwards (a ``previous`` link). Because every page is a range
scan from a known key, page 10,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import DateTime, Select, bindparam, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from starlette.requests import Request

from sauti.api.rapidpro.errors import APIError
from sauti.db import plain, shapes
from sauti.db.base import UTCDateTime
from sauti.kit.timefmt import format_utc, parse_iso


@dataclass(frozen=True)
class Ordering:
    """Rows are ordered by ``position`` then ``id``, both descending unless ``descending`` is false."""

    position: InstrumentedAttribute[Any]
    id: InstrumentedAttribute[Any]
    descending: bool = True


@dataclass
class Page:
    rows: Sequence[Any]
    next: str | None
    previous: str | None


def invalid_cursor() -> APIError:
    return APIError.detail(404, "Invalid cursor")


def _encode(position: Any, row_id: int, backwards: bool) -> str:
    pos = format_utc(position) if isinstance(position, datetime) else position
    doc = {"p": pos, "i": row_id, "b": 1 if backwards else 0}
    return base64.urlsafe_b64encode(orjson.dumps(doc)).decode().rstrip("=")


def _decode(token: str, ordering: Ordering) -> tuple[Any, int, bool]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        doc = orjson.loads(raw)
        row_id = doc["i"]
        backwards = bool(doc["b"])
        pos = doc["p"]
        if not isinstance(row_id, int):
            raise ValueError("id")
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        raise invalid_cursor() from exc
    if isinstance(ordering.position.type, UTCDateTime | DateTime):
        if not isinstance(pos, str) or (parsed := parse_iso(pos)) is None:
            raise invalid_cursor()
        pos = parsed
    elif not isinstance(pos, int | str):
        raise invalid_cursor()
    return pos, row_id, backwards


def _plain(stmt: Select[Any]) -> Select[Any]:
    """The same select, reading the entity's table columns instead of building ORM objects. A select of chosen
    columns (a page that shows only some of them) is left as it is."""
    first = stmt.column_descriptions[0]
    entity = first.get("entity")
    if first.get("expr") is not entity:
        return stmt
    table = getattr(entity, "__table__", None)
    return stmt.with_only_columns(*table.c) if table is not None else stmt


def _url(request: Request, cursor: str) -> str:
    return str(request.url.include_query_params(cursor=cursor))


def _page_statement(stmt: Select[Any], ordering: Ordering, after: bool | None, walk_desc: bool, size: int) -> Any:
    """``stmt`` ordered for the walk, past the cursor (``after``: continuing past it, ``False``: the other way
    from it, ``None``: no cursor; its position and id bound as ``page_position`` and ``page_id``), as plain
    columns, ``size`` rows."""
    if after is not None:
        key = tuple_(ordering.position, ordering.id)
        bound = tuple_(
            bindparam("page_position", type_=ordering.position.type), bindparam("page_id", type_=ordering.id.type)
        )
        stmt = stmt.where(key < bound if after else key > bound)
    if walk_desc:
        stmt = stmt.order_by(ordering.position.desc(), ordering.id.desc())
    else:
        stmt = stmt.order_by(ordering.position.asc(), ordering.id.asc())
    return _plain(stmt).limit(size)


# the page statements of kept shapes (db.shapes): what a page adds to one, built once per walk and page size
_PAGED: dict[tuple[int, bool | None, bool, int, int, int], tuple[Select[Any], Any]] = {}


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    ordering: Ordering,
    request: Request,
    page_size: int,
    params: Mapping[str, Any] | None = None,
) -> Page:
    """Run ``stmt`` (already filtered and scoped) one page at a time, as the request's cursor says.

    ``stmt`` selects the model whose ``ordering`` columns are given; the page is read as that table's plain
    columns (rows with the same attribute names), never as ORM objects: a page of 250 costs what its rows
    cost. ``params``: ``stmt`` is a kept shape's (``db.shapes``), run with these values; what the page adds
    to it is kept too.
    """
    token = request.query_params.get("cursor")
    backwards = False
    after: bool | None = None
    values: dict[str, Any] = dict(params or {})
    if token:
        pos, row_id, backwards = _decode(token, ordering)
        # walking forwards continues past the cursor row; backwards walks the other way from it
        after = ordering.descending != backwards
        values.update(page_position=pos, page_id=row_id)
    walk_desc = ordering.descending != backwards
    if params is None:
        paged = _page_statement(stmt, ordering, after, walk_desc, page_size + 1)
    else:
        memo = (id(stmt), after, walk_desc, page_size, id(ordering.position), id(ordering.id))
        found = _PAGED.get(memo)
        if found is None or found[0] is not stmt:
            if len(_PAGED) >= 4 * shapes.KEEP:  # kept shapes are bounded, and so is what pages add to them
                _PAGED.clear()
            found = _PAGED[memo] = (stmt, _page_statement(stmt, ordering, after, walk_desc, page_size + 1))
        paged = found[1]
    rows = list((await plain.rows(session, paged, values or None)).all())
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()

    def cursor_of(row: Any, back: bool) -> str:
        return _encode(getattr(row, ordering.position.key), getattr(row, ordering.id.key), back)

    next_url = prev_url = None
    if rows:
        if backwards:
            next_url = _url(request, cursor_of(rows[-1], False))
            if more:
                prev_url = _url(request, cursor_of(rows[0], True))
        else:
            if more:
                next_url = _url(request, cursor_of(rows[-1], False))
            if token:
                prev_url = _url(request, cursor_of(rows[0], True))
    return Page(rows=rows, next=next_url, previous=prev_url)
