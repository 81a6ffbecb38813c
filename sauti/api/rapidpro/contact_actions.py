"""``contact_actions.json``: one action on up to 100 contacts at once."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field
from starlette.responses import Response

from sauti.api.rapidpro import body
from sauti.api.rapidpro.contacts import Ref
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, no_content
from sauti.domain.contacts import service
from sauti.domain.errors import ErrorCollector
from sauti.domain.groups import queries as group_queries
from sauti.domain.messages import inbox
from sauti.domain.scope import scoped
from sauti.kit import urns
from sauti.models import Contact, ContactGroup, ContactURN

GROUP_ACTIONS = ("add", "remove")
# actions whose machinery arrives with later issues: refused with a clear 400, never a silent success
NOT_YET = {"interrupt": "flows"}

endpoint = Endpoint(
    name="contact_actions",
    title="Bulk Contact Actions",
    description=(
        "Apply one action to up to 100 contacts: `add` or `remove` (with a manual `group`), `block`, "
        "`unblock`, `archive_messages` (archive their incoming messages) or `delete`. Answers 204 with no body."
    ),
)


class ActionBody(BaseModel):
    contacts: Annotated[list[Ref], Field(max_length=100)]
    action: Literal["add", "remove", "block", "unblock", "interrupt", "archive_messages", "delete", "archive"]
    group: Ref | None = Field(default=None, description="UUID or name of a manual group (add and remove only)")


async def _resolve_contacts(ctx: Ctx, refs: list[str], errors: ErrorCollector) -> list[Contact]:
    """Contacts by UUID or URN (URNs normalised without the workspace country); active, not deleted."""
    found: list[Contact] = []
    seen: set[int] = set()
    for ref in refs:
        contact = None
        if ":" in ref:
            try:
                identity = urns.identity(urns.parse_normalized(ref, None))
            except urns.URNError:
                identity = None
            if identity is not None:
                contact = (
                    await ctx.session.execute(
                        scoped(Contact, ctx.workspace)
                        .join(ContactURN, ContactURN.contact_id == Contact.id)
                        .where(ContactURN.identity == identity, Contact.is_active)
                    )
                ).scalar()
        else:
            contact = (
                await ctx.session.execute(scoped(Contact, ctx.workspace).where(Contact.uuid == ref, Contact.is_active))
            ).scalar()
        if contact is None:
            errors.add("contacts", f"No such object: {ref}")
        elif contact.id not in seen:
            seen.add(contact.id)
            found.append(contact)
    return found


@endpoint.method(
    "POST",
    Doc(
        summary="Apply an action to contacts",
        body=ActionBody,
        example='POST /api/v2/contact_actions.json {"contacts": ["tel:+250788123123"], "action": "block"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    data = await body.read_object(ctx.request)
    if data.get("group") == "":
        data["group"] = None
        group_blank = True
    else:
        group_blank = False
    values, shape = body.validate(ActionBody, data)
    errors = ErrorCollector()
    errors.merge(shape)
    contacts: list[Contact] = []
    if "contacts" in values:
        if not values["contacts"]:
            errors.add("contacts", "Contacts can't be empty.")
        else:
            contacts = await _resolve_contacts(ctx, values["contacts"], errors)
    action = values.get("action")
    group_ref = values.get("group")
    group: ContactGroup | None = None
    if group_blank:
        errors.add("group", "This field may not be null.")
    elif group_ref is not None:
        group = await group_queries.by_reference(ctx.session, ctx.workspace, group_ref)
        if group is None:
            errors.add("group", f"No such object: {group_ref}")
        elif group.group_type != "manual":
            errors.add("group", f"Contact group must not be query based: {group_ref}")
    if action in NOT_YET:
        errors.add("action", f'Action "{action}" is not supported yet: it arrives with {NOT_YET[action]}.')
    errors.raise_if_any()
    if action in GROUP_ACTIONS and group_ref is None and not group_blank:
        errors.add("non_field_errors", f'For action "{action}" you should also specify a group')
    elif action not in GROUP_ACTIONS and (group_ref is not None or group_blank):
        errors.add("non_field_errors", f'For action "{action}" you should not specify a group')
    errors.raise_if_any()

    if action in GROUP_ACTIONS:
        assert group is not None
        await service.change_group(ctx.session, ctx.workspace, contacts, group, add=action == "add")
    elif action == "block":
        await service.set_status(ctx.session, ctx.workspace, contacts, "blocked")
    elif action == "unblock":
        await service.set_status(ctx.session, ctx.workspace, contacts, "active")
    elif action == "delete":
        await service.delete_contacts(ctx.session, ctx.workspace, contacts)
    elif action in ("archive_messages", "archive"):
        await inbox.archive_all_incoming(ctx.session, ctx.workspace, [c.id for c in contacts])
    return no_content()
