"""Page pagination of the TextUs dialect: ``page``, ``per_page`` and ``offset`` in, ``X-*`` headers out.

Rows are skipped ``(page - 1) * per_page + offset`` and ``per_page`` are shown. DECISIONS (kaminari's ways): a
page below 1 is page 1 (a public client starts at ``page=0``); ``per_page`` above 100 is 100 and below 1 is the
default 25; a negative offset is 0. ``X-Total`` counts every matching row (whatever the offset),
``X-Total-Pages`` is ``ceil((total - offset) / per_page)`` (0 when there is nothing), ``X-Next-Page`` and
``X-Prev-Page`` are empty at either end, and a ``Link`` header carries the same as RFC 8288 links.

This module is the only place the dialect builds a query: the count of a listing and its page.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from sauti.api.textus.params import Params
from sauti.api.textus.render import ok
from sauti.api.textus.resource import Param

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
PARAMS = (
    Param("page", "integer", "page to fetch (from 1)"),
    Param("per_page", "integer", "results per page (25 by default, at most 100)"),
    Param("offset", "integer", "results to skip before the page"),
)


@dataclass(frozen=True)
class Window:
    page: int
    per_page: int
    offset: int

    @property
    def skip(self) -> int:
        return (self.page - 1) * self.per_page + self.offset


def window(params: Params) -> Window:
    page = params.integer("page") or 1
    per_page = params.integer("per_page") or DEFAULT_PER_PAGE
    offset = params.integer("offset") or 0
    if per_page < 1:
        per_page = DEFAULT_PER_PAGE
    return Window(page=max(page, 1), per_page=min(per_page, MAX_PER_PAGE), offset=max(offset, 0))


def headers(request: Request, w: Window, total: int) -> dict[str, str]:
    pages = math.ceil(max(total - w.offset, 0) / w.per_page)
    next_page = str(w.page + 1) if w.page < pages else ""
    prev_page = str(w.page - 1) if w.page > 1 else ""
    out = {
        "X-Total": str(total),
        "X-Total-Pages": str(pages),
        "X-Page": str(w.page),
        "X-Per-Page": str(w.per_page),
        "X-Offset": str(w.offset),
        "X-Next-Page": next_page,
        "X-Prev-Page": prev_page,
    }
    links = [("first", "1"), ("last", str(max(pages, 1)))]
    if next_page:
        links.insert(0, ("next", next_page))
    if prev_page:
        links.insert(0, ("prev", prev_page))
    out["Link"] = ", ".join(f'<{request.url.include_query_params(page=n)}>; rel="{rel}"' for rel, n in links)
    return out


Serialize = Callable[[AsyncSession, Sequence[Any]], Awaitable[list[Any]]]


async def listing(
    request: Request, session: AsyncSession, params: Params, stmt: Select[Any], serialize: Serialize
) -> Response:
    """One page of ``stmt`` (already scoped, filtered and ordered by the domain) as a bare JSON array, with
    the pagination headers: two queries, plus what ``serialize`` needs for the whole page."""
    w = window(params)
    total = int((await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))).scalar_one())
    rows: Sequence[Any] = []
    if w.skip < total:
        rows = list((await session.execute(stmt.offset(w.skip).limit(w.per_page))).scalars())
    body = await serialize(session, rows)
    return ok(body, headers=headers(request, w, total))
