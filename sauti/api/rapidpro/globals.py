"""``globals.json``: workspace-wide named values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, guarded_list, json, list_page
from sauti.api.rapidpro.errors import APIError, not_found, refuse
from sauti.api.rapidpro.pagination import Ordering
from sauti.domain.globals import queries, service
from sauti.kit.timefmt import format_utc
from sauti.models import Global, Workspace


class GlobalOut(BaseModel):
    key: str = Field(description="the key of the global (string)")
    name: str = Field(description="the name of the global (string)")
    value: str = Field(description="the value (string)")
    modified_on: str | None = Field(description="when the global was last changed (datetime)")


endpoint = Endpoint(
    name="globals",
    title="List, Create or Update Globals",
    description="Globals are named values shared by every flow of the workspace (`@globals.<key>`).",
    result=GlobalOut,
)


class GlobalBody(BaseModel):
    name: Annotated[body.Str, Field(max_length=36)] | None = None
    value: Annotated[body.Str, Field(max_length=10_000)]


def render(g: Global) -> dict[str, Any]:
    return {"key": g.key, "name": g.name, "value": g.value, "modified_on": format_utc(g.modified_on)}


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [render(g) for g in rows]


@endpoint.method(
    "GET",
    Doc(
        summary="List globals, most recently modified first",
        params=(
            Param("key", "a global key to filter by"),
            Param("before", "only globals modified before this date, inclusive"),
            Param("after", "only globals modified after this date, inclusive"),
            Param("reverse", "true to list oldest modified first"),
        ),
        example="GET /api/v2/globals.json?key=org_name",
    ),
)
async def get(ctx: Ctx) -> Response:
    async def build() -> Any:
        wanted = queries.GlobalFilter(
            key=params.value(ctx.request, "key"),
            modified_before=params.date_value(ctx.request, "before"),
            modified_after=params.date_value(ctx.request, "after"),
        )
        stmt = queries.select_globals(ctx.workspace, wanted)
        ordering = Ordering(Global.modified_on, Global.id, descending=not params.flag(ctx.request, "reverse"))
        return await list_page(ctx, stmt, ordering, _serialize)

    return await guarded_list(build)


@endpoint.method(
    "POST",
    Doc(
        errors=(400, 403, 404, 409, 415, 429),
        summary="Create a global, or change its value with ?key=",
        params=(Param("key", "the key of the global to update"),),
        body=GlobalBody,
        example='POST /api/v2/globals.json {"name": "Org Name", "value": "Acme Ltd"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    lookup = params.lookup(ctx.request, "key")
    if lookup is not None and await queries.by_key(ctx.session, ctx.workspace, lookup[1]) is None:
        raise not_found()
    data = await body.read_object(ctx.request)
    values, shape = body.validate(GlobalBody, data)
    name = values.get("name")
    if lookup is None and name is None and "name" not in shape:
        raise APIError(400, {"non_field_errors": ["Name is required when creating new global."]})
    if shape:
        refuse(shape, service.name_problems(name) if name is not None else [])
    if lookup is None:
        assert name is not None
        created = await service.create(ctx.session, ctx.workspace, name=name, value=values["value"])
        return json(render(created), 201)
    updated = await service.set_value(ctx.session, ctx.workspace, lookup[1], values["value"], name=name)
    return json(render(updated))
