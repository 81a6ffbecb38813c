"""``flow_starts.json``: list the flow starts users asked for, and start a flow for contacts, groups and URNs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.contacts import Ref
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, guarded_list, json, list_page
from sauti.api.rapidpro.errors import refuse
from sauti.api.rapidpro.pagination import Ordering
from sauti.api.rapidpro.shapes import ObjectRef
from sauti.domain.flows import queries, start_requests
from sauti.kit.timefmt import format_utc
from sauti.models import FlowStart, Workspace

MAX_RECIPIENTS = 100
# the deprecated ``extra`` is cut down to what old clients could send: keys of letters, digits and _ up to 255
# characters, texts up to 640, and at most 256 values in all
EXTRA_KEY_CHARS = re.compile(r"[^A-Za-z0-9_]")
EXTRA_MAX_KEY = 255
EXTRA_MAX_TEXT = 640
EXTRA_MAX_VALUES = 256


class Progress(BaseModel):
    total: int
    started: int


class FlowStartOut(BaseModel):
    uuid: str = Field(description="the UUID of the start")
    flow: ObjectRef = Field(description="the flow ({uuid, name})")
    status: str = Field(description="pending, queued, started, completed, failed or interrupted")
    progress: Progress = Field(description="{total, started}: contacts to start (-1 until known) and runs so far")
    groups: list[ObjectRef] = Field(description="the groups ({uuid, name})")
    contacts: list[ObjectRef] = Field(description="the contacts ({uuid, name})")
    params: dict[str, Any] = Field(description="the parameters, @trigger.params in the flow")
    created_on: str | None = Field(description="when it was created (datetime)")
    modified_on: str | None = Field(description="when it last changed (datetime)")
    id: int = Field(description="deprecated integer id")
    extra: dict[str, Any] = Field(description="deprecated: params")
    restart_participants: bool = Field(description="deprecated: whether contacts already in the flow restart")
    exclude_active: bool = Field(description="deprecated: whether contacts in any flow are left out")


endpoint = Endpoint(
    name="flow_starts",
    title="List or Start Flows",
    description=(
        "A flow start puts contacts into a flow: the contacts and groups you name and the contacts of the URNs "
        "(created when new). The request only records the start (status pending); the worker finds the "
        "contacts and starts them in batches, and `progress` follows it. Starts made by triggers, flows and "
        "campaigns are not listed."
    ),
    result=FlowStartOut,
)


def _object(v: Any) -> Any:
    if not isinstance(v, dict):
        raise body.fail("Must be a valid JSON object")
    return v


JSONObject = Annotated[dict[str, Any], BeforeValidator(_object)]


class FlowStartBody(BaseModel):
    flow: Ref = Field(description="the UUID of the flow to start")
    contacts: Annotated[list[Ref], Field(max_length=MAX_RECIPIENTS)] = Field(
        default_factory=list, description="contact UUIDs or URNs"
    )
    groups: Annotated[list[Ref], Field(max_length=MAX_RECIPIENTS)] = Field(
        default_factory=list, description="group UUIDs or names"
    )
    urns: Annotated[list[body.Str], Field(max_length=MAX_RECIPIENTS)] = Field(
        default_factory=list, description="URNs: contacts are created for new ones"
    )
    restart_participants: bool = Field(default=True, description="false: leave out contacts who ran the flow")
    exclude_active: bool = Field(default=False, description="true: leave out contacts waiting in any flow")
    params: JSONObject | None = Field(default=None, description="an object, @trigger.params in the flow")
    extra: JSONObject | None = Field(default=None, description="deprecated: params")


def normalized_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """The deprecated ``extra`` as old clients' servers kept it (see the module constants): lists become
    objects keyed by position, ``null`` an empty text."""
    budget = [EXTRA_MAX_VALUES]

    def clean(value: Any) -> Any:
        if isinstance(value, list):
            value = {str(i): v for i, v in enumerate(value)}
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if budget[0] <= 0:
                    break
                out[EXTRA_KEY_CHARS.sub("_", str(key))[:EXTRA_MAX_KEY]] = clean(item)
            return out
        budget[0] -= 1
        if value is None:
            return ""
        if isinstance(value, str):
            return value[:EXTRA_MAX_TEXT]
        return value

    cleaned: dict[str, Any] = clean(extra)
    return cleaned


def render(s: Any, page: queries.StartPage) -> dict[str, Any]:
    flow = page.flows.get(s.flow_id)
    contacts = [page.contacts[i] for i in sorted(s.contact_ids or []) if i in page.contacts]
    groups = [page.groups[i] for i in sorted(s.group_ids or []) if i in page.groups]
    values = dict(s.params or {})
    return {
        "uuid": s.uuid,
        "flow": {"uuid": flow.uuid, "name": flow.name} if flow else None,
        "status": s.status,
        "progress": {"total": s.contact_count if s.contact_count >= 0 else -1, "started": s.run_count},
        "groups": [{"uuid": g.uuid, "name": g.name} for g in groups],
        "contacts": [{"uuid": c.uuid, "name": c.name} for c in contacts],
        "params": values,
        "created_on": format_utc(s.created_on),
        "modified_on": format_utc(s.modified_on),
        "id": s.id,
        "extra": values,
        "restart_participants": bool(s.restart_participants),
        "exclude_active": bool(s.exclude_active),
    }


async def render_many(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    page = await queries.load_start_page(session, rows)
    return [render(s, page) for s in rows]


@endpoint.method(
    "GET",
    Doc(
        summary="List flow starts, most recently modified first",
        params=(
            Param("uuid", "a flow start UUID"),
            Param("before", "only starts modified before this date, inclusive"),
            Param("after", "only starts modified after this date, inclusive"),
            Param("reverse", "true to list the oldest modified first"),
        ),
        example="GET /api/v2/flow_starts.json",
    ),
)
async def get(ctx: Ctx) -> Response:
    req = ctx.request

    async def build() -> Any:
        wanted = queries.StartFilter(
            uuid=params.uuid_value(req, "uuid"),
            modified_before=params.date_value(req, "before"),
            modified_after=params.date_value(req, "after"),
        )
        stmt = queries.select_starts(ctx.workspace, wanted)
        ordering = Ordering(FlowStart.modified_on, FlowStart.id, descending=not params.flag(req, "reverse"))
        return await list_page(ctx, stmt, ordering, render_many)

    return await guarded_list(build)


@endpoint.method(
    "POST",
    Doc(
        summary="Start a flow",
        description="Give the flow and at least one of contacts, groups or urns (at most 100 of each).",
        body=FlowStartBody,
        example='POST /api/v2/flow_starts.json {"flow": "f5901b62-ba76-4003-9c62-72fdacc1b7b7", '
        '"urns": ["tel:+250788123123"], "params": {"round": 2}}',
    ),
)
async def post(ctx: Ctx) -> Response:
    values, shape = body.validate(FlowStartBody, await body.read_object(ctx.request))
    given_params = values.get("params")
    extra = values.get("extra")
    if given_params is not None:
        run_params, field_name = given_params, "params"
    elif extra is not None:
        run_params, field_name = normalized_extra(extra), "extra"
    else:
        run_params, field_name = {}, "params"
    agent = ctx.request.headers.get("user-agent", "")
    request = start_requests.StartRequest(
        flow=values.get("flow"),
        contacts=values.get("contacts", []),
        groups=values.get("groups", []),
        urns=values.get("urns", []),
        params=run_params,
        params_field=field_name,
        restart_participants=values.get("restart_participants", True),
        exclude_active=values.get("exclude_active", False),
        start_type="zapier" if "zapier" in agent.lower() else "api",
    )
    if shape:  # lookup problems of the fields that passed are reported with the errors of shape, in one 400
        refuse(shape, await start_requests.check(ctx.session, ctx.workspace, request))
    start = await start_requests.request_start(ctx.session, ctx.workspace, request, ctx.caller.user)
    return json((await render_many(ctx.session, ctx.workspace, [start]))[0], 201)
