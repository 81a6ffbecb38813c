"""``/api/broadcasts``: one text to every member of a group (the same broadcasts API v2 lists), expanded into
messages by the worker at its delivery time. Creating one is throttled apart: once a minute."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.textus import paging
from sauti.api.textus.errors import invalid_param, naming
from sauti.api.textus.params import Params, path_id
from sauti.api.textus.render import ok, stamp, words
from sauti.api.textus.resource import LIST, Ctx, Doc, Param, Resource
from sauti.domain.broadcasts import queries, service
from sauti.domain.errors import NotFound
from sauti.kit import clock
from sauti.models import Broadcast, ContactGroup, Workspace


class BroadcastOut(BaseModel):
    user_id: int | None = Field(description="the sending user")
    group_id: int | None = Field(description="the group it goes to")
    message_body: str
    status: str = Field(description="scheduled, sending, sent or failed")
    deliver_at: str | None = Field(description='when it goes, as "2018-05-02 17:27:55 UTC"')
    id: int
    created_at: str | None
    updated_at: str | None
    group_name: str | None
    total_messages: int = Field(description="messages created for it so far")


resource = Resource(
    name="broadcasts",
    title="Broadcasts",
    description=(
        "One text to every textable member of a group, now or at deliver_at. Recorded at once, expanded into "
        "messages by the worker; members who opted out or are blocked are skipped."
    ),
    result=BroadcastOut,
)


def status_of(b: Broadcast) -> str:
    """DECISION (the documentation shows null): scheduled while waiting for a future time, sending while being
    expanded, sent once every message is created, failed otherwise."""
    if b.status == "pending" and b.due_on is not None and b.due_on > clock.now():
        return "scheduled"
    if b.status in ("pending", "queued", "started"):
        return "sending"
    if b.status == "completed":
        return "sent"
    return "failed"


def render_one(b: Broadcast, groups: dict[int, ContactGroup]) -> dict[str, Any]:
    text = ((b.translations or {}).get(b.base_language) or {}).get("text") or ""
    group = groups.get(b.group_id) if b.group_id is not None else None
    return {
        "user_id": b.created_by_id,
        "group_id": b.group_id,
        "message_body": text,
        "status": status_of(b),
        "deliver_at": words(b.due_on or b.created_on),
        "id": b.id,
        "created_at": stamp(b.created_on),
        "updated_at": stamp(b.modified_on),
        "group_name": group.name if group is not None else None,
        "total_messages": max(b.started, 0),
    }


async def render_many(session: AsyncSession, ws: Workspace, rows: Sequence[Broadcast]) -> list[dict[str, Any]]:
    """A page of broadcasts in one query (their groups)."""
    groups = await queries.groups_of(session, rows)
    return [render_one(b, groups) for b in rows]


async def _broadcast(ctx: Ctx) -> Broadcast:
    found = await queries.by_id(ctx.session, ctx.workspace, path_id(ctx.request))
    if found is None:
        raise NotFound("broadcast", str(ctx.request.path_params.get("id")))
    return found


@resource.route(
    "GET",
    "/api/broadcasts",
    Doc(
        summary="List all broadcasts for the current account",
        returns=LIST,
        params=(
            *paging.PARAMS,
            Param("last_broadcast_to_each_group", "boolean", "only the latest broadcast to each group"),
            Param("date", "string", "only broadcasts delivered (or to be) on this ISO 8601 date, e.g. 2018-05-02"),
        ),
        errors=(400,),
    ),
)
async def list_broadcasts(ctx: Ctx, params: Params) -> Response:
    raw_day = params.string("date")
    day = None
    if raw_day:
        try:
            day = date.fromisoformat(raw_day.strip()[:10])
        except ValueError as exc:
            raise invalid_param("date") from exc
    wanted = queries.BroadcastFilter(
        scheduled_too=True,
        due_day=day,
        latest_per_group=bool(params.boolean("last_broadcast_to_each_group")),
        latest_due_first=True,
    )
    stmt = queries.select_broadcasts(ctx.workspace, wanted)

    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return await render_many(session, ctx.workspace, rows)

    return await paging.listing(ctx.request, ctx.session, params, stmt, serialize)


@resource.route(
    "POST",
    "/api/broadcasts",
    Doc(
        summary="Create and send a broadcast",
        status=201,
        params=(
            Param("sender", "integer", "the sending user's id", required=True),
            Param("group", "integer", "the id of the group receiving it", required=True),
            Param("message_body", "string", "the text", required=True),
            Param("deliver_at", "datetime", "when to send it (to schedule it)"),
            Param("from_template", "boolean", "whether the text came from a template"),
        ),
        errors=(400, 422),
        description="Throttled apart from the other requests: one broadcast a minute.",
    ),
    scope="textus.broadcasts",
)
async def create_broadcast(ctx: Ctx, params: Params) -> Response:
    params.require("sender", "group", "message_body")
    sender, group = params.integer("sender"), params.integer("group")
    assert sender is not None and group is not None
    req = service.GroupBroadcast(
        sender=sender,
        group_id=group,
        text=params.string("message_body") or "",
        due_on=params.datetime("deliver_at"),
        from_template=bool(params.boolean("from_template")),
    )
    with naming(text="message_body"):
        broadcast = await service.send_to_group(ctx.session, ctx.workspace, req)
    return ok((await render_many(ctx.session, ctx.workspace, [broadcast]))[0], 201)


@resource.route("GET", "/api/broadcasts/{id}", Doc(summary="Retrieve a single broadcast", errors=(404,)))
async def get_broadcast(ctx: Ctx, params: Params) -> Response:
    return ok((await render_many(ctx.session, ctx.workspace, [await _broadcast(ctx)]))[0])


@resource.route(
    "DELETE",
    "/api/broadcasts/{id}",
    Doc(summary="Delete a scheduled broadcast", errors=(404, 422)),
)
async def delete_broadcast(ctx: Ctx, params: Params) -> Response:
    broadcast = await _broadcast(ctx)
    shown = (await render_many(ctx.session, ctx.workspace, [broadcast]))[0]
    await service.cancel(ctx.session, ctx.workspace, broadcast)
    return ok(shown)
