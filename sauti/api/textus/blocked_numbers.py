"""``/api/blocked_numbers``: numbers whose messages are kept but not handled, and that are never texted. A
blocked number is what API v2 calls a blocked contact: blocking one here blocks the contact holding it, and an
unblock in API v2 removes it."""

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
from sauti.domain.blocked_numbers import queries, service
from sauti.models import BlockedNumber, Workspace


class BlockedOut(BaseModel):
    organization_id: int
    id: int
    created_at: str | None
    updated_at: str | None
    phone: str = Field(description="E.164 digits without +")


resource = Resource(
    name="blocked_numbers",
    title="Blocked Numbers",
    description=(
        "Numbers you do not want to hear from: their messages are kept but get no auto reply, web hook or flow, "
        "and they cannot be sent a message."
    ),
    result=BlockedOut,
)


def render_one(row: BlockedNumber, ws: Workspace) -> dict[str, Any]:
    return {
        "organization_id": ws.id,
        "id": row.id,
        "created_at": stamp(row.created_on),
        "updated_at": stamp(row.modified_on),
        "phone": digits(row.phone),
    }


@resource.route(
    "GET",
    "/api/blocked_numbers",
    Doc(
        summary="List all blocked numbers for the current organization",
        returns=LIST,
        params=(*paging.PARAMS, Param("q", "string", "search: part of the phone number")),
        errors=(400,),
    ),
)
async def list_blocked(ctx: Ctx, params: Params) -> Response:
    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return [render_one(r, ctx.workspace) for r in rows]

    stmt = queries.select_blocked(ctx.workspace, queries.BlockedFilter(digits=params.string("q")))
    return await paging.listing(ctx.request, ctx.session, params, stmt, serialize)


@resource.route(
    "POST",
    "/api/blocked_numbers",
    Doc(
        summary="Create a new blocked number",
        status=201,
        params=(
            Param("phone", "string", "the phone number", required=True),
            Param("country", "string", "two-letter country of the number (default: the account's)"),
        ),
        errors=(400, 422),
    ),
)
async def create_blocked(ctx: Ctx, params: Params) -> Response:
    params.require("phone")
    row = await service.create(
        ctx.session, ctx.workspace, phone=params.string("phone") or "", country=params.string("country")
    )
    return ok(render_one(row, ctx.workspace), 201)


@resource.route(
    "GET",
    "/api/blocked_numbers/{id}",
    Doc(summary="Retrieve a single blocked number", description="Sauti: not in the documentation.", errors=(404,)),
)
async def get_blocked(ctx: Ctx, params: Params) -> Response:
    return ok(render_one(await service.get(ctx.session, ctx.workspace, path_id(ctx.request)), ctx.workspace))


@resource.route("DELETE", "/api/blocked_numbers/{id}", Doc(summary="Delete a single blocked number", errors=(404,)))
async def delete_blocked(ctx: Ctx, params: Params) -> Response:
    row = await service.get(ctx.session, ctx.workspace, path_id(ctx.request))
    shown = render_one(row, ctx.workspace)
    await service.remove(ctx.session, ctx.workspace, row)
    return ok(shown)
