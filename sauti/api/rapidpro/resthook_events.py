"""``resthook_events.json``: the payload of every resthook a flow fired, as it was sent to the subscribers."""

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
from sauti.models import ResthookEvent, Workspace


class ResthookEventOut(BaseModel):
    resthook: str = Field(description="the slug of the resthook (string)")
    data: dict[str, Any] = Field(description="the payload POSTed to the subscribers (JSON object)")
    created_on: str = Field(description="when the flow fired it (datetime)")


endpoint = Endpoint(
    name="resthook_events",
    title="List Resthook Events",
    description=(
        "One event per `call_resthook` a flow ran, whether it had subscribers or not: `data` is the payload as "
        "it was sent (the contact, flow, path, results, run, input and channel). Newest first."
    ),
    result=ResthookEventOut,
)


def render(e: ResthookEvent, slugs: dict[int, str]) -> dict[str, Any]:
    return {"resthook": slugs.get(e.resthook_id, ""), "data": e.data, "created_on": format_utc(e.created_on)}


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    slugs = await queries.slugs_of(session, {e.resthook_id for e in rows})
    return [render(e, slugs) for e in rows]


@endpoint.method(
    "GET",
    Doc(
        summary="List resthook events, newest first",
        params=(Param("resthook", "a resthook slug"),),
        example="GET /api/v2/resthook_events.json?resthook=new-registration",
    ),
)
async def get(ctx: Ctx) -> Response:
    stmt = queries.select_events(ctx.workspace, queries.EventFilter(resthook=params.value(ctx.request, "resthook")))
    return await list_page(ctx, stmt, Ordering(ResthookEvent.created_on, ResthookEvent.id), _serialize)
