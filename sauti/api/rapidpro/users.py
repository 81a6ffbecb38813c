"""``users.json``: the members of the workspace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, empty_page, list_page
from sauti.api.rapidpro.pagination import Ordering
from sauti.api.rapidpro.shapes import ObjectRef
from sauti.domain.workspaces import queries
from sauti.kit.timefmt import format_utc
from sauti.models import Membership, Workspace


class UserOut(BaseModel):
    uuid: str = Field(description="the UUID of the user (string)")
    name: str = Field(description="the full name (string)")
    email: str = Field(description="the email address (string)")
    role: str = Field(description="administrator, editor or agent")
    team: ObjectRef | None = Field(description="the agent's team, or null")
    created_on: str | None = Field(description="when the user joined (datetime)")
    avatar: str | None = Field(description="URL of the avatar image, or null")
    first_name: str = Field(description="deprecated")
    last_name: str = Field(description="deprecated")


endpoint = Endpoint(
    name="users",
    title="List Users",
    description="The users who can log in to this workspace, most recently joined first.",
    result=UserOut,
)


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    users = await queries.users_of(session, rows)
    out = []
    for m in rows:
        u = users[m.user_id]
        out.append(
            {
                "uuid": u.uuid,
                "name": f"{u.first_name} {u.last_name}".strip(),
                "email": u.email,
                "role": m.role,
                "team": None,
                "created_on": format_utc(m.joined_on),
                "avatar": u.avatar,
                "first_name": u.first_name,
                "last_name": u.last_name,
            }
        )
    return out


@endpoint.method(
    "GET",
    Doc(
        summary="List the workspace's users",
        params=(
            Param("uuid", "a user UUID to filter by (repeatable)"),
            Param("email", "an email address to filter by, case-insensitive (repeatable)"),
            Param("role", "administrator, editor or agent (repeatable)"),
        ),
        example="GET /api/v2/users.json?role=administrator",
    ),
)
async def get(ctx: Ctx) -> Response:
    wanted = queries.MemberFilter(
        uuids=params.uuid_values(ctx.request, "uuid"),
        emails=[e for e in ctx.request.query_params.getlist("email") if e][: params.MAX_REPEATS],
        roles=[r for r in ctx.request.query_params.getlist("role") if r],
    )
    stmt = queries.select_members(ctx.workspace, wanted)
    if stmt is None:
        return empty_page()
    return await list_page(ctx, stmt, Ordering(Membership.joined_on, Membership.id), _serialize)
