"""``resthook_subscribers.json``: the URLs subscribed to the workspace's resthooks (list, subscribe, delete ?id=).

Every delivery to a subscriber is signed with the workspace's secret (``X-Sauti-Timestamp``,
``X-Sauti-Signature``), carries an ``Idempotency-Key``, and is retried with backoff when the receiver fails;
a ``410 Gone`` answer unsubscribes the URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, json, list_page, no_content
from sauti.api.rapidpro.errors import bad_request
from sauti.api.rapidpro.pagination import Ordering
from sauti.domain.resthooks import queries, service
from sauti.kit.timefmt import format_utc
from sauti.models import ResthookSubscriber, Workspace


class ResthookSubscriberOut(BaseModel):
    id: int = Field(description="the id of the subscriber (integer)")
    resthook: str = Field(description="the slug of the resthook (string)")
    target_url: str = Field(description="the URL events are POSTed to (string)")
    created_on: str = Field(description="when the URL subscribed (datetime)")


endpoint = Endpoint(
    name="resthook_subscribers",
    title="List, Create or Delete Resthook Subscribers",
    description=(
        "Subscribers are URLs that receive a POST of the event's payload every time a flow fires the resthook. "
        "Each delivery is signed: `X-Sauti-Timestamp` holds the Unix time it was signed at and "
        "`X-Sauti-Signature` `sha256=` the hex HMAC-SHA256 of `<timestamp>.<body>` keyed with the workspace's "
        "secret (`sauti resthook secret`); `Idempotency-Key` is the same on every retry of one delivery. A "
        "receiver that fails (5xx, 429, a timeout, no connection) is tried again with backoff; one that answers "
        "`410 Gone` is unsubscribed. Delete a subscriber with `?id=`."
    ),
    result=ResthookSubscriberOut,
)


class ResthookSubscriberBody(BaseModel):
    resthook: body.Str = Field(description="the slug of one of your resthooks")
    target_url: Annotated[body.Str, Field(max_length=2048)] = Field(description="the http(s) URL to POST events to")


def render(s: ResthookSubscriber, slugs: dict[int, str]) -> dict[str, Any]:
    return {
        "id": s.id,
        "resthook": slugs.get(s.resthook_id, ""),
        "target_url": s.target_url,
        "created_on": format_utc(s.created_on),
    }


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    slugs = await queries.slugs_of(session, {s.resthook_id for s in rows})
    return [render(s, slugs) for s in rows]


@endpoint.method(
    "GET",
    Doc(
        summary="List subscribers, newest first",
        params=(Param("id", "a subscriber id"), Param("resthook", "a resthook slug")),
        example="GET /api/v2/resthook_subscribers.json?resthook=new-registration",
    ),
)
async def get(ctx: Ctx) -> Response:
    wanted = queries.SubscriberFilter(
        id=params.int_value(ctx.request, "id"), resthook=params.value(ctx.request, "resthook")
    )
    stmt = queries.select_subscribers(ctx.workspace, wanted)
    ordering = Ordering(ResthookSubscriber.created_on, ResthookSubscriber.id)
    return await list_page(ctx, stmt, ordering, _serialize)


@endpoint.method(
    "POST",
    Doc(
        summary="Subscribe a URL to a resthook",
        body=ResthookSubscriberBody,
        example='POST /api/v2/resthook_subscribers.json {"resthook": "new-registration", '
        '"target_url": "https://example.com/hooks/registration"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    values = await body.parse(ResthookSubscriberBody, ctx.request)
    row = await service.subscribe(
        ctx.session, ctx.workspace, resthook=values["resthook"], target_url=values["target_url"]
    )
    slugs = await queries.slugs_of(ctx.session, {row.resthook_id})
    return json(render(row, slugs), 201)


@endpoint.method(
    "DELETE",
    Doc(
        summary="Unsubscribe a URL by ?id=",
        params=(Param("id", "the id of the subscriber to delete", required=True),),
        example="DELETE /api/v2/resthook_subscribers.json?id=10404055",
    ),
)
async def delete(ctx: Ctx) -> Response:
    params.lookup(ctx.request, "id", required=True)
    subscriber_id = params.int_value(ctx.request, "id")
    if subscriber_id is None:  # pragma: no cover - lookup() made sure it is there
        raise bad_request("URL must contain one of the following parameters: id")
    await service.unsubscribe(ctx.session, ctx.workspace, subscriber_id)
    return no_content()
