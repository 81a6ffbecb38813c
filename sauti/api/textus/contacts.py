"""``/api/contacts``: the account's contacts (the same contacts API v2 lists)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.textus import paging
from sauti.api.textus.params import Params, path_id
from sauti.api.textus.render import digits, ok, stamp
from sauti.api.textus.resource import LIST, Ctx, Doc, Param, Resource
from sauti.domain.contacts import queries, service
from sauti.domain.contacts.service import UNSET, ContactInput
from sauti.domain.errors import NotFound
from sauti.models import Contact, Workspace

DEFAULT_COUNTRY = "US"


class ContactOut(BaseModel):
    business_name: str | None = Field(description="the contact's business")
    account_id: int = Field(description="the account (workspace) id")
    flagged: bool = Field(description="flagged for attention")
    notes: str | None = Field(description="free-text notes")
    phone: str | None = Field(description="the phone number, E.164 digits without +")
    country: str = Field(description="two-letter country of the number")
    line_type: str | None = Field(description="mobile, landline, voip, or null when unknown")
    id: int
    created_at: str | None
    updated_at: str | None
    first_name: str | None
    last_name: str | None
    opted_out: bool = Field(description="the number has an active opt out")
    tags: list[str] = Field(description="the contact's tags, sorted")


resource = Resource(
    name="contacts",
    title="Contacts",
    description=(
        "The people you text. A contact is identified by its phone number (unique in the account); it is the "
        "same contact API v2 shows, whose name is the first and last names joined."
    ),
    result=ContactOut,
)


def render_one(c: Contact, reach: queries.Reach, ws: Workspace) -> dict[str, Any]:
    phones = reach.phones.get(c.id, [])
    return {
        "business_name": c.business_name,
        "account_id": ws.id,
        "flagged": c.flagged,
        "notes": c.notes,
        "phone": digits(phones[0]) if phones else None,
        "country": c.country or ws.country or DEFAULT_COUNTRY,
        "line_type": c.line_type,
        "id": c.id,
        "created_at": stamp(c.created_on),
        "updated_at": stamp(c.modified_on),
        "first_name": c.first_name,
        "last_name": c.last_name,
        "opted_out": any(p in reach.opted_out for p in phones),
        "tags": reach.tags.get(c.id, []),
    }


async def render_many(session: AsyncSession, ws: Workspace, rows: Sequence[Contact]) -> list[dict[str, Any]]:
    """A page of contacts in three queries."""
    reach = await queries.load_reach(session, ws, rows)
    return [render_one(c, reach, ws) for c in rows]


async def one(ctx: Ctx, contact: Contact, status: int = 200) -> Response:
    return ok((await render_many(ctx.session, ctx.workspace, [contact]))[0], status)


async def get_contact(ctx: Ctx, contact_id: int) -> Contact:
    contact = await queries.by_id(ctx.session, ctx.workspace, contact_id)
    if contact is None:
        raise NotFound("contact", str(contact_id))
    return contact


@resource.route(
    "GET",
    "/api/contacts",
    Doc(
        summary="List all contacts for the current account",
        returns=LIST,
        params=(
            *paging.PARAMS,
            Param("q", "string", "search: part of the phone, first name, last name or business name"),
            Param("order_by_name_then_phone", "boolean", "order by last name, first name, then phone"),
            Param("scope", "string", "landlines, textable, flagged or with_notes"),
        ),
        errors=(400,),
    ),
)
async def list_contacts(ctx: Ctx, params: Params) -> Response:
    by_name = params.boolean("order_by_name_then_phone")
    wanted = queries.ContactFilter(
        text=params.string("q"),
        scope=params.string("scope") or None,
        order="name_then_phone" if by_name else "created",
    )
    stmt = await queries.select_contacts(ctx.session, ctx.workspace, wanted)
    assert stmt is not None  # only an unknown group makes it None

    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return await render_many(session, ctx.workspace, rows)

    return await paging.listing(ctx.request, ctx.session, params, stmt, serialize)


def _texts(params: Params, *names: str) -> dict[str, Any]:
    """The text parameters given (null clears one), ``UNSET`` for those absent."""
    return {name: params.string(name) if name in params.values else UNSET for name in names}


@resource.route(
    "POST",
    "/api/contacts",
    Doc(
        summary="Create a new account contact",
        status=201,
        params=(
            Param("phone", "string", "the phone number", required=True),
            Param("country", "string", "two-letter country of the number (default: the account's)"),
            Param("first_name", "string", "first name"),
            Param("last_name", "string", "last name"),
            Param("business_name", "string", "business name"),
            Param("tags", "strings", "tags"),
        ),
        errors=(400, 422),
    ),
)
async def create_contact(ctx: Ctx, params: Params) -> Response:
    params.require("phone")
    data = ContactInput(
        phone=params.string("phone"),
        country=params.string("country"),
        tags=params.strings("tags"),
        **_texts(params, "first_name", "last_name", "business_name"),
    )
    contact = await service.create(ctx.session, ctx.workspace, data, ctx.caller.user)
    return await one(ctx, contact, 201)


@resource.route("GET", "/api/contacts/{id}", Doc(summary="Retrieve a single contact by id", errors=(404,)))
async def get_one(ctx: Ctx, params: Params) -> Response:
    return await one(ctx, await get_contact(ctx, path_id(ctx.request)))


UPDATE = Doc(
    summary="Update a single contact",
    params=(
        Param("phone", "string", "the phone number (replaces the contact's)"),
        Param("country", "string", "two-letter country of the number"),
        Param("first_name", "string", "first name"),
        Param("last_name", "string", "last name"),
        Param("business_name", "string", "business name"),
        Param("flagged", "boolean", "flagged for attention"),
        Param("notes", "string", "free-text notes"),
        Param("tags", "strings", "tags (replace the contact's; [] clears them)"),
    ),
    errors=(400, 404, 422),
)


async def update_contact(ctx: Ctx, params: Params) -> Response:
    contact = await get_contact(ctx, path_id(ctx.request))
    flagged = params.boolean("flagged")
    data = ContactInput(
        phone=params.string("phone") if params.has("phone") else UNSET,
        country=params.string("country"),
        flagged=UNSET if flagged is None else flagged,
        tags=params.strings("tags"),
        **_texts(params, "first_name", "last_name", "business_name", "notes"),
    )
    contact = await service.update(ctx.session, ctx.workspace, contact, data, ctx.caller.user)
    return await one(ctx, contact)


resource.route("PUT", "/api/contacts/{id}", UPDATE)(update_contact)
resource.route("PATCH", "/api/contacts/{id}", UPDATE)(update_contact)


@resource.route("DELETE", "/api/contacts/{id}", Doc(summary="Delete a single contact", errors=(404,)))
async def delete_contact(ctx: Ctx, params: Params) -> Response:
    contact = await get_contact(ctx, path_id(ctx.request))
    shown = (await render_many(ctx.session, ctx.workspace, [contact]))[0]
    await service.delete_contacts(ctx.session, ctx.workspace, [contact])
    return ok(shown)
