"""``archives.json``: the workspace's archives of old messages and runs (GET only), and their downloads.

Upstream this one list is not cursor paginated: it falls back to limit/offset pagination (``limit``, default
the page size, 250; ``offset``), with the envelope ``{count, next, previous, results}`` and rows ordered by
``start_date``, newest first. Filters: ``type`` (or the legacy ``archive_type``): ``message`` or ``run``, any
other value lists nothing; ``period``: ``daily`` or ``monthly``, any other value is no filter; ``before`` and
``after``, inclusive on the start date (an unparseable date lists nothing). Daily archives rolled up into a
monthly one are not listed.

``download_url`` is ``/api/v2/archives/<uuid>.jsonl.gz`` on this server (null for an archive without records).
DECISION: instead of a pre-signed storage URL, the download is an API request: it needs the workspace's own
token like any other (none: 403, as this dialect answers anonymous calls; another workspace's archive: 404).

The lines of an archive are rendered by this dialect's ``messages.json`` and ``runs.json`` code
(:data:`RECORDS`), so an archived message reads exactly as the API listed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from sauti.api.rapidpro import messages, params, runs
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, json
from sauti.api.rapidpro.errors import not_found
from sauti.domain.archives import queries
from sauti.domain.archives.service import Render
from sauti.models import Archive

RECORDS: Mapping[str, Render] = {"message": messages.render_many, "run": runs.render_many}


class ArchiveOut(BaseModel):
    type: str = Field(description="what it holds: message or run")
    start_date: str = Field(description="the first day it covers (YYYY-MM-DD, UTC)")
    period: str = Field(description="daily or monthly")
    record_count: int = Field(description="how many records (lines) it holds")
    size: int = Field(description="bytes of the gzipped file")
    hash: str | None = Field(description="MD5 hex digest of the gzipped file, or null when it has no file")
    download_url: str | None = Field(description="where to download it with your token, or null for no file")
    archive_type: str = Field(description="deprecated: the same as type")


class ArchivePage(BaseModel):
    count: int = Field(description="how many archives match, over all pages")
    next: str | None = Field(description="the URL of the next page, or null on the last")
    previous: str | None = Field(description="the URL of the previous page, or null on the first")
    results: list[ArchiveOut]


endpoint = Endpoint(
    name="archives",
    title="List Archives",
    description=(
        "Archives of messages and runs older than the server's archive age (`SAUTI_ARCHIVE_AFTER_DAYS`, 90 by "
        "default), one gzipped JSON Lines file per day, rolled up into one per month once the month is complete. "
        "Each line is one record in the shape `messages.json` or `runs.json` returns. This list is paged by "
        "`limit` and `offset` (not by cursor) and says how many archives match in `count`. Download a file from "
        "its `download_url` with your token."
    ),
    result=ArchiveOut,
    paging="offset",
)

# the file route: an API request of its own (authentication, throttle, errors), not listed in the root
download = Endpoint(name="archives", title="Download an archive", description="", listed=False)


def download_path(archive: Archive) -> str:
    return f"/api/v2/archives/{archive.uuid}.jsonl.gz"


def render(a: Archive, base: str) -> dict[str, Any]:
    return {
        "type": a.archive_type,
        "start_date": a.start_date.isoformat(),
        "period": a.period,
        "record_count": a.record_count,
        "size": a.size,
        "hash": a.hash,
        "download_url": base + download_path(a) if a.path is not None else None,
        "archive_type": a.archive_type,
    }


def _number(request: Request, name: str, default: int) -> int:
    """limit/offset as upstream reads them: a missing, unparseable or negative value is the default."""
    raw = params.value(request, name)
    try:
        number = int(raw) if raw is not None else default
    except ValueError:
        return default
    return number if number >= 0 else default


def _link(request: Request, offset: int, limit: int) -> str:
    url = request.url.include_query_params(limit=limit)
    return str(url.remove_query_params("offset") if offset <= 0 else url.include_query_params(offset=offset))


@endpoint.method(
    "GET",
    Doc(
        summary="List archives, newest start date first",
        params=(
            Param("type", "message or run (legacy name: archive_type)"),
            Param("period", "daily or monthly"),
            Param("before", "only archives starting on or before this date"),
            Param("after", "only archives starting on or after this date"),
            Param("limit", "how many archives per page (default 250)"),
            Param("offset", "how many archives to skip"),
        ),
        example="GET /api/v2/archives.json?type=message&period=monthly",
        ok={200: ArchivePage},
        errors=(403, 429),
    ),
)
async def get(ctx: Ctx) -> Response:
    req = ctx.request
    limit = _number(req, "limit", req.app.state.settings.page_size) or req.app.state.settings.page_size
    offset = _number(req, "offset", 0)
    try:
        wanted = queries.ArchiveFilter(
            archive_type=params.value(req, "type") or params.value(req, "archive_type"),
            period=params.value(req, "period"),
            before=params.date_value(req, "before"),
            after=params.date_value(req, "after"),
        )
    except params.Unsatisfiable:
        return json({"count": 0, "next": None, "previous": None, "results": []})
    stmt = queries.select_archives(ctx.workspace, wanted)
    if stmt is None:
        return json({"count": 0, "next": None, "previous": None, "results": []})
    total = await queries.count(ctx.session, stmt)
    rows = await queries.page(ctx.session, stmt, offset, limit)
    base = str(req.base_url).rstrip("/")
    return json(
        {
            "count": total,
            "next": _link(req, offset + limit, limit) if offset + limit < total else None,
            "previous": _link(req, max(offset - limit, 0), limit) if offset > 0 else None,
            "results": [render(a, base) for a in rows],
        }
    )


@download.method("GET", Doc(summary="Download an archive's gzipped JSON Lines file", ok={200: None}))
async def get_file(ctx: Ctx) -> Response:
    archive = await queries.downloadable(ctx.session, ctx.workspace, ctx.request.path_params["uuid"])
    if archive is None or archive.path is None:
        raise not_found()
    path = Path(ctx.request.app.state.settings.data_dir) / archive.path
    if not path.is_file():
        raise not_found()
    name = f"{archive.archive_type}_{archive.period}_{archive.start_date.isoformat()}.jsonl.gz"
    return FileResponse(
        path,
        media_type="application/gzip",
        filename=name,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
