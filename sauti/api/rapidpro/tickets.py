"""``tickets.json``: the workspace's tickets, most recently changed first.

DECISION: ``uuid`` must be a UUID (400 otherwise, as other UUID filters answer; upstream leaves it unchecked);
``contact`` is not checked: one that names no contact gives an empty page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import params
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, list_page
from sauti.api.rapidpro.pagination import Ordering
from sauti.api.rapidpro.shapes import ObjectRef
from sauti.domain.tickets import queries
from sauti.kit.timefmt import format_utc
from sauti.models import Ticket, User, Workspace


class UserRef(BaseModel):
    email: str
    name: str


class TicketOut(BaseModel):
    uuid: str = Field(description="the UUID of the ticket (string)")
    contact: ObjectRef = Field(description="the contact ({uuid, name})")
    status: str = Field(description="open or closed")
    topic: ObjectRef = Field(description="the topic ({uuid, name})")
    body: None = Field(description="deprecated, always null")
    assignee: UserRef | None = Field(description="the user it is assigned to ({email, name}), or null")
    opened_on: str = Field(description="when it was opened (datetime)")
    opened_by: UserRef | None = Field(description="the user who opened it, or null when a flow did")
    opened_in: ObjectRef | None = Field(description="the flow that opened it ({uuid, name}), or null")
    modified_on: str = Field(description="when it last changed (datetime)")
    closed_on: str | None = Field(description="when it was closed (datetime), or null")


endpoint = Endpoint(
    name="tickets",
    title="List Tickets",
    description=(
        "Tickets are opened for contacts by flows (the `open_ticket` action; a contact has at most one open "
        "ticket) and changed with `ticket_actions`. Most recently modified first; `reverse=true` lists the oldest "
        "first."
    ),
    result=TicketOut,
)


def user_ref(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"email": user.email, "name": f"{user.first_name or ''} {user.last_name or ''}".strip()}


def render(t: Ticket, page: queries.TicketPage) -> dict[str, Any]:
    contact = page.contacts[t.contact_id]
    topic = page.topics[t.topic_id]
    flow = page.flows.get(t.opened_in_id) if t.opened_in_id is not None else None
    return {
        "uuid": t.uuid,
        "contact": {"uuid": contact.uuid, "name": contact.name},
        "status": t.status,
        "topic": {"uuid": topic.uuid, "name": topic.name},
        "body": None,
        "assignee": user_ref(page.users.get(t.assignee_id) if t.assignee_id is not None else None),
        "opened_on": format_utc(t.opened_on),
        "opened_by": user_ref(page.users.get(t.opened_by_id) if t.opened_by_id is not None else None),
        "opened_in": {"uuid": flow.uuid, "name": flow.name} if flow is not None else None,
        "modified_on": format_utc(t.modified_on),
        "closed_on": format_utc(t.closed_on) if t.closed_on is not None else None,
    }


async def _serialize(session: AsyncSession, ws: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
    page = await queries.load_page(session, ws, rows)
    return [render(t, page) for t in rows]


@endpoint.method(
    "GET",
    Doc(
        summary="List tickets, most recently modified first",
        params=(
            Param("uuid", "a ticket UUID"),
            Param("contact", "a contact UUID"),
            Param("reverse", "true to list the oldest modified first"),
        ),
        example="GET /api/v2/tickets.json?contact=f1ea776e-c923-4c1a-b3a3-0c466932b2cc",
    ),
)
async def get(ctx: Ctx) -> Response:
    req = ctx.request
    wanted = queries.TicketFilter(uuid=params.uuid_value(req, "uuid"), contact=params.value(req, "contact"))
    ordering = Ordering(Ticket.modified_on, Ticket.id, descending=not params.flag(req, "reverse"))
    return await list_page(ctx, queries.select_tickets(ctx.workspace, wanted), ordering, _serialize)
