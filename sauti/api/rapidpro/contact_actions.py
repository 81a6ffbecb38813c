"""``contact_actions.json``: one action on up to 100 contacts at once."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field
from starlette.responses import Response

from sauti.api.rapidpro import body
from sauti.api.rapidpro.contacts import Ref
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, no_content
from sauti.api.rapidpro.errors import refuse
from sauti.domain.contacts import actions

endpoint = Endpoint(
    name="contact_actions",
    title="Bulk Contact Actions",
    description=(
        "Apply one action to up to 100 contacts: `add` or `remove` (with a manual `group`), `block`, "
        "`unblock`, `archive_messages` (archive their incoming messages) or `delete`. Answers 204 with no body."
    ),
)


class ContactActionBody(BaseModel):
    contacts: Annotated[list[Ref], Field(max_length=100)]
    action: Literal["add", "remove", "block", "unblock", "interrupt", "archive_messages", "delete", "archive"]
    group: Ref | None = Field(default=None, description="UUID or name of a manual group (add and remove only)")


@endpoint.method(
    "POST",
    Doc(
        summary="Apply an action to contacts",
        body=ContactActionBody,
        ok={204: None},
        example='POST /api/v2/contact_actions.json {"contacts": ["tel:+250788123123"], "action": "block"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    data = await body.read_object(ctx.request)
    nulls: dict[str, list[str]] = {}
    if data.get("group") == "":  # DRF reads a blank reference as null, and the group may not be null
        del data["group"]
        nulls["group"] = ["This field may not be null."]
    values, shape = body.validate(ContactActionBody, data)
    shape = {**shape, **nulls}
    request = actions.ContactAction(
        contacts=values.get("contacts"), action=values.get("action", ""), group=values.get("group")
    )
    if shape:
        refuse(shape, await actions.check(ctx.session, ctx.workspace, request))
    await actions.apply(ctx.session, ctx.workspace, request)
    return no_content()
