"""``groups.json``: manual and smart contact groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, json, list_page, no_content
from sauti.api.rapidpro.pagination import Ordering
from sauti.domain.groups import queries, service
from sauti.models import ContactGroup, Workspace


class GroupOut(BaseModel):
    uuid: str = Field(description="the UUID of the group (string)")
    name: str = Field(description="the name of the group (string)")
    query: str | None = Field(description="the query of a smart group, or null for a manual group")
    status: str = Field(description="initializing, evaluating, ready or invalid")
    system: bool = Field(description="whether this is a system group (boolean)")
    count: int = Field(description="the number of contacts in the group (integer)")


endpoint = Endpoint(
    name="groups",
    title="List, Create, Update or Delete Contact Groups",
    description=(
        "Groups are manual (contacts are added and removed explicitly) or smart (their members are the "
        "active contacts matching a query, kept up to date as contacts change). Creating a group with a "
        "`query` makes a smart group."
    ),
    result=GroupOut,
)


class GroupBody(BaseModel):
    name: Annotated[body.Str, Field(max_length=64)]
    query: Annotated[body.Str, Field(max_length=10_000)] | None = Field(
        default=None, description="a contact query: makes (or changes) a smart group"
    )


def render(g: ContactGroup) -> dict[str, Any]:
    return {
        "uuid": g.uuid,
        "name": g.name,
        "query": g.query,
        "status": g.status,
        "system": g.is_system,
        "count": g.member_count,
    }


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [render(g) for g in rows]


@endpoint.method(
    "GET",
    Doc(
        summary="List groups, newest first",
        params=(
            Param("uuid", "a group UUID to filter by"),
            Param("name", "a group name to filter by (case-insensitive)"),
            Param("manual_only", "true to list only manual groups"),
        ),
        example="GET /api/v2/groups.json?name=Reporters",
    ),
)
async def get(ctx: Ctx) -> Response:
    params.exclusive(ctx.request, "uuid", "name")
    wanted = queries.GroupFilter(
        uuid=params.uuid_value(ctx.request, "uuid"),
        name=params.value(ctx.request, "name"),
        manual_only=params.flag(ctx.request, "manual_only"),
    )
    stmt, values = queries.listed_groups(ctx.workspace, wanted)
    return await list_page(ctx, stmt, Ordering(ContactGroup.created_on, ContactGroup.id), _serialize, values)


@endpoint.method(
    "POST",
    Doc(
        errors=(400, 403, 404, 409, 415, 429),
        summary="Create a group, or rename one (and change a smart group's query) with ?uuid=",
        params=(Param("uuid", "the UUID of the group to update"),),
        body=GroupBody,
        example='POST /api/v2/groups.json {"name": "Adults", "query": "age >= 18"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    lookup = params.lookup(ctx.request, "uuid")
    if lookup is not None:
        await service.get(ctx.session, ctx.workspace, lookup[1])
    values = await body.parse(GroupBody, ctx.request)
    if lookup is None:
        group = await service.create(ctx.session, ctx.workspace, name=values["name"], query=values.get("query"))
        return json(render(group), 201)
    group = await service.edit(ctx.session, ctx.workspace, lookup[1], name=values["name"], query=values.get("query"))
    return json(render(group))


@endpoint.method(
    "DELETE",
    Doc(
        summary="Delete a group by ?uuid=",
        params=(Param("uuid", "the UUID of the group to delete", required=True),),
        example="DELETE /api/v2/groups.json?uuid=5f05311e-8f81-4a67-a5b5-1501b6d6496a",
    ),
)
async def delete(ctx: Ctx) -> Response:
    lookup = params.lookup(ctx.request, "uuid", required=True)
    assert lookup is not None
    await service.delete_group(ctx.session, ctx.workspace, lookup[1])
    return no_content()
