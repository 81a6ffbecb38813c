"""``channels.json``: the workspace's channels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, list_page
from sauti.api.rapidpro.pagination import Ordering
from sauti.channels import registry
from sauti.domain.channels import queries
from sauti.kit.timefmt import format_utc
from sauti.models import Channel, Workspace


class ChannelOut(BaseModel):
    uuid: str = Field(description="the UUID of the channel")
    name: str = Field(description="the name")
    address: str = Field(description="its address: a phone number, short code or bot name")
    type: str = Field(description="the channel type, e.g. external, twilio, telegram, test")
    country: str | None = Field(description="the country it reads local numbers in, or null")
    device: None = Field(description="Android relayer details; always null here")
    last_seen: str | None = Field(description="when the channel last received something (datetime or null)")
    created_on: str = Field(description="when it was added (datetime)")


endpoint = Endpoint(
    name="channels",
    title="List Channels",
    description="The channels messages are sent and received through. Channels are added with `sauti channel add`.",
    result=ChannelOut,
)


def render(c: Channel) -> dict[str, Any]:
    kind = registry.by_code(c.channel_type)
    return {
        "uuid": c.uuid,
        "name": c.name,
        "address": c.address,
        "type": kind.api_type if kind else c.channel_type.lower(),
        "country": c.country,
        "device": None,
        "last_seen": format_utc(c.last_seen),
        "created_on": format_utc(c.created_on),
    }


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [render(c) for c in rows]


@endpoint.method(
    "GET",
    Doc(
        summary="List channels, newest first",
        params=(Param("uuid", "a channel UUID"), Param("address", "a channel address")),
        example="GET /api/v2/channels.json",
    ),
)
async def get(ctx: Ctx) -> Response:
    stmt = queries.select_channels(
        ctx.workspace, uuid=params.uuid_value(ctx.request, "uuid"), address=params.value(ctx.request, "address")
    )
    return await list_page(ctx, stmt, Ordering(Channel.created_on, Channel.id), _serialize)
