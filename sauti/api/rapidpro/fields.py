"""``fields.json``: custom contact fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, json, list_page
from sauti.api.rapidpro.errors import APIError, DRFErrors, not_found
from sauti.api.rapidpro.pagination import Ordering
from sauti.domain.errors import Invalid
from sauti.domain.fields import queries, service, usages
from sauti.models import ContactField, Workspace

LEGACY_TYPES = {"numeric": "number"}
API_TO_LEGACY = {"number": "numeric"}


class Usages(BaseModel):
    flows: int
    groups: int
    campaign_events: int


class FieldOut(BaseModel):
    key: str = Field(description="the unique key of the field (string)")
    name: str = Field(description="the display name (string)")
    type: str = Field(description="text, number, datetime, state, district or ward")
    featured: bool = Field(description="whether the field is featured (boolean)")
    priority: int = Field(description="display priority (integer)")
    usages: Usages = Field(description="how many flows, groups and campaign events use the field")
    agent_access: str = Field(description="none, view or edit")
    label: str = Field(description="deprecated: same as name")
    value_type: str = Field(description="deprecated: type, with numeric for number")


endpoint = Endpoint(
    name="fields",
    title="List, Create or Update Contact Fields",
    description=(
        "Custom fields hold typed values on contacts. A field's key is generated from its name when it is "
        "created and never changes."
    ),
    result=FieldOut,
)

Name = Annotated[body.Str, Field(max_length=36)]


class FieldBody(BaseModel):
    name: Name | None = None
    type: Literal["text", "number", "datetime", "state", "district", "ward"] | None = None
    label: Name | None = Field(default=None, description="deprecated: name")
    value_type: Literal["text", "numeric", "number", "datetime", "state", "district", "ward"] | None = Field(
        default=None, description="deprecated: type"
    )


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    used = await usages.usages(session, ws)
    return [render(f, used.of(f.key, f.id)) for f in rows]


def render(f: ContactField, used: usages.Usage = usages.Usage(0, 0, 0)) -> dict[str, Any]:
    return {
        "key": f.key,
        "name": f.name,
        "type": f.value_type,
        "featured": f.featured,
        "priority": f.priority,
        "usages": {"flows": used.flows, "groups": used.groups, "campaign_events": used.campaign_events},
        "agent_access": f.agent_access,
        "label": f.name,
        "value_type": API_TO_LEGACY.get(f.value_type, f.value_type),
    }


@endpoint.method(
    "GET",
    Doc(
        summary="List custom fields, newest first",
        params=(Param("key", "a field key to filter by"),),
        example="GET /api/v2/fields.json?key=nick_name",
    ),
)
async def get(ctx: Ctx) -> Response:
    stmt, values = queries.listed_fields(ctx.workspace, key=params.value(ctx.request, "key"))
    return await list_page(ctx, stmt, Ordering(ContactField.created_on, ContactField.id), _serialize, values)


@endpoint.method(
    "POST",
    Doc(
        errors=(400, 403, 404, 409, 415, 429),
        summary="Create a field, or update one with ?key=",
        description="Both name and type are required, on create and on update. The key never changes.",
        params=(Param("key", "the key of the field to update"),),
        body=FieldBody,
        example='POST /api/v2/fields.json {"name": "Nick name", "type": "text"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    lookup = params.lookup(ctx.request, "key")
    existing = None
    if lookup is not None:
        existing = await queries.by_key(ctx.session, ctx.workspace, lookup[1])
        if existing is None:
            raise not_found()
    data = await body.read_object(ctx.request)
    values, shape = body.validate(FieldBody, data)
    name_key = "label" if "name" not in data and "label" in data else "name"
    type_key = "value_type" if "type" not in data and "value_type" in data else "type"
    name = values.get(name_key)
    value_type = values.get(type_key)
    if name is None and name_key not in shape:
        raise APIError(400, {"non_field_errors": ["Field 'name' is required."]})
    if value_type is None and type_key not in shape:
        raise APIError(400, {"non_field_errors": ["Field 'type' is required."]})
    aliases = {"name": name_key}
    if shape:
        problems = (
            await service.name_problems(ctx.session, ctx.workspace, name, existing.id if existing else None)
            if name is not None
            else []
        )
        DRFErrors(shape).problems(problems, aliases).raise_if_any()
    assert name is not None and value_type is not None
    value_type = LEGACY_TYPES.get(value_type, value_type)
    try:
        if lookup is None:
            created = await service.create(ctx.session, ctx.workspace, name=name, value_type=value_type)
            return json(render(created), 201)
        updated = await service.edit(ctx.session, ctx.workspace, lookup[1], name=name, value_type=value_type)
    except Invalid as exc:
        raise exc.renamed(aliases) from exc
    used = await usages.usages(ctx.session, ctx.workspace)
    return json(render(updated, used.of(updated.key, updated.id)))
