"""``labels.json``: the labels users put on incoming messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, json, list_page, no_content
from sauti.api.rapidpro.pagination import Ordering
from sauti.domain.labels import queries, service
from sauti.models import Label, Workspace


class LabelOut(BaseModel):
    uuid: str = Field(description="the UUID of the label (string)")
    name: str = Field(description="the name of the label (string)")
    count: int = Field(description="the number of visible messages with the label (integer)")


endpoint = Endpoint(
    name="labels",
    title="List, Create, Update or Delete Message Labels",
    description=(
        "Labels tag incoming messages (see `message_actions` to apply them). A label's `count` is the number of "
        "visible messages carrying it. Deleting a label takes it off every message; the messages stay."
    ),
    result=LabelOut,
)


class LabelBody(BaseModel):
    name: Annotated[body.Str, Field(max_length=64)] = Field(description="unique within the workspace, any case")


def render(label: Label, count: int) -> dict[str, Any]:
    return {"uuid": label.uuid, "name": label.name, "count": count}


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    counts = await queries.visible_counts(session, rows)
    return [render(label, counts[label.id]) for label in rows]


@endpoint.method(
    "GET",
    Doc(
        summary="List labels, newest first",
        params=(
            Param("uuid", "a label UUID to filter by"),
            Param("name", "a label name to filter by (case-insensitive)"),
        ),
        example="GET /api/v2/labels.json?name=Spam",
    ),
)
async def get(ctx: Ctx) -> Response:
    params.exclusive(ctx.request, "uuid", "name")
    wanted = queries.LabelFilter(uuid=params.uuid_value(ctx.request, "uuid"), name=params.value(ctx.request, "name"))
    stmt = queries.select_labels(ctx.workspace, wanted)
    return await list_page(ctx, stmt, Ordering(Label.created_on, Label.id), _serialize)


@endpoint.method(
    "POST",
    Doc(
        errors=(400, 403, 404, 409, 415, 429),
        summary="Create a label, or rename one with ?uuid=",
        params=(Param("uuid", "the UUID of the label to rename"),),
        body=LabelBody,
        example='POST /api/v2/labels.json {"name": "Important"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    lookup = params.lookup(ctx.request, "uuid")
    if lookup is not None:
        await service.get(ctx.session, ctx.workspace, lookup[1])
    values = await body.parse(LabelBody, ctx.request)
    if lookup is None:
        label = await service.create(ctx.session, ctx.workspace, name=values["name"])
        return json(render(label, 0), 201)
    label = await service.rename(ctx.session, ctx.workspace, lookup[1], name=values["name"])
    counts = await queries.visible_counts(ctx.session, [label])
    return json(render(label, counts[label.id]))


@endpoint.method(
    "DELETE",
    Doc(
        summary="Delete a label by ?uuid=",
        params=(Param("uuid", "the UUID of the label to delete", required=True),),
        example="DELETE /api/v2/labels.json?uuid=5f05311e-8f81-4a67-a5b5-1501b6d6496a",
    ),
)
async def delete(ctx: Ctx) -> Response:
    lookup = params.lookup(ctx.request, "uuid", required=True)
    assert lookup is not None
    await service.delete_label(ctx.session, ctx.workspace, lookup[1])
    return no_content()
