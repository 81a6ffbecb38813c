"""``/api/web_hooks``: subscriptions to every message sent or received in the account. Each message is POSTed to
each hook's URL by the worker (V2 payloads signed with ``X-TextUs-Signature``, the hex HMAC-SHA256 of the body
keyed with the hook's secret), retried with backoff when the receiver fails."""

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
from sauti.domain.webhooks import queries, service
from sauti.models import WebHook, Workspace
from sauti.payloads.textus import SCOPE_TYPES

SCOPES = {v.lower(): k for k, v in SCOPE_TYPES.items()}


class WebHookOut(BaseModel):
    url: str
    web_hookable_type: str = Field(description="Account or Organization")
    web_hookable_id: int
    version: str = Field(description="payload version, 1 (deprecated) or 2")
    secret: str = Field(description="the key of the V2 payloads' signature")
    id: int
    created_at: str | None
    updated_at: str | None


resource = Resource(
    name="web_hooks",
    title="Web Hooks",
    description=(
        "Every message sent or received is POSTed to each hook. V2 payloads carry the hook and the message, "
        "and an X-TextUs-Signature header: the hex HMAC-SHA256 of the body, keyed with the hook's secret."
    ),
    result=WebHookOut,
)


def render_one(row: WebHook, ws: Workspace) -> dict[str, Any]:
    return {
        "url": row.url,
        "web_hookable_type": SCOPE_TYPES.get(row.scope, "Account"),
        "web_hookable_id": ws.id,
        "version": row.version,
        "secret": row.secret,
        "id": row.id,
        "created_at": stamp(row.created_on),
        "updated_at": stamp(row.modified_on),
    }


def _scope(params: Params) -> str | None:
    raw = params.string("web_hookable_type")
    if raw is None:
        return None
    scope = SCOPES.get(raw.strip().lower())
    if scope is None:  # LinkedAccount among them: Sauti has no linked accounts
        raise TextUsError(422, "Validation failed: Web hookable type is not included in the list")
    return scope


@resource.route(
    "GET",
    "/api/web_hooks",
    Doc(summary="List all web hooks accessible by the current user", returns=LIST, params=paging.PARAMS, errors=(400,)),
)
async def list_hooks(ctx: Ctx, params: Params) -> Response:
    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return [render_one(r, ctx.workspace) for r in rows]

    return await paging.listing(ctx.request, ctx.session, params, queries.select_hooks(ctx.workspace), serialize)


@resource.route(
    "POST",
    "/api/web_hooks",
    Doc(
        summary="Create a new web hook",
        status=201,
        params=(
            Param("url", "string", "where payloads are POSTed (absolute http or https URL)", required=True),
            Param("version", "string", "payload version: 2 (the default) or 1 (deprecated)"),
            Param("account_id", "integer", "the account it is for (yours)"),
            Param("web_hookable_type", "string", "Sauti: Account (the default) or, for administrators, Organization"),
        ),
        errors=(400, 403, 422),
    ),
)
async def create_hook(ctx: Ctx, params: Params) -> Response:
    params.require("url")
    row = await service.create(
        ctx.session,
        ctx.workspace,
        url=params.string("url") or "",
        version=params.string("version"),
        scope=_scope(params),
        workspace_id=params.integer("account_id"),
        role=ctx.caller.role,
    )
    return ok(render_one(row, ctx.workspace), 201)


@resource.route("GET", "/api/web_hooks/{id}", Doc(summary="Retrieve a single web hook", errors=(404,)))
async def get_hook(ctx: Ctx, params: Params) -> Response:
    return ok(render_one(await service.get(ctx.session, ctx.workspace, path_id(ctx.request)), ctx.workspace))


UPDATE = Doc(
    summary="Update a single web hook",
    params=(
        Param("url", "string", "where payloads are POSTed (must be a valid URL)"),
        Param("version", "string", "Sauti: the payload version, 1 or 2"),
    ),
    errors=(400, 404, 422),
)


async def update_hook(ctx: Ctx, params: Params) -> Response:
    row = await service.get(ctx.session, ctx.workspace, path_id(ctx.request))
    row = await service.update(ctx.session, row, url=params.string("url"), version=params.string("version"))
    return ok(render_one(row, ctx.workspace))


resource.route("PUT", "/api/web_hooks/{id}", UPDATE)(update_hook)
resource.route("PATCH", "/api/web_hooks/{id}", UPDATE)(update_hook)


@resource.route("DELETE", "/api/web_hooks/{id}", Doc(summary="Delete a single web hook", errors=(404,)))
async def delete_hook(ctx: Ctx, params: Params) -> Response:
    row = await service.get(ctx.session, ctx.workspace, path_id(ctx.request))
    shown = render_one(row, ctx.workspace)
    await service.remove(ctx.session, row)
    return ok(shown)
