"""``messages.json``: list messages by folder, label, contact or broadcast; send one message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.contacts import Ref
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, empty_page, guarded_list, json, list_page
from sauti.api.rapidpro.errors import refuse
from sauti.api.rapidpro.outgoing import MAX_ATTACHMENTS, MAX_QUICK_REPLIES, QuickReplyBody, quick_replies
from sauti.api.rapidpro.pagination import Ordering
from sauti.api.rapidpro.shapes import ObjectRef
from sauti.domain.flows import queries as flow_queries
from sauti.domain.messages import queries, send
from sauti.kit.timefmt import format_utc
from sauti.models import Message, Workspace

STATUS_WORDS = {"pending": "queued", "initializing": "queued", "queued": "queued", "sending": "queued"}


class Attachment(BaseModel):
    content_type: str
    url: str


class MessageOut(BaseModel):
    uuid: str = Field(description="the UUID of the message")
    contact: ObjectRef | None = Field(description="the contact ({uuid, name})")
    urn: str | None = Field(description="the URN it was sent to or received from")
    channel: ObjectRef | None = Field(description="the channel ({uuid, name}) or null")
    direction: str = Field(description="in or out")
    type: str = Field(description="text")
    status: str = Field(description="queued, handled, wired, sent, delivered, read, errored or failed")
    archived: bool = Field(description="deprecated: visibility is archived")
    visibility: str = Field(description="visible or archived")
    text: str = Field(description="the text")
    labels: list[ObjectRef] = Field(description="labels ({uuid, name}) on an incoming message")
    flow: ObjectRef | None = Field(description="the flow it belongs to, or null")
    attachments: list[Attachment] = Field(description="list of {content_type, url}")
    quick_replies: list[dict[str, Any]] = Field(description="list of {type, text, extra}")
    created_on: str | None = Field(description="when it was created (datetime)")
    sent_on: str | None = Field(description="when it was sent (datetime or null)")
    modified_on: str | None = Field(description="when it last changed (datetime)")
    media: str | None = Field(description="deprecated: the first attachment as content/type:url")
    id: int = Field(description="deprecated integer id (message_actions accepts it)")
    broadcast: int | None = Field(description="deprecated broadcast id, or null")


endpoint = Endpoint(
    name="messages",
    title="List or Send Messages",
    scope="v2.messages",
    description=(
        "Messages sent and received. Filter by one of `folder` (inbox, flows, archived, outbox, sent, failed), "
        "`contact`, `label` or `broadcast`. POST sends a message to one contact: it is queued at once and "
        "delivered by the outbox."
    ),
    result=MessageOut,
)


class MessageBody(BaseModel):
    contact: Ref = Field(description="a contact UUID or URN")
    text: Annotated[body.Str, Field(max_length=4096)] | None = None
    attachments: Annotated[list[body.Str], Field(max_length=MAX_ATTACHMENTS)] = Field(
        default_factory=list, description="media UUIDs from media.json"
    )
    quick_replies: Annotated[list[QuickReplyBody], Field(max_length=MAX_QUICK_REPLIES)] = Field(default_factory=list)


def _attachment(a: str) -> dict[str, str]:
    ctype, _, url = a.partition(":")
    return {"content_type": ctype, "url": url}


async def render_many(session: AsyncSession, ws: Workspace, rows: Sequence[Message]) -> list[dict[str, Any]]:
    data = await queries.load_page(session, rows)
    flows = await flow_queries.load_flow_refs(session, (m.flow_id for m in rows if m.flow_id))
    out = []
    for m in rows:
        contact = data.contacts.get(m.contact_id)
        urn = data.urns.get(m.contact_urn_id) if m.contact_urn_id else None
        channel = data.channels.get(m.channel_id) if m.channel_id else None
        out.append(
            {
                "uuid": m.uuid,
                "contact": {"uuid": contact.uuid, "name": contact.name} if contact else None,
                "urn": None if ws.anon or urn is None else f"{urn.scheme}:{urn.path}",
                "channel": {"uuid": channel.uuid, "name": channel.name} if channel else None,
                "direction": m.direction,
                "type": m.msg_type,
                "status": STATUS_WORDS.get(m.status, m.status),
                "archived": m.visibility == "archived",
                "visibility": m.visibility,
                "text": m.text,
                "labels": [{"uuid": lb.uuid, "name": lb.name} for lb in data.labels.get(m.id, [])],
                "flow": {"uuid": flows[m.flow_id].uuid, "name": flows[m.flow_id].name} if m.flow_id in flows else None,
                "attachments": [_attachment(a) for a in m.attachments or []],
                "quick_replies": list(m.quick_replies or []),
                "created_on": format_utc(m.created_on),
                "sent_on": format_utc(m.sent_on),
                "modified_on": format_utc(m.modified_on),
                "media": m.attachments[0] if m.attachments else None,
                "id": m.id,
                "broadcast": m.broadcast_id,
            }
        )
    return out


@endpoint.method(
    "GET",
    Doc(
        summary="List messages, newest first",
        params=(
            Param("uuid", "a message UUID"),
            Param("id", "a message id (deprecated)"),
            Param("folder", "inbox, flows, archived, outbox, sent or failed"),
            Param("contact", "a contact UUID"),
            Param("label", "a label name or UUID"),
            Param("broadcast", "a broadcast id (deprecated)"),
            Param("before", "only messages created before this date, inclusive"),
            Param("after", "only messages created after this date, inclusive"),
        ),
        example="GET /api/v2/messages.json?folder=inbox",
    ),
)
async def get(ctx: Ctx) -> Response:
    req = ctx.request
    ws = ctx.workspace
    params.exclusive(req, "contact", "folder", "label", "broadcast")
    msg_id = params.int_value(req, "id")
    broadcast = params.int_value(req, "broadcast")

    async def build() -> Any:
        wanted = queries.MessageFilter(
            folder=params.value(req, "folder"),
            uuid=params.uuid_value(req, "uuid"),
            id=msg_id,
            contact=params.value(req, "contact"),
            label=params.value(req, "label"),
            broadcast_id=broadcast,
            created_before=params.date_value(req, "before"),
            created_after=params.date_value(req, "after"),
        )
        stmt, values = await queries.listed_messages(ctx.session, ws, wanted)
        if stmt is None:
            return empty_page()
        ordering = Ordering(Message.sent_on if wanted.by_sent_time else Message.created_on, Message.id)
        return await list_page(ctx, stmt, ordering, render_many, values)

    return await guarded_list(build)


@endpoint.method(
    "POST",
    Doc(
        summary="Send a message to one contact",
        body=MessageBody,
        example='POST /api/v2/messages.json {"contact": "tel:+250788123123", "text": "Hello"}',
    ),
)
async def post(ctx: Ctx) -> Response:
    ws = ctx.workspace
    values, shape = body.validate(MessageBody, await body.read_object(ctx.request))
    request = send.MessageRequest(
        contact=values.get("contact"),
        text=values.get("text") or "",
        attachments=values.get("attachments", []),
        quick_replies=quick_replies(values.get("quick_replies", [])),
    )
    if shape:
        refuse(shape, await send.check(ctx.session, ws, request))
    message = await send.send(ctx.session, ws, request, ctx.caller.user)
    return json((await render_many(ctx.session, ws, [message]))[0], 201)
