"""``message_actions.json``: one action on up to 100 incoming messages at once."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema
from starlette.responses import Response

from sauti.api.rapidpro import body
from sauti.api.rapidpro.contacts import Ref
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, json, no_content
from sauti.api.rapidpro.errors import refuse
from sauti.api.rapidpro.shapes import Failures
from sauti.domain.messages import actions

endpoint = Endpoint(
    name="message_actions",
    title="Bulk Message Actions",
    description=(
        "Apply one action to up to 100 incoming messages, given by their integer `id` or their `uuid`: `label` or "
        "`unlabel` (with a `label` UUID or name, or a `label_name`: labelling creates a missing label, unlabelling "
        "ignores one), `archive`, `restore` or `delete`. Answers 204 with no body when every message was found, "
        'otherwise 200 with `{"failures": [...]}` listing the ones that were not (the others are still done).'
    ),
)

# any JSON value is accepted per item: those that name no message come back as failures, never as errors
MessageRef = Annotated[Any, WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string"}]})]


class MessageActionBody(BaseModel):
    messages: Annotated[list[MessageRef], Field(max_length=100)] = Field(
        description="message ids (integers) or message UUIDs"
    )
    action: Literal["label", "unlabel", "archive", "restore", "delete"]
    label: Ref | None = Field(default=None, description="UUID or name of an existing label (label and unlabel)")
    label_name: Annotated[body.Str, Field(max_length=64)] | None = Field(
        default=None, description="name of a label: created if missing when labelling, ignored if missing otherwise"
    )


def _pop_nulls(data: dict[str, Any]) -> dict[str, list[str]]:
    """DRF reads a blank reference as null, and neither label field may be null."""
    errors: dict[str, list[str]] = {}
    if "label" in data and data["label"] in (None, ""):
        del data["label"]
        errors["label"] = ["This field may not be null."]
    if "label_name" in data and data["label_name"] is None:
        del data["label_name"]
        errors["label_name"] = ["This field may not be null."]
    return errors


@endpoint.method(
    "POST",
    Doc(
        summary="Apply an action to messages",
        body=MessageActionBody,
        ok={204: None, 200: Failures},
        example='POST /api/v2/message_actions.json {"messages": [1234, 1235], "action": "label", "label": "Important"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    data = await body.read_object(ctx.request)
    nulls = _pop_nulls(data)
    values, shape = body.validate(MessageActionBody, data)
    shape = {**nulls, **shape}
    request = actions.MessageAction(
        messages=values.get("messages", []),
        action=values.get("action", ""),
        label=values.get("label"),
        label_name=values.get("label_name"),
    )
    if shape:
        refuse(shape, await actions.check(ctx.session, ctx.workspace, request))
    failures = await actions.apply(ctx.session, ctx.workspace, request)
    if failures:
        return json({"failures": failures})
    return no_content()
