"""``runs.json``: list flow runs with their paths and results (read only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import params
from sauti.api.rapidpro.contacts import anon_ref
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, empty_page, guarded_list, list_page
from sauti.api.rapidpro.pagination import Ordering
from sauti.api.rapidpro.shapes import ObjectRef
from sauti.domain.flows import queries
from sauti.kit import urns
from sauti.kit.timefmt import format_utc, parse_iso
from sauti.models import FlowRun, Workspace

EXIT_TYPES = frozenset({"completed", "interrupted", "expired", "failed"})


class RunContact(BaseModel):
    uuid: str
    name: str | None
    urn: str | None = Field(description="the contact's preferred URN, scheme:path")
    urn_display: str | None = Field(description="the preferred URN formatted for display")


class StartRef(BaseModel):
    uuid: str


class Step(BaseModel):
    node: str
    time: str | None


class RunValue(BaseModel):
    name: str
    value: str | None
    category: str | None
    node: str | None
    time: str | None


class RunOut(BaseModel):
    id: int = Field(description="deprecated integer id")
    uuid: str = Field(description="the UUID of the run")
    flow: ObjectRef = Field(description="the flow ({uuid, name})")
    contact: RunContact = Field(description="the contact ({uuid, name, urn, urn_display})")
    start: StartRef | None = Field(description="the flow start ({uuid}) that made the run, or null")
    responded: bool = Field(description="whether the contact answered during the run")
    path: list[Step] | None = Field(description="the nodes visited ({node, time}); null with paths=false")
    values: dict[str, RunValue] = Field(description="results by key: {name, value, category, node, time}")
    created_on: str | None = Field(description="when the run started (datetime)")
    modified_on: str | None = Field(description="when the run last changed (datetime)")
    exited_on: str | None = Field(description="when the run ended (datetime), null while it goes on")
    exit_type: str | None = Field(description="completed, interrupted, expired or failed; null while it goes on")


endpoint = Endpoint(
    name="runs",
    title="List Flow Runs",
    scope="v2.runs",
    description=(
        "A run is one contact's way through one flow: the nodes it visited (`path`) and the results it saved "
        "(`values`). Most recently modified first; `reverse=true` lists the oldest first. Filter by `flow` or "
        "by `contact`, not both."
    ),
    result=RunOut,
)


def _time(raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    parsed = parse_iso(raw)
    return format_utc(parsed) if parsed is not None else raw


def _contact(run: Any, page: queries.RunPage, ws: Workspace) -> dict[str, Any]:
    c = page.contacts.get(run.contact_id)
    urn = page.urns.get(run.contact_id)
    out: dict[str, Any] = {"uuid": c.uuid if c else "", "name": c.name if c else None}
    if ws.anon:
        out["urn"] = f"{urn.scheme}:********" if urn else None
        out["urn_display"] = None
        out["ref"] = anon_ref(run.contact_id)
        out["anon_display"] = out["ref"]
    else:
        out["urn"] = f"{urn.scheme}:{urn.path}" if urn else None
        out["urn_display"] = (
            urns.display(urns.URN(scheme=urn.scheme, path=urn.path, display=urn.display)) if urn else None
        )
    return out


def render(run: Any, page: queries.RunPage, ws: Workspace, paths: bool) -> dict[str, Any]:
    flow = page.flows.get(run.flow_id)
    start = page.starts.get(run.start_id) if run.start_id is not None else None
    return {
        "id": run.id,
        "uuid": run.uuid,
        "flow": {"uuid": flow.uuid, "name": flow.name} if flow else None,
        "contact": _contact(run, page, ws),
        "start": {"uuid": start} if start else None,
        "responded": bool(run.responded),
        "path": [{"node": step.get("node_uuid"), "time": _time(step.get("arrived_on"))} for step in run.path or []]
        if paths
        else None,
        "values": {
            key: {
                "name": result.get("name"),
                "value": result.get("value"),
                "category": result.get("category") or None,
                "node": result.get("node_uuid"),
                "time": _time(result.get("created_on")),
            }
            for key, result in (run.results or {}).items()
        },
        "created_on": format_utc(run.created_on),
        "modified_on": format_utc(run.modified_on),
        "exited_on": format_utc(run.exited_on),
        "exit_type": run.status if run.status in EXIT_TYPES else None,
    }


async def render_page(session: AsyncSession, ws: Workspace, rows: Sequence[Any], paths: bool) -> list[dict[str, Any]]:
    """A page of runs as the endpoint renders them, in at most four queries (``load_run_page``)."""
    page = await queries.load_run_page(session, rows)
    return [render(r, page, ws, paths) for r in rows]


async def render_many(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Runs with their paths, as ``runs.json`` lists them by default (archives write these)."""
    return await render_page(session, ws, rows, True)


@endpoint.method(
    "GET",
    Doc(
        summary="List runs, most recently modified first",
        params=(
            Param("uuid", "a run UUID"),
            Param("id", "a run id (deprecated)"),
            Param("flow", "a flow UUID"),
            Param("contact", "a contact UUID (deprecated)"),
            Param("responded", "true for runs where the contact answered only"),
            Param("before", "only runs modified before this date, inclusive"),
            Param("after", "only runs modified after this date, inclusive"),
            Param("paths", "false to leave out each run's path"),
            Param("reverse", "true to list the oldest modified first"),
        ),
        example="GET /api/v2/runs.json?flow=f5901b62-ba76-4003-9c62-72fdacc1b7b7&responded=true",
    ),
)
async def get(ctx: Ctx) -> Response:
    req = ctx.request
    params.exclusive(req, "contact", "flow")
    run_id = params.int_value(req, "id")
    paths = (params.value(req, "paths") or "true").strip().lower() not in ("false", "0", "no", "n")

    async def serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
        return await render_page(session, ws, rows, paths)

    async def build() -> Any:
        wanted = queries.RunFilter(
            uuid=params.uuid_value(req, "uuid"),
            id=run_id,
            flow=params.uuid_value(req, "flow"),
            contact=params.value(req, "contact"),
            responded=params.flag(req, "responded"),
            modified_before=params.date_value(req, "before"),
            modified_after=params.date_value(req, "after"),
        )
        stmt = await queries.select_runs(ctx.session, ctx.workspace, wanted)
        if stmt is None:
            return empty_page()
        ordering = Ordering(FlowRun.modified_on, FlowRun.id, descending=not params.flag(req, "reverse"))
        return await list_page(ctx, stmt, ordering, serialize)

    return await guarded_list(build)
