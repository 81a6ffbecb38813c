"""``/api/opt_outs``: phone numbers that asked not to be texted. An opt out is what API v2 calls a stopped
contact: creating one stops the contact holding the number, deleting one (or ``opt_in: true``) makes it active
again, and a contact stopped in API v2 (or who texted STOP) has an opt out here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.textus import paging
from sauti.api.textus.params import Params, path_id
from sauti.api.textus.render import digits, ok, stamp
from sauti.api.textus.resource import LIST, Ctx, Doc, Param, Resource
from sauti.domain.optouts import queries, service
from sauti.models import OptOut, Workspace


class OptOutOut(BaseModel):
    organization_id: int
    opt_in: bool = Field(description="true once the number opted back in (the row is kept as history)")
    id: int
    created_at: str | None
    updated_at: str | None
    phone: str = Field(description="E.164 digits without +")


resource = Resource(
    name="opt_outs",
    title="Opt Outs",
    description=(
        "Numbers that asked not to be texted (a contact texting STOP lands here too). A number with an active "
        "opt out cannot be sent a message."
    ),
    result=OptOutOut,
)


def render_one(row: OptOut, ws: Workspace) -> dict[str, Any]:
    return {
        "organization_id": ws.id,
        "opt_in": row.opt_in,
        "id": row.id,
        "created_at": stamp(row.created_on),
        "updated_at": stamp(row.modified_on),
        "phone": digits(row.phone),
    }


@resource.route(
    "GET",
    "/api/opt_outs",
    Doc(
        summary="List all opt outs for the current organization",
        returns=LIST,
        params=(*paging.PARAMS, Param("q", "string", "search: part of the phone number")),
        errors=(400,),
    ),
)
async def list_opt_outs(ctx: Ctx, params: Params) -> Response:
    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return [render_one(r, ctx.workspace) for r in rows]

    stmt = queries.select_opt_outs(ctx.workspace, queries.OptOutFilter(digits=params.string("q")))
    return await paging.listing(ctx.request, ctx.session, params, stmt, serialize)


@resource.route(
    "POST",
    "/api/opt_outs",
    Doc(
        summary="Create a new opt out",
        status=201,
        params=(
            Param("phone", "string", "the phone number", required=True),
            Param("country", "string", "two-letter country of the number (default: the account's)"),
        ),
        errors=(400, 422),
    ),
)
async def create_opt_out(ctx: Ctx, params: Params) -> Response:
    params.require("phone")
    row = await service.create(
        ctx.session, ctx.workspace, phone=params.string("phone") or "", country=params.string("country")
    )
    return ok(render_one(row, ctx.workspace), 201)


@resource.route("GET", "/api/opt_outs/{id}", Doc(summary="Retrieve a single opt out", errors=(404,)))
async def get_opt_out(ctx: Ctx, params: Params) -> Response:
    return ok(render_one(await service.get(ctx.session, ctx.workspace, path_id(ctx.request)), ctx.workspace))


@resource.route("DELETE", "/api/opt_outs/{id}", Doc(summary="Delete a single opt out", errors=(404,)))
async def delete_opt_out(ctx: Ctx, params: Params) -> Response:
    row = await service.get(ctx.session, ctx.workspace, path_id(ctx.request))
    shown = render_one(row, ctx.workspace)
    await service.remove(ctx.session, ctx.workspace, row)
    return ok(shown)


UPDATE = Doc(
    summary="Update a single opt out",
    description="DECISION (the documentation lists no parameters): opt_in true lifts the opt out, false restores it.",
    params=(Param("opt_in", "boolean", "true: the number opted back in; false: it is opted out again"),),
    errors=(400, 404),
)


async def update_opt_out(ctx: Ctx, params: Params) -> Response:
    row = await service.get(ctx.session, ctx.workspace, path_id(ctx.request))
    row = await service.set_opt_in(ctx.session, ctx.workspace, row, params.boolean("opt_in"))
    return ok(render_one(row, ctx.workspace))


resource.route("PUT", "/api/opt_outs/{id}", UPDATE)(update_opt_out)
resource.route("PATCH", "/api/opt_outs/{id}", UPDATE)(update_opt_out)
