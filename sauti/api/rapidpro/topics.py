"""``topics.json``: the topics tickets are filed under, with their kept counts of open and closed tickets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, json, list_page
from sauti.api.rapidpro.pagination import Ordering
from sauti.domain.topics import queries, service
from sauti.kit.timefmt import format_utc
from sauti.models import Topic, Workspace


class TicketCounts(BaseModel):
    open: int = Field(description="open tickets of the topic (integer)")
    closed: int = Field(description="closed tickets of the topic (integer)")


class TopicOut(BaseModel):
    uuid: str = Field(description="the UUID of the topic (string)")
    name: str = Field(description="the name of the topic (string)")
    counts: TicketCounts = Field(description="the topic's tickets by status ({open, closed})")
    system: bool = Field(description="true for the workspace's default topic, General (boolean)")
    created_on: str = Field(description="when the topic was created (datetime)")


endpoint = Endpoint(
    name="topics",
    title="List, Create or Update Ticket Topics",
    description=(
        "Every ticket is filed under a topic; a ticket opened without one is under the system topic `General`, "
        "which every workspace has and which can't be changed. Newest first, with each topic's counts of open and "
        "closed tickets."
    ),
    result=TopicOut,
)


class TopicBody(BaseModel):
    name: Annotated[body.Str, Field(max_length=64)] = Field(description="unique within the workspace, any case")


def render(topic: Topic, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "uuid": topic.uuid,
        "name": topic.name,
        "counts": {"open": counts.get("open", 0), "closed": counts.get("closed", 0)},
        "system": topic.is_system,
        "created_on": format_utc(topic.created_on),
    }


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    counts = await queries.ticket_counts(session, rows)
    return [render(t, counts[t.id]) for t in rows]


@endpoint.method(
    "GET",
    Doc(summary="List topics, newest first", example="GET /api/v2/topics.json"),
)
async def get(ctx: Ctx) -> Response:
    return await list_page(ctx, queries.listing(ctx.workspace), Ordering(Topic.created_on, Topic.id), _serialize)


@endpoint.method(
    "POST",
    Doc(
        errors=(400, 403, 404, 409, 415, 429),
        summary="Create a topic, or rename one with ?uuid=",
        params=(Param("uuid", "the UUID of the topic to rename"),),
        body=TopicBody,
        example='POST /api/v2/topics.json {"name": "Billing"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    lookup = params.lookup(ctx.request, "uuid")
    if lookup is not None:
        await service.get_editable(ctx.session, ctx.workspace, lookup[1])
    values = await body.parse(TopicBody, ctx.request)
    if lookup is None:
        topic = await service.create(ctx.session, ctx.workspace, name=values["name"])
        return json(render(topic, {}), 201)
    topic = await service.rename(ctx.session, ctx.workspace, lookup[1], name=values["name"])
    counts = await queries.ticket_counts(ctx.session, [topic])
    return json(render(topic, counts[topic.id]))
