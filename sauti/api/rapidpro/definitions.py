"""``definitions.json``: export flows and campaigns with their dependencies (deprecated upstream, still served)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from starlette.responses import Response

from sauti.api.rapidpro import params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, json
from sauti.api.rapidpro.errors import bad_request
from sauti.domain.flows import exports


class ExportOut(BaseModel):
    version: str = Field(description='the export format version, "13"')
    site: str = Field(description="the address of the server that exported it")
    flows: list[dict[str, Any]] = Field(description="flow definitions at the current spec version")
    campaigns: list[dict[str, Any]] = Field(description="campaigns with their events")
    triggers: list[dict[str, Any]] = Field(description="the triggers that start the flows")
    fields: list[dict[str, Any]] = Field(description="the fields used ({key, name, type})")
    groups: list[dict[str, Any]] = Field(description="the groups used ({uuid, name, query})")


endpoint = Endpoint(
    name="definitions",
    title="Export Definitions",
    description=(
        "Exports flows and campaigns in the RapidPro export format (version 13), which `sauti import` and "
        "RapidPro/TextIt read. Name them with repeated `flow` and `campaign` parameters; `dependencies` says "
        "how much comes along: `none` (only those named), `flows` (the flows they enter or start, and the "
        "triggers of all of them) or `all` (the default: also the campaigns using them and the fields and "
        "groups everything uses)."
    ),
    result=ExportOut,
    in_root=False,
)


@endpoint.method(
    "GET",
    Doc(
        summary="Export flows and campaigns with their dependencies",
        params=(
            Param("flow", "a flow UUID (repeat for more)"),
            Param("campaign", "a campaign UUID (repeat for more)"),
            Param("dependencies", "none, flows or all (the default)"),
        ),
        example="GET /api/v2/definitions.json?flow=f5901b62-ba76-4003-9c62-72fdacc1b7b7&dependencies=flows",
        ok={200: ExportOut},
    ),
)
async def get(ctx: Ctx) -> Response:
    req = ctx.request
    mode = params.value(req, "dependencies") or "all"
    if mode not in exports.DEPENDENCY_MODES:
        raise bad_request(f"dependencies must be one of {', '.join(exports.DEPENDENCY_MODES)}")
    flow_uuids = params.uuid_values(req, "flow")
    campaign_uuids = params.uuid_values(req, "campaign")
    settings = req.app.state.settings
    site = (settings.public_url or str(req.base_url)).rstrip("/")
    document = await exports.export(
        ctx.session,
        ctx.workspace,
        flow_uuids=flow_uuids,
        campaign_uuids=campaign_uuids,
        dependencies_mode=mode,
        site=site,
    )
    return json(document)
