"""``campaigns.json``: campaigns, each on a group whose members receive its events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, json, list_page
from sauti.api.rapidpro.pagination import Ordering
from sauti.api.rapidpro.shapes import ObjectRef
from sauti.domain.campaigns import queries, service
from sauti.kit.timefmt import format_utc
from sauti.models import Campaign, ContactGroup, Workspace


class CampaignOut(BaseModel):
    uuid: str = Field(description="the UUID of the campaign (string)")
    name: str = Field(description="the name of the campaign (string)")
    archived: bool = Field(description="whether the campaign is archived (boolean)")
    group: ObjectRef = Field(description="the group whose members receive the campaign ({uuid, name})")
    created_on: str = Field(description="when the campaign was created (datetime)")


endpoint = Endpoint(
    name="campaigns",
    title="List, Create or Update Campaigns",
    description=(
        "A campaign sends messages or starts flows for every member of a group, each at a time relative to a "
        "date of theirs (see `campaign_events`). Archived campaigns are not listed. Changing a campaign's group "
        "reschedules every one of its events for the members of the new group."
    ),
    result=CampaignOut,
)


class CampaignBody(BaseModel):
    name: Annotated[body.Str, Field(max_length=64)] = Field(description="unique within the workspace, any case")
    group: body.Str = Field(description="the UUID or name of the group whose members receive the campaign")


def render(c: Campaign, group: ContactGroup | None) -> dict[str, Any]:
    return {
        "uuid": c.uuid,
        "name": c.name,
        "archived": c.is_archived,
        "group": {"uuid": group.uuid, "name": group.name} if group is not None else None,
        "created_on": format_utc(c.created_on),
    }


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    groups = await queries.groups_of(session, rows)
    return [render(c, groups.get(c.group_id)) for c in rows]


@endpoint.method(
    "GET",
    Doc(
        summary="List campaigns, newest first",
        params=(Param("uuid", "a campaign UUID to filter by"),),
        example="GET /api/v2/campaigns.json",
    ),
)
async def get(ctx: Ctx) -> Response:
    wanted = queries.CampaignFilter(uuid=params.uuid_value(ctx.request, "uuid"))
    stmt = queries.select_campaigns(ctx.workspace, wanted)
    return await list_page(ctx, stmt, Ordering(Campaign.created_on, Campaign.id), _serialize)


@endpoint.method(
    "POST",
    Doc(
        summary="Create a campaign, or update one with ?uuid=",
        params=(Param("uuid", "the UUID of the campaign to update"),),
        body=CampaignBody,
        example='POST /api/v2/campaigns.json {"name": "Reminders", "group": "Reporters"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    lookup = params.lookup(ctx.request, "uuid")
    if lookup is not None:
        await service.get_campaign(ctx.session, ctx.workspace, lookup[1])
    values = await body.parse(CampaignBody, ctx.request)
    if lookup is None:
        campaign = await service.create_campaign(ctx.session, ctx.workspace, name=values["name"], group=values["group"])
        status = 201
    else:
        campaign = await service.update_campaign(
            ctx.session, ctx.workspace, lookup[1], name=values["name"], group=values["group"]
        )
        status = 200
    groups = await queries.groups_of(ctx.session, [campaign])
    return json(render(campaign, groups.get(campaign.group_id)), status)
