"""``resthooks.json``: the workspace's resthooks (slugs flows fire; created by flows and the CLI, not the API)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, list_page
from sauti.api.rapidpro.pagination import Ordering
from sauti.domain.resthooks import queries
from sauti.kit.timefmt import format_utc
from sauti.models import Resthook, Workspace


class ResthookOut(BaseModel):
    resthook: str = Field(description="the slug of the resthook (string)")
    modified_on: str = Field(description="when a subscriber last came or went (datetime)")
    created_on: str = Field(description="when the resthook was created (datetime)")


endpoint = Endpoint(
    name="resthooks",
    title="List Resthooks",
    description=(
        "A resthook is a named event of your workspace that flows fire with a `call_resthook` action; services "
        "subscribe URLs to it (see `resthook_subscribers`). Resthooks are created when a flow that calls one is "
        "saved or imported (or with `sauti resthook add`), not through the API. Most recently modified first: "
        "subscribing or unsubscribing bumps `modified_on`."
    ),
    result=ResthookOut,
)


def render(r: Resthook) -> dict[str, Any]:
    return {"resthook": r.slug, "modified_on": format_utc(r.modified_on), "created_on": format_utc(r.created_on)}


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [render(r) for r in rows]


@endpoint.method(
    "GET",
    Doc(
        summary="List resthooks, most recently modified first",
        params=(Param("reverse", "true to list the oldest modified first"),),
        example="GET /api/v2/resthooks.json",
    ),
)
async def get(ctx: Ctx) -> Response:
    ordering = Ordering(Resthook.modified_on, Resthook.id, descending=not params.flag(ctx.request, "reverse"))
    return await list_page(ctx, queries.listing(ctx.workspace), ordering, _serialize)
