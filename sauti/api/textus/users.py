"""``/api/users``: the users of the account (the same users API v2 lists)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.textus import paging
from sauti.api.textus.params import Params, path_id
from sauti.api.textus.render import ok, stamp
from sauti.api.textus.resource import LIST, Ctx, Doc, Param, Resource
from sauti.domain.errors import NotFound
from sauti.domain.workspaces import queries
from sauti.models import Membership, User, Workspace

# TextUs's per-user preferences, for which Sauti has no behaviour: every user shows TextUs's defaults
PREFERENCES = {"should_play_audio": True, "forward_messages": "never", "terms_accepted": False}
CLIENT_FLAGS = {"web_push_enabled": False, "v3_enabled": True}


class UserOut(BaseModel):
    email: str
    first_name: str
    last_name: str
    account_id: int
    role: str = Field(description="admin (an administrator) or standard_user")
    archived: bool = Field(description="deactivated")
    last_sign_in_at: str | None
    should_play_audio: bool
    forward_messages: str
    terms_accepted: bool
    id: int
    created_at: str | None
    updated_at: str | None
    web_push_enabled: bool
    v3_enabled: bool


resource = Resource(
    name="users",
    title="Users",
    description="The people who use the account. Administrators are admin, everyone else standard_user.",
    result=UserOut,
)


def render_one(user: User, membership: Membership, ws: Workspace) -> dict[str, Any]:
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "account_id": ws.id,
        "role": "admin" if membership.role == "administrator" else "standard_user",
        "archived": not user.is_active,
        "last_sign_in_at": None,
        **PREFERENCES,
        "id": user.id,
        "created_at": stamp(user.created_on),
        "updated_at": stamp(user.created_on),
        **CLIENT_FLAGS,
    }


@resource.route(
    "GET",
    "/api/users",
    Doc(
        summary="List all users for the current account",
        returns=LIST,
        params=(*paging.PARAMS, Param("include_archived", "boolean", "include deactivated users")),
        errors=(400,),
    ),
)
async def list_users(ctx: Ctx, params: Params) -> Response:
    wanted = queries.MemberFilter(include_inactive=bool(params.boolean("include_archived")), by_joining=True)
    stmt = queries.select_members(ctx.workspace, wanted)
    assert stmt is not None  # only unknown roles make it None

    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        users = await queries.users_of(session, rows)
        return [render_one(users[m.user_id], m, ctx.workspace) for m in rows]

    return await paging.listing(ctx.request, ctx.session, params, stmt, serialize)


@resource.route(
    "GET",
    "/api/users/current",
    Doc(
        summary="Retrieve the current user",
        description="DECISION: as the TextUs documentation shows it, an array holding the one user.",
        returns=LIST,
    ),
)
async def current(ctx: Ctx, params: Params) -> Response:
    found = await queries.member(ctx.session, ctx.workspace, ctx.caller.user.id)
    assert found is not None  # the caller authenticated as a member
    shown = render_one(found[0], found[1], ctx.workspace)
    return ok([shown])


@resource.route("GET", "/api/users/{id}", Doc(summary="Retrieve a single user", errors=(404,)))
async def get_user(ctx: Ctx, params: Params) -> Response:
    found = await queries.member(ctx.session, ctx.workspace, path_id(ctx.request))
    if found is None:
        raise NotFound("user", str(ctx.request.path_params.get("id")))
    return ok(render_one(found[0], found[1], ctx.workspace))
