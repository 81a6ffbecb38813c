"""``/api/message_templates``: saved texts with {{ placeholders }} (``{{contact.first_name}}``...), rendered for
each recipient when a message or broadcast made from one is sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.textus import paging
from sauti.api.textus.errors import TextUsError
from sauti.api.textus.params import Params, path_id
from sauti.api.textus.render import ok, stamp
from sauti.api.textus.resource import LIST, Ctx, Doc, Param, Resource
from sauti.domain.templates import queries, service
from sauti.models import MessageTemplate, Workspace

OWNERS = {"Account": "account", "Organization": "organization"}
OWNER_NAMES = {v: k for k, v in OWNERS.items()}


class TemplateOut(BaseModel):
    content: str
    title: str
    owner_id: int = Field(description="the account or organization it belongs to")
    owner_type: str = Field(description="Account or Organization")
    id: int
    created_at: str | None
    updated_at: str | None
    account_id: int
    is_active: bool = Field(description="Sauti: whether it is offered (set with PUT)")


resource = Resource(
    name="message_templates",
    title="Message Templates",
    description=(
        "Saved texts. Placeholders such as {{contact.first_name}}, {{contact.last_name}}, {{user.first_name}} "
        "and {{account.name}} are rendered for each recipient."
    ),
    result=TemplateOut,
)


def render_one(row: MessageTemplate, ws: Workspace) -> dict[str, Any]:
    return {
        "content": row.content,
        "title": row.title,
        "owner_id": ws.id,
        "owner_type": OWNER_NAMES.get(row.owner_type, "Account"),
        "id": row.id,
        "created_at": stamp(row.created_on),
        "updated_at": stamp(row.modified_on),
        "account_id": ws.id,
        "is_active": row.is_active,
    }


def _owner(params: Params) -> str | None:
    raw = params.string("owner_type")
    if raw is None:
        return None
    for wire, owner in OWNERS.items():
        if raw.strip().lower() == wire.lower():
            return owner
    raise TextUsError(400, "owner_type does not have a valid value")


@resource.route(
    "GET",
    "/api/message_templates",
    Doc(
        summary="List all message templates for the current account",
        returns=LIST,
        params=(*paging.PARAMS, Param("q", "string", "search: part of the title or the content")),
        errors=(400,),
    ),
)
async def list_templates(ctx: Ctx, params: Params) -> Response:
    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return [render_one(r, ctx.workspace) for r in rows]

    stmt = queries.select_templates(ctx.workspace, queries.TemplateFilter(text=params.string("q")))
    return await paging.listing(ctx.request, ctx.session, params, stmt, serialize)


@resource.route(
    "POST",
    "/api/message_templates",
    Doc(
        summary="Create a new message template",
        status=201,
        params=(
            Param("title", "string", "the title", required=True),
            Param("content", "string", "the text", required=True),
            Param("owner_type", "string", "Account (the default) or, for administrators, Organization"),
        ),
        errors=(400, 403, 422),
    ),
)
async def create_template(ctx: Ctx, params: Params) -> Response:
    params.require("title", "content")
    row = await service.create(
        ctx.session,
        ctx.workspace,
        title=params.string("title") or "",
        content=params.string("content") or "",
        owner=_owner(params),
        role=ctx.caller.role,
    )
    return ok(render_one(row, ctx.workspace), 201)


@resource.route("GET", "/api/message_templates/{id}", Doc(summary="Retrieve a single message template", errors=(404,)))
async def get_template(ctx: Ctx, params: Params) -> Response:
    return ok(render_one(await service.get(ctx.session, ctx.workspace, path_id(ctx.request)), ctx.workspace))


UPDATE = Doc(
    summary="Update a single message template",
    params=(
        Param("title", "string", "the title"),
        Param("content", "string", "the text"),
        Param("owner_type", "string", "Account or, for administrators, Organization"),
        Param("is_active", "boolean", "whether it is offered (true or false)"),
    ),
    errors=(400, 403, 404, 422),
)


async def update_template(ctx: Ctx, params: Params) -> Response:
    row = await service.get(ctx.session, ctx.workspace, path_id(ctx.request))
    row = await service.update(
        ctx.session,
        row,
        title=params.string("title"),
        content=params.string("content"),
        owner=_owner(params),
        is_active=params.boolean("is_active"),
        role=ctx.caller.role,
    )
    return ok(render_one(row, ctx.workspace))


resource.route("PUT", "/api/message_templates/{id}", UPDATE)(update_template)
resource.route("PATCH", "/api/message_templates/{id}", UPDATE)(update_template)


@resource.route("DELETE", "/api/message_templates/{id}", Doc(summary="Delete a single message template", errors=(404,)))
async def delete_template(ctx: Ctx, params: Params) -> Response:
    row = await service.get(ctx.session, ctx.workspace, path_id(ctx.request))
    shown = render_one(row, ctx.workspace)
    await service.remove(ctx.session, row)
    return ok(shown)
