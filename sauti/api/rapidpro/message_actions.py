"""``message_actions.json``: one action on up to 100 incoming messages at once."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema
from starlette.responses import Response

from sauti.api.rapidpro import body
from sauti.api.rapidpro.contacts import Ref
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, json, no_content
from sauti.domain.errors import ErrorCollector
from sauti.domain.labels import queries as label_queries
from sauti.domain.labels import service as label_service
from sauti.domain.messages import actions
from sauti.domain.names import check_name
from sauti.models import Label

LABEL_ACTIONS = ("label", "unlabel")

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


class ActionBody(BaseModel):
    messages: Annotated[list[MessageRef], Field(max_length=100)] = Field(
        description="message ids (integers) or message UUIDs"
    )
    action: Literal["label", "unlabel", "archive", "restore", "delete"]
    label: Ref | None = Field(default=None, description="UUID or name of an existing label (label and unlabel)")
    label_name: Annotated[body.Str, Field(max_length=64)] | None = Field(
        default=None, description="name of a label: created if missing when labelling, ignored if missing otherwise"
    )


def _pop_nulls(data: dict[str, Any], errors: ErrorCollector) -> None:
    """DRF reads a blank reference as null, and neither label field may be null."""
    if "label" in data and data["label"] in (None, ""):
        del data["label"]
        errors.add("label", "This field may not be null.")
    if "label_name" in data and data["label_name"] is None:
        del data["label_name"]
        errors.add("label_name", "This field may not be null.")


@endpoint.method(
    "POST",
    Doc(
        summary="Apply an action to messages",
        body=ActionBody,
        example='POST /api/v2/message_actions.json {"messages": [1234, 1235], "action": "label", "label": "Important"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    session, ws = ctx.session, ctx.workspace
    data = await body.read_object(ctx.request)
    errors = ErrorCollector()
    _pop_nulls(data, errors)
    values, shape = body.validate(ActionBody, data)
    errors.merge(shape)

    found = actions.Found()
    if "messages" in values:
        found = await actions.find(session, ws, values["messages"])
        if (outgoing := actions.first_outgoing(found)) is not None:
            errors.add("messages", f"Not an incoming message: {outgoing}")
    label: Label | None = None
    if (label_ref := values.get("label")) is not None:
        label = await label_queries.by_reference(session, ws, label_ref)
        if label is None:
            errors.add("label", f"No such object: {label_ref}")
    label_name: str | None = values.get("label_name")
    if label_name is not None:
        check_name(label_name, errors, "label_name")
    errors.raise_if_any()

    action = values["action"]
    if label_ref is not None and label_name is not None:
        errors.add("non_field_errors", "Can't specify both label and label_name.")
    elif action in LABEL_ACTIONS and label_ref is None and label_name is None:
        errors.add("non_field_errors", f'For action "{action}" you should also specify a label')
    elif action not in LABEL_ACTIONS and (label_ref is not None or label_name is not None):
        errors.add("non_field_errors", f'For action "{action}" you should not specify a label')
    errors.raise_if_any()

    messages = found.messages
    if action == "label":
        if label is None:
            assert label_name is not None
            label = await label_service.get_or_create(session, ws, label_name, field="label_name")
        await actions.label(session, messages, label)
    elif action == "unlabel":
        if label is None:
            assert label_name is not None
            label = await label_queries.by_name(session, ws, label_name)
        if label is not None:
            await actions.unlabel(session, messages, label)
    elif action == "archive":
        await actions.archive(session, messages)
    elif action == "restore":
        await actions.restore(session, messages)
    else:
        await actions.delete(session, messages)
    if found.failures:
        return json({"failures": found.failures})
    return no_content()
