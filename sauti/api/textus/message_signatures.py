"""``/api/message_signatures``: a line appended to what users send, while active."""

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
from sauti.domain.signatures import queries, service
from sauti.models import MessageSignature, Workspace


class SignatureOut(BaseModel):
    content: str
    is_active: bool = Field(description="whether it is appended (at most one is active)")
    account_id: int
    id: int
    created_at: str | None
    updated_at: str | None


resource = Resource(
    name="message_signatures",
    title="Message Signatures",
    description=(
        "The active signature is appended, on a line of its own, to the messages and broadcasts users send. "
        "Activating one deactivates the others."
    ),
    result=SignatureOut,
)


def render_one(row: MessageSignature, ws: Workspace) -> dict[str, Any]:
    return {
        "content": row.content,
        "is_active": row.is_active,
        "account_id": ws.id,
        "id": row.id,
        "created_at": stamp(row.created_on),
        "updated_at": stamp(row.modified_on),
    }


@resource.route(
    "GET",
    "/api/message_signatures",
    Doc(
        summary="List all message signatures for the current account",
        returns=LIST,
        params=paging.PARAMS,
        errors=(400,),
    ),
)
async def list_signatures(ctx: Ctx, params: Params) -> Response:
    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return [render_one(r, ctx.workspace) for r in rows]

    stmt = queries.select_signatures(ctx.workspace)
    return await paging.listing(ctx.request, ctx.session, params, stmt, serialize)


@resource.route(
    "POST",
    "/api/message_signatures",
    Doc(
        summary="Create a new message signature",
        status=201,
        params=(
            Param("content", "string", "the signature", required=True),
            Param("is_active", "boolean", "whether it is appended (true or false; false by default)"),
        ),
        errors=(400, 422),
    ),
)
async def create_signature(ctx: Ctx, params: Params) -> Response:
    params.require("content")
    row = await service.create(
        ctx.session,
        ctx.workspace,
        content=params.string("content") or "",
        is_active=bool(params.boolean("is_active")),
    )
    return ok(render_one(row, ctx.workspace), 201)


@resource.route(
    "GET", "/api/message_signatures/{id}", Doc(summary="Retrieve a single message signature", errors=(404,))
)
async def get_signature(ctx: Ctx, params: Params) -> Response:
    return ok(render_one(await service.get(ctx.session, ctx.workspace, path_id(ctx.request)), ctx.workspace))


UPDATE = Doc(
    summary="Update a single message signature",
    params=(
        Param("content", "string", "the signature"),
        Param("is_active", "boolean", "whether it is appended (true or false)"),
    ),
    errors=(400, 404, 422),
)


async def update_signature(ctx: Ctx, params: Params) -> Response:
    row = await service.get(ctx.session, ctx.workspace, path_id(ctx.request))
    row = await service.update(
        ctx.session, ctx.workspace, row, content=params.string("content"), is_active=params.boolean("is_active")
    )
    return ok(render_one(row, ctx.workspace))


resource.route("PUT", "/api/message_signatures/{id}", UPDATE)(update_signature)
resource.route("PATCH", "/api/message_signatures/{id}", UPDATE)(update_signature)


@resource.route(
    "DELETE", "/api/message_signatures/{id}", Doc(summary="Delete a single message signature", errors=(404,))
)
async def delete_signature(ctx: Ctx, params: Params) -> Response:
    row = await service.get(ctx.session, ctx.workspace, path_id(ctx.request))
    shown = render_one(row, ctx.workspace)
    await service.remove(ctx.session, row)
    return ok(shown)
