"""``ticket_actions.json``: one action on up to 100 tickets at once."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field
from starlette.responses import Response

from sauti.api.rapidpro import body
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, json, no_content
from sauti.api.rapidpro.errors import refuse
from sauti.api.rapidpro.shapes import Failures
from sauti.domain.tickets import service

endpoint = Endpoint(
    name="ticket_actions",
    title="Bulk Ticket Actions",
    description=(
        "Apply one action to up to 100 tickets, given by UUID: `assign` (with the `assignee`'s email, or null to "
        "unassign), `add_note` (with a `note`), `change_topic` (with a `topic` UUID), `close` or `reopen`. Answers "
        '204 with no body when every ticket changed, otherwise 200 with `{"failures": [...]}` listing the ones '
        "that didn't (closing a closed ticket, reopening one whose contact has another open ticket ...); the "
        "others are still changed."
    ),
)


class TicketActionBody(BaseModel):
    tickets: Annotated[list[body.Str], Field(max_length=100)] = Field(description="ticket UUIDs")
    action: Literal["assign", "add_note", "change_topic", "close", "reopen"]
    assignee: body.Str | None = Field(default=None, description="email of a workspace user, or null (assign)")
    note: Annotated[body.Str, Field(max_length=10_000)] | None = Field(default=None, description="(add_note)")
    topic: body.Str | None = Field(default=None, description="a topic UUID (change_topic)")


@endpoint.method(
    "POST",
    Doc(
        summary="Apply an action to tickets",
        body=TicketActionBody,
        ok={204: None, 200: Failures},
        example='POST /api/v2/ticket_actions.json {"tickets": ["9a8b001e-a913-486c-80f4-1356e23f582e"], '
        '"action": "close"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    data = await body.read_object(ctx.request)
    values, shape = body.validate(TicketActionBody, data)
    request = service.TicketAction(
        tickets=values.get("tickets", []),
        action=values.get("action", ""),
        assignee=values.get("assignee"),
        assignee_given="assignee" in data,
        note=values.get("note"),
        topic=values.get("topic"),
    )
    if shape:
        refuse(shape, await service.check(ctx.session, ctx.workspace, request))
    failures = await service.apply(ctx.session, ctx.workspace, request, user=ctx.caller.user)
    if failures:
        return json({"failures": failures})
    return no_content()
