"""``workspace.json`` (and its deprecated alias ``org.json``): the caller's workspace."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from starlette.responses import Response

from sauti.api.rapidpro.endpoint import RESULT, Ctx, Doc, Endpoint, json
from sauti.models import Workspace


class Credits(BaseModel):
    used: int
    remaining: int


class WorkspaceOut(BaseModel):
    uuid: str = Field(description="the UUID of the workspace (string)")
    name: str = Field(description="the name of the workspace (string)")
    country: str | None = Field(description="the default country code used to read local phone numbers")
    languages: list[str] = Field(description="the languages the workspace's flows use, primary first (ISO-639-3)")
    timezone: str = Field(description="the timezone of the workspace (string)")
    date_style: str = Field(description="day_first, month_first or year_first")
    anon: bool = Field(description="whether contact URNs are hidden from users (boolean)")
    credits: Credits = Field(description="deprecated: always used -1, remaining -1")
    primary_language: str | None = Field(description="deprecated: the first of languages")


def render(ws: Workspace) -> dict[str, Any]:
    return {
        "uuid": ws.uuid,
        "name": ws.name,
        "country": ws.country,
        "languages": list(ws.languages or []),
        "timezone": ws.timezone,
        "date_style": ws.date_style,
        "anon": ws.anon,
        "credits": {"used": -1, "remaining": -1},
        "primary_language": ws.languages[0] if ws.languages else None,
    }


def _make(name: str, listed: bool) -> Endpoint:
    ep = Endpoint(
        name=name,
        title="View Workspace" if listed else "View Workspace (deprecated alias of workspace)",
        description="Details of the workspace your token belongs to. A single object, not a page.",
        result=WorkspaceOut,
        listed=listed,
    )

    @ep.method("GET", Doc(summary="The workspace of the token", example=f"GET /api/v2/{name}.json", ok={200: RESULT}))
    async def get(ctx: Ctx) -> Response:
        return json(render(ctx.workspace))

    return ep


endpoint = _make("workspace", True)
org_endpoint = _make("org", False)
