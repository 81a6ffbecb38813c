"""``/api/messages``: messages sent and received (the same messages API v2 lists). Sending one queues it for the
outbox, now or at ``deliver_at``; a message that still waits can be deleted.

Note the path: ``GET /api/messages/{id}`` takes a **contact** id (that contact's conversation), while ``PUT`` and
``DELETE`` on the same path take a **message** id, as the TextUs documentation has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.textus import contacts, paging
from sauti.api.textus.errors import naming
from sauti.api.textus.params import Params, path_id
from sauti.api.textus.render import ok
from sauti.api.textus.resource import LIST, Ctx, Doc, Param, Resource
from sauti.domain.errors import NotFound
from sauti.domain.media import service as media_service
from sauti.domain.messages import compose, queries
from sauti.domain.messages.parties import facts
from sauti.models import Message, Workspace
from sauti.payloads import textus


class MessageOut(BaseModel):
    read: bool = Field(description="marked read")
    broadcast_id: int | None
    status: str = Field(description="created, sent, delivered, failed or received")
    deliver_at: str | None = Field(description="when a scheduled message goes")
    from_autoresponse: bool | None = Field(description="true for an auto reply's answer")
    id: int
    created_at: str | None
    updated_at: str | None
    sender_id: int
    receiver_id: int
    sender_type: str = Field(description="User, Contact or Account")
    receiver_type: str = Field(description="Contact or Account")
    content: str
    sender_phone: str | None
    sender_name: str | None
    sender_email: str | None
    receiver_phone: str | None
    receiver_name: str | None
    image_url: str | None
    thumb_url: str | None
    media_urls: list[str] | None


resource = Resource(
    name="messages",
    title="Messages",
    description=(
        "Messages to and from your contacts, newest first. Sending queues the message for the channel (now or "
        "at deliver_at); a number that opted out or is blocked is refused."
    ),
    result=MessageOut,
)


async def render_many(session: AsyncSession, ws: Workspace, rows: Sequence[Message]) -> list[dict[str, Any]]:
    """A page of messages in at most four queries."""
    return [textus.message(f) for f in await facts(session, ws, rows)]


async def _one(ctx: Ctx, message: Message, status: int = 200) -> Response:
    return ok((await render_many(ctx.session, ctx.workspace, [message]))[0], status)


async def _message(ctx: Ctx) -> Message:
    found = await queries.by_id(ctx.session, ctx.workspace, path_id(ctx.request))
    if found is None:
        raise NotFound("message", str(ctx.request.path_params.get("id")))
    return found


async def _page(ctx: Ctx, params: Params, wanted: queries.MessageFilter) -> Response:
    stmt = await queries.select_messages(ctx.session, ctx.workspace, wanted)
    assert stmt is not None  # only unknown folders, contacts or labels make it None

    async def serialize(session: AsyncSession, rows: Sequence[Any]) -> list[Any]:
        return await render_many(session, ctx.workspace, rows)

    return await paging.listing(ctx.request, ctx.session, params, stmt, serialize)


@resource.route(
    "GET",
    "/api/messages",
    Doc(
        summary="List all messages for the current account",
        returns=LIST,
        params=(
            *paging.PARAMS,
            Param("q", "string", "search: part of the message text"),
            Param("last_message_to_each_contact", "boolean", "only the latest message of each contact"),
            Param("scope", "string", "flagged, unread, with_notes or scheduled"),
        ),
        errors=(400,),
    ),
)
async def list_messages(ctx: Ctx, params: Params) -> Response:
    wanted = queries.MessageFilter(
        text=params.string("q"),
        latest_per_contact=bool(params.boolean("last_message_to_each_contact")),
        scope=params.string("scope") or None,
        newest_first=True,
    )
    return await _page(ctx, params, wanted)


@resource.route(
    "POST",
    "/api/messages",
    Doc(
        summary="Create and send a message",
        status=201,
        params=(
            Param("sender", "string", "the sending user's id or email address", required=True),
            Param(
                "receiver",
                "string",
                "the contact's id, or a phone number in international format (+...); a number nobody has becomes "
                "a new contact without a name",
                required=True,
            ),
            Param("content", "string", "the text"),
            Param("deliver_at", "datetime", "when to send it (to schedule it)"),
            Param("file", "file", "an image to send with it (multipart)"),
        ),
        errors=(400, 422),
    ),
)
async def send_message(ctx: Ctx, params: Params) -> Response:
    params.require("sender", "receiver")
    sender, receiver = params.id_or_text("sender"), params.id_or_text("receiver")
    assert sender is not None and receiver is not None
    attachments: list[str] = []
    upload = params.file("file")
    if upload is not None:
        settings = ctx.request.app.state.settings
        stored = await media_service.create(
            ctx.session,
            ctx.workspace,
            data_dir=Path(settings.data_dir),
            base_url=settings.callback_base,
            filename=upload.filename,
            content_type=upload.content_type,
            content=upload.content,
        )
        attachments.append(media_service.attachment(stored))
    req = compose.Composed(
        sender=sender,
        receiver=receiver,
        text=params.string("content") or "",
        attachments=attachments,
        deliver_at=params.datetime("deliver_at"),
    )
    with naming(text="content"):
        message = await compose.send(ctx.session, ctx.workspace, req)
    return await _one(ctx, message, 201)


@resource.route(
    "GET",
    "/api/messages/{id}",
    Doc(
        summary="List all messages to and from the specified contact",
        description="The id here is a contact id.",
        returns=LIST,
        params=paging.PARAMS,
        errors=(400, 404),
    ),
)
async def conversation(ctx: Ctx, params: Params) -> Response:
    contact = await contacts.get_contact(ctx, path_id(ctx.request))
    return await _page(ctx, params, queries.MessageFilter(contact_id=contact.id, newest_first=True))


READ = Doc(
    summary="Update a message's read status",
    params=(Param("read", "boolean", "true to mark it read, false unread", required=True),),
    errors=(400, 404),
)


async def mark_read(ctx: Ctx, params: Params) -> Response:
    message = await _message(ctx)
    params.require("read")
    read = params.boolean("read")
    assert read is not None
    return await _one(ctx, await compose.mark_read(ctx.session, message, read))


resource.route("PUT", "/api/messages/{id}", READ)(mark_read)
resource.route("PATCH", "/api/messages/{id}", READ)(mark_read)


@resource.route(
    "DELETE",
    "/api/messages/{id}",
    Doc(
        summary="Delete a scheduled message",
        description="Only while it still waits to be sent.",
        errors=(404, 422),
    ),
)
async def delete_message(ctx: Ctx, params: Params) -> Response:
    message = await _message(ctx)
    shown = (await render_many(ctx.session, ctx.workspace, [message]))[0]
    await compose.unschedule(ctx.session, ctx.workspace, message)
    return ok(shown)
