"""``flows.json``: list the workspace's flows with their results and run counts (read only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, guarded_list, list_page
from sauti.api.rapidpro.pagination import Ordering
from sauti.api.rapidpro.shapes import ObjectRef
from sauti.domain.flows import queries
from sauti.kit.timefmt import format_utc
from sauti.models import Flow, Workspace

RUN_KEYS = ("active", "waiting", "completed", "interrupted", "expired", "failed")


class RunCounts(BaseModel):
    active: int
    waiting: int
    completed: int
    interrupted: int
    expired: int
    failed: int


class FlowResult(BaseModel):
    key: str
    name: str
    categories: list[str]
    node_uuids: list[str]


class FlowOut(BaseModel):
    uuid: str = Field(description="the UUID of the flow")
    name: str = Field(description="the name of the flow")
    type: str | None = Field(description="message, voice, background or survey")
    archived: bool = Field(description="whether the flow is archived")
    labels: list[ObjectRef] = Field(description="the flow's labels ({uuid, name})")
    expires: int = Field(description="minutes of inactivity before a waiting run expires")
    runs: RunCounts = Field(description="the number of runs in each status")
    results: list[FlowResult] = Field(description="the results the flow saves ({key, name, categories, node_uuids})")
    parent_refs: list[str] = Field(description="the result keys of a parent flow this flow reads")
    created_on: str | None = Field(description="when it was created (datetime)")
    modified_on: str | None = Field(description="when it last changed (datetime)")


endpoint = Endpoint(
    name="flows",
    title="List Flows",
    description=(
        "The flows of your workspace, newest created first. Deleted flows are never listed; archived flows are, "
        "unless you filter with `archived`. `runs` counts the runs of each status, kept up to date as runs move."
    ),
    result=FlowOut,
)


def render(f: Any) -> dict[str, Any]:
    return {
        "uuid": f.uuid,
        "name": f.name,
        "type": f.type,
        "archived": f.is_archived,
        "labels": [{"uuid": lb["uuid"], "name": lb["name"]} for lb in f.labels or []],
        "expires": f.expires,
        "runs": {key: getattr(f, f"runs_{key}") or 0 for key in RUN_KEYS},
        "results": [
            {
                "key": r["key"],
                "name": r["name"],
                "categories": list(r.get("categories") or []),
                "node_uuids": list(r.get("node_uuids") or []),
            }
            for r in f.results or []
        ],
        "parent_refs": list(f.parent_refs or []),
        "created_on": format_utc(f.created_on),
        "modified_on": format_utc(f.modified_on),
    }


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [render(f) for f in rows]


def _archived(ctx: Ctx) -> bool | None:
    raw = params.value(ctx.request, "archived")
    return None if raw is None else params.flag(ctx.request, "archived")


@endpoint.method(
    "GET",
    Doc(
        summary="List flows, newest created first",
        params=(
            Param("uuid", "a flow UUID"),
            Param("type", "message, voice, background or survey"),
            Param("archived", "true for archived flows only, false for the others"),
            Param("before", "only flows modified before this date, inclusive"),
            Param("after", "only flows modified after this date, inclusive"),
        ),
        example="GET /api/v2/flows.json?archived=false",
    ),
)
async def get(ctx: Ctx) -> Response:
    req = ctx.request

    async def build() -> Any:
        wanted = queries.FlowFilter(
            uuid=params.uuid_value(req, "uuid"),
            type=params.value(req, "type"),
            archived=_archived(ctx),
            modified_before=params.date_value(req, "before"),
            modified_after=params.date_value(req, "after"),
        )
        stmt = queries.select_flows(ctx.workspace, wanted)
        return await list_page(ctx, stmt, Ordering(Flow.created_on, Flow.id), _serialize)

    return await guarded_list(build)
