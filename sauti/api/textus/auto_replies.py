"""``/api/auto_replies``: the text sent back to a contact whose message nothing else answered, while active."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.textus import paging
from sauti.api.textus.params import Params, path_id
from sauti.api.textus.render import ok, stamp
from sauti.api.textus.resource import LIST, Ctx, Doc, Param, Resource
from sauti.domain.autoreplies import queries, service
from sauti.models import AutoReply, Workspace


class AutoReplyOut(BaseModel):
    account_id: int
    message: str
    is_active: bool = Field(description="whether it answers (at most one is active)")
    id: int
    created_at: str | None
    updated_at: str | None


resource = Resource(
    name="auto_replies",
    title="Auto Replies",
    description=(
        "The active auto reply answers an incoming message nothing else handled, at most once a day per contact. "
        "Activating one deactivates the others."
    ),
    result=AutoReplyOut,
)


def render_one(row: AutoReply, ws: Workspace) -> dict[str, Any]:
    return {
        "account_id": ws.id,
        "message": row.message,
        "is_active": row.is_active,
        "id": row.id,
        "created_at": stamp(row.created_on),
        "updated_at": stamp(row.modified_on),
    }


@resource.route(
    "GET",
    "/api/auto_replies",
    Doc(summary="List all auto replies for the current account", returns=LIST, params=paging.PARAMS, errors=(400,)),
)
async def list_replies(ctx: Ctx, params: Params) -> Response:
    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return [render_one(r, ctx.workspace) for r in rows]

    stmt = queries.select_auto_replies(ctx.workspace)
    return await paging.listing(ctx.request, ctx.session, params, stmt, serialize)


@resource.route(
    "POST",
    "/api/auto_replies",
    Doc(
        summary="Create a new account auto reply",
        status=201,
        params=(
            Param("message", "string", "the reply", required=True),
            Param("is_active", "boolean", "whether it answers (true or false; false by default)"),
        ),
        errors=(400, 422),
    ),
)
async def create_reply(ctx: Ctx, params: Params) -> Response:
    params.require("message")
    row = await service.create(
        ctx.session,
        ctx.workspace,
        message=params.string("message") or "",
        is_active=bool(params.boolean("is_active")),
    )
    return ok(render_one(row, ctx.workspace), 201)


@resource.route("GET", "/api/auto_replies/{id}", Doc(summary="Retrieve a single auto reply", errors=(404,)))
async def get_reply(ctx: Ctx, params: Params) -> Response:
    return ok(render_one(await service.get(ctx.session, ctx.workspace, path_id(ctx.request)), ctx.workspace))


UPDATE = Doc(
    summary="Update a single auto reply",
    params=(
        Param("message", "string", "the reply"),
        Param("is_active", "boolean", "whether it answers (true or false)"),
    ),
    errors=(400, 404, 422),
)


async def update_reply(ctx: Ctx, params: Params) -> Response:
    row = await service.get(ctx.session, ctx.workspace, path_id(ctx.request))
    row = await service.update(
        ctx.session, ctx.workspace, row, message=params.string("message"), is_active=params.boolean("is_active")
    )
    return ok(render_one(row, ctx.workspace))


resource.route("PUT", "/api/auto_replies/{id}", UPDATE)(update_reply)
resource.route("PATCH", "/api/auto_replies/{id}", UPDATE)(update_reply)


@resource.route("DELETE", "/api/auto_replies/{id}", Doc(summary="Delete a single auto reply", errors=(404,)))
async def delete_reply(ctx: Ctx, params: Params) -> Response:
    row = await service.get(ctx.session, ctx.workspace, path_id(ctx.request))
    shown = render_one(row, ctx.workspace)
    await service.remove(ctx.session, row)
    return ok(shown)
