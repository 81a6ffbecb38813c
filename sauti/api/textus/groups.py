"""``/api/groups``: contact groups (the same groups API v2 shows). Smart and system groups are ``locked``: their
members come from a query, so they are neither renamed, deleted nor edited by hand here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.textus import broadcasts, contacts, paging
from sauti.api.textus.params import Params, path_id
from sauti.api.textus.render import ok, stamp
from sauti.api.textus.resource import LIST, Ctx, Doc, Param, Resource
from sauti.domain.broadcasts import queries as broadcast_queries
from sauti.domain.contacts import queries as contact_queries
from sauti.domain.groups import queries, service
from sauti.models import ContactGroup, Workspace

GROUP_ORDERS = {"name": "name", "created_at": "created", "updated_at": "modified", "size": "size"}
CONTACT_ORDERS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "business_name": "business_name",
    "phone": "phone",
    "created_at": "created",
    "updated_at": "modified",
}


class GroupOut(BaseModel):
    name: str
    account_id: int
    locked: bool = Field(description="a smart or system group: its members come from a query")
    id: int
    created_at: str | None
    updated_at: str | None
    size: int = Field(description="how many contacts belong to it")


resource = Resource(
    name="groups",
    title="Groups",
    description="Groups of contacts, to broadcast to. Smart groups (API v2's query groups) are locked.",
    result=GroupOut,
)


def render_one(g: ContactGroup, ws: Workspace) -> dict[str, Any]:
    return {
        "name": g.name,
        "account_id": ws.id,
        "locked": g.is_system or g.group_type != "manual",
        "id": g.id,
        "created_at": stamp(g.created_on),
        "updated_at": stamp(g.modified_on),
        "size": g.member_count,
    }


async def _group(ctx: Ctx) -> ContactGroup:
    return await service.get_by_id(ctx.session, ctx.workspace, path_id(ctx.request))


@resource.route(
    "POST",
    "/api/groups",
    Doc(
        summary="Create a new account group",
        status=201,
        params=(Param("name", "string", "the group's name (unique in the account)", required=True),),
        errors=(400, 422),
    ),
)
async def create_group(ctx: Ctx, params: Params) -> Response:
    params.require("name")
    group = await service.create(ctx.session, ctx.workspace, name=params.string("name") or "")
    return ok(render_one(group, ctx.workspace), 201)


@resource.route(
    "GET",
    "/api/groups",
    Doc(
        summary="List all groups for the current account",
        returns=LIST,
        params=(
            *paging.PARAMS,
            Param("q", "string", "search: part of the name"),
            Param("order_by", "string", "name, created_at, updated_at or size, optionally followed by asc or desc"),
        ),
        errors=(400,),
    ),
)
async def list_groups(ctx: Ctx, params: Params) -> Response:
    order = params.order("order_by", GROUP_ORDERS) or "created"
    stmt = queries.select_groups(ctx.workspace, queries.GroupFilter(text=params.string("q"), order=order))

    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return [render_one(g, ctx.workspace) for g in rows]

    return await paging.listing(ctx.request, ctx.session, params, stmt, serialize)


UPDATE = Doc(
    summary="Update a single group",
    params=(Param("name", "string", "the group's new name"),),
    errors=(400, 404, 422),
)


async def update_group(ctx: Ctx, params: Params) -> Response:
    group = await _group(ctx)
    group = await service.edit(ctx.session, ctx.workspace, group.uuid, name=params.string("name"), manual_only=True)
    return ok(render_one(group, ctx.workspace))


resource.route("PUT", "/api/groups/{id}", UPDATE)(update_group)
resource.route("PATCH", "/api/groups/{id}", UPDATE)(update_group)


@resource.route(
    "DELETE",
    "/api/groups/{id}",
    Doc(
        summary="Delete a single group",
        params=(Param("delete_contacts", "boolean", "also delete every contact in the group"),),
        errors=(400, 404, 422),
    ),
)
async def delete_group(ctx: Ctx, params: Params) -> Response:
    group = await _group(ctx)
    shown = render_one(group, ctx.workspace)
    with_contacts = bool(params.boolean("delete_contacts"))
    await service.delete_group(ctx.session, ctx.workspace, group.uuid, manual_only=True, with_contacts=with_contacts)
    return ok(shown)


@resource.route("GET", "/api/groups/{id}", Doc(summary="Retrieve a single group", errors=(404,)))
async def get_group(ctx: Ctx, params: Params) -> Response:
    return ok(render_one(await _group(ctx), ctx.workspace))


@resource.route(
    "GET",
    "/api/groups/{id}/broadcasts",
    Doc(
        summary="List broadcasts for the group",
        returns=LIST,
        model=broadcasts.BroadcastOut,
        params=paging.PARAMS,
        errors=(400, 404),
    ),
)
async def group_broadcasts(ctx: Ctx, params: Params) -> Response:
    group = await _group(ctx)
    wanted = broadcast_queries.BroadcastFilter(scheduled_too=True, group_id=group.id, latest_due_first=True)
    stmt = broadcast_queries.select_broadcasts(ctx.workspace, wanted)

    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return await broadcasts.render_many(session, ctx.workspace, rows)

    return await paging.listing(ctx.request, ctx.session, params, stmt, serialize)


@resource.route(
    "GET",
    "/api/groups/{id}/contacts",
    Doc(
        summary="List contacts for the group",
        returns=LIST,
        model=contacts.ContactOut,
        params=(
            *paging.PARAMS,
            Param(
                "order_by",
                "string",
                "first_name, last_name, business_name, phone, created_at or updated_at, optionally asc or desc",
            ),
        ),
        errors=(400, 404),
    ),
)
async def group_contacts(ctx: Ctx, params: Params) -> Response:
    group = await _group(ctx)
    order = params.order("order_by", CONTACT_ORDERS) or "created"
    wanted = contact_queries.ContactFilter(group_id=group.id, order=order)
    stmt = await contact_queries.select_contacts(ctx.session, ctx.workspace, wanted)
    assert stmt is not None

    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return await contacts.render_many(session, ctx.workspace, rows)

    return await paging.listing(ctx.request, ctx.session, params, stmt, serialize)


async def _membership(ctx: Ctx, member: bool) -> Response:
    group = await _group(ctx)
    contact = await contacts.get_contact(ctx, path_id(ctx.request, "contact_id"))
    group = await service.set_member(ctx.session, ctx.workspace, group, contact, member)
    return ok(render_one(group, ctx.workspace))


@resource.route(
    "PUT",
    "/api/groups/{id}/contacts/{contact_id}",
    Doc(summary="Add a contact to a group", errors=(404, 422)),
)
async def add_contact(ctx: Ctx, params: Params) -> Response:
    return await _membership(ctx, True)


@resource.route(
    "DELETE",
    "/api/groups/{id}/contacts/{contact_id}",
    Doc(summary="Remove a contact from a group", errors=(404, 422)),
)
async def remove_contact(ctx: Ctx, params: Params) -> Response:
    return await _membership(ctx, False)
