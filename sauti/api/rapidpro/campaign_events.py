"""``campaign_events.json``: the events of campaigns, each a message or a flow at a time relative to a date."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, json, list_page, no_content
from sauti.api.rapidpro.errors import refuse
from sauti.api.rapidpro.pagination import Ordering
from sauti.api.rapidpro.shapes import ObjectRef
from sauti.domain.campaigns import queries, service
from sauti.domain.campaigns.timing import UNITS
from sauti.domain.flows import queries as flow_queries
from sauti.kit.timefmt import format_utc
from sauti.models import Campaign, CampaignEvent, ContactField, Flow, Workspace


class FieldRef(BaseModel):
    key: str
    name: str
    label: str = Field(description="deprecated: name")


class EventOut(BaseModel):
    uuid: str = Field(description="the UUID of the event (string)")
    campaign: ObjectRef = Field(description="the campaign it belongs to ({uuid, name})")
    relative_to: FieldRef = Field(description="the contact field (a date) it is relative to ({key, name, label})")
    offset: int = Field(description="how many units after the date (negative: before) (integer)")
    unit: str = Field(description="minutes, hours, days or weeks")
    delivery_hour: int = Field(description="the hour (0-23) it is sent at, or -1 for the time computed")
    flow: ObjectRef | None = Field(description="the flow it starts ({uuid, name}), or null for a message event")
    message: dict[str, str] | None = Field(description="language code to text, or null for a flow event")
    created_on: str = Field(description="when the event was created (datetime)")


endpoint = Endpoint(
    name="campaign_events",
    title="List, Create, Update or Delete Campaign Events",
    description=(
        "An event sends a message, or starts a flow, for every member of its campaign's group at `offset` "
        "`unit`s after the date in the contact field `relative_to` (created_on and last_seen_on included), at "
        "`delivery_hour` in the workspace's timezone when it is not -1. Days and weeks are calendar days, so "
        "the time of day holds across daylight saving changes; times already past are never sent. Creating an "
        "event, or changing when it fires, schedules it for every member: until that is done the event cannot "
        "be changed. A message is sent in the contact's language when it has that translation, else in the "
        "workspace's default language."
    ),
    result=EventOut,
)


def _message(v: Any) -> Any:
    """A text (in the workspace's default language), or an object of language code to text (null: none)."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, dict) and all(isinstance(t, str) for t in v.values()):
        return {str(k): t for k, t in v.items()}
    raise body.fail("Must be a string or an object of language codes to texts.")


class EventBody(BaseModel):
    campaign: body.Str | None = Field(
        default=None, description="the UUID of the campaign (required to create; on update, its own campaign)"
    )
    relative_to: body.Str = Field(description="the key of the contact field (a date) the event is relative to")
    offset: int = Field(description="units after the date; negative for before")
    unit: Literal["minutes", "hours", "days", "weeks"]
    delivery_hour: Annotated[int, Field(ge=-1, le=23)] = Field(description="0-23, or -1 for the computed time")
    message: Annotated[Any, BeforeValidator(_message)] = Field(
        default=None, description="a text, or an object of language code to text (one of message and flow)"
    )
    flow: body.Str | None = Field(default=None, description="the UUID of a flow to start (one of message and flow)")


def render(
    e: CampaignEvent, campaign: Campaign | None, field: ContactField | None, flow: Flow | None
) -> dict[str, Any]:
    return {
        "uuid": e.uuid,
        "campaign": {"uuid": campaign.uuid, "name": campaign.name} if campaign else None,
        "relative_to": {"key": field.key, "name": field.name, "label": field.name} if field else None,
        "offset": e.offset,
        "unit": UNITS[e.unit],
        "delivery_hour": e.delivery_hour,
        "flow": {"uuid": flow.uuid, "name": flow.name} if flow is not None else None,
        "message": {lang: t.get("text", "") for lang, t in (e.translations or {}).items()}
        if e.event_type == "M"
        else None,
        "created_on": format_utc(e.created_on),
    }


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    campaigns = await queries.campaigns_of(session, rows)
    fields = await queries.fields_of(session, rows)
    flows = await flow_queries.by_ids(session, ws, [e.flow_id for e in rows if e.flow_id is not None])
    return [
        render(
            e,
            campaigns.get(e.campaign_id),
            fields.get(e.field_id),
            flows.get(e.flow_id) if e.flow_id is not None else None,
        )
        for e in rows
    ]


@endpoint.method(
    "GET",
    Doc(
        summary="List campaign events, newest first",
        params=(
            Param("uuid", "an event UUID to filter by"),
            Param("campaign", "a campaign UUID or name to filter by"),
        ),
        example="GET /api/v2/campaign_events.json?campaign=Reminders",
    ),
)
async def get(ctx: Ctx) -> Response:
    wanted = queries.EventFilter(
        uuid=params.uuid_value(ctx.request, "uuid"), campaign=params.value(ctx.request, "campaign")
    )
    stmt = queries.select_events(ctx.workspace, wanted)
    return await list_page(ctx, stmt, Ordering(CampaignEvent.created_on, CampaignEvent.id), _serialize)


async def _respond(ctx: Ctx, event: CampaignEvent, status: int) -> Response:
    return json((await _serialize(ctx.session, ctx.workspace, [event]))[0], status)


@endpoint.method(
    "POST",
    Doc(
        summary="Create a campaign event, or update one with ?uuid=",
        description=(
            "Give exactly one of `message` and `flow`. On update `campaign` may be left out; when given it must "
            "be the event's own. Only a change of `relative_to`, `offset`, `unit` or `delivery_hour` "
            "reschedules the event."
        ),
        params=(Param("uuid", "the UUID of the event to update"),),
        body=EventBody,
        example=(
            'POST /api/v2/campaign_events.json {"campaign": "f14e4ff0-724d-43fe-a953-1d16aefd1c00", '
            '"relative_to": "registration", "offset": 1, "unit": "days", "delivery_hour": 9, '
            '"message": "Welcome!"}'
        ),
    ),
)
async def post(ctx: Ctx) -> Response:
    lookup = params.lookup(ctx.request, "uuid")
    if lookup is not None:
        await service.get_event(ctx.session, ctx.workspace, lookup[1])
    data = await body.read_object(ctx.request)
    values, shape = body.validate(EventBody, data)
    if lookup is None and "campaign" not in shape and values.get("campaign") is None:
        shape["campaign"] = ["This field is required."]
    if shape:
        partial = service.PartialEvent(
            relative_to=values.get("relative_to"),
            unit=values.get("unit"),
            delivery_hour=values.get("delivery_hour"),
            campaign=values.get("campaign"),
            message=values.get("message"),
            flow=values.get("flow"),
            content="message" not in shape and "flow" not in shape,
        )
        refuse(shape, await service.event_problems(ctx.session, ctx.workspace, partial))
    given = service.EventInput(
        relative_to=values["relative_to"],
        offset=values["offset"],
        unit=values["unit"],
        delivery_hour=values["delivery_hour"],
        campaign=values.get("campaign"),
        message=values.get("message"),
        flow=values.get("flow"),
    )
    if lookup is None:
        return await _respond(ctx, await service.create_event(ctx.session, ctx.workspace, given), 201)
    return await _respond(ctx, await service.update_event(ctx.session, ctx.workspace, lookup[1], given), 200)


@endpoint.method(
    "DELETE",
    Doc(
        summary="Delete a campaign event by ?uuid=",
        description="Its pending fires are dropped: nobody receives it any more.",
        params=(Param("uuid", "the UUID of the event to delete", required=True),),
        example="DELETE /api/v2/campaign_events.json?uuid=6a6d7531-6b44-4c45-8c33-957ddd8dfabc",
    ),
)
async def delete(ctx: Ctx) -> Response:
    lookup = params.lookup(ctx.request, "uuid", required=True)
    assert lookup is not None
    await service.delete_event(ctx.session, ctx.workspace, lookup[1])
    return no_content()
