"""``broadcasts.json``: list broadcasts and send one to URNs, contacts and groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.contacts import Ref
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, guarded_list, json, list_page
from sauti.api.rapidpro.errors import refuse
from sauti.api.rapidpro.outgoing import MAX_ATTACHMENTS, MAX_QUICK_REPLIES, QuickReplyBody, quick_replies
from sauti.api.rapidpro.pagination import Ordering
from sauti.api.rapidpro.shapes import ObjectRef
from sauti.domain.broadcasts import queries, service
from sauti.kit.timefmt import format_utc
from sauti.models import Broadcast, Contact, ContactGroup, Workspace

MAX_LANGUAGES = 50


class Progress(BaseModel):
    total: int
    started: int


class BroadcastOut(BaseModel):
    uuid: str = Field(description="the UUID of the broadcast")
    status: str = Field(description="pending, queued, started, completed, failed or interrupted")
    progress: Progress = Field(description="{total, started}: recipients (-1 until known) and messages created")
    urns: list[str] | None = Field(description="the URNs it was sent to (null in anonymous workspaces)")
    contacts: list[ObjectRef] = Field(description="the contacts ({uuid, name})")
    groups: list[ObjectRef] = Field(description="the groups ({uuid, name})")
    text: dict[str, str | None] = Field(description="language code to text")
    attachments: dict[str, list[str]] = Field(description="language code to list of attachments")
    quick_replies: dict[str, list[dict[str, Any]]] = Field(description="language code to list of quick replies")
    base_language: str = Field(description="the language used when a contact's own is missing")
    created_on: str | None = Field(description="when it was created (datetime)")
    id: int = Field(description="deprecated integer id")


endpoint = Endpoint(
    name="broadcasts",
    title="List or Send Broadcasts",
    description=(
        "A broadcast sends one message, in several languages if you like, to URNs, contacts and groups. The "
        "request records it; the worker resolves the recipients and queues their messages in batches."
    ),
    result=BroadcastOut,
)


def _translatable(item: TypeAdapter[Any], what: str) -> BeforeValidator:
    """A value, or an object of language code to value."""

    def check(v: Any) -> Any:
        if isinstance(v, dict):
            if not v:
                raise body.fail(f"{what} translations can't be empty.")
            if len(v) > MAX_LANGUAGES:
                raise body.fail(f"Ensure this field has no more than {MAX_LANGUAGES} languages.")
            try:
                return {str(k): item.validate_python(x) for k, x in v.items()}
            except ValidationError as exc:
                raise body.fail(str(exc.errors()[0]["msg"])) from exc
        try:
            return item.validate_python(v)
        except ValidationError as exc:
            first = exc.errors()[0]
            if first["type"] in ("too_long", "string_too_long") and isinstance(v, str):
                raise body.fail("Ensure this field has no more than 4096 characters.") from exc
            if first["type"] == "too_long":
                raise body.fail(f"Ensure this field has no more than {MAX_ATTACHMENTS} elements.") from exc
            raise body.fail(f"{what} must be given as a value or as an object of language codes.") from exc

    return BeforeValidator(check)


_TEXT = TypeAdapter(Annotated[str, Field(max_length=4096)])
_ATTACHMENTS = TypeAdapter(Annotated[list[str], Field(max_length=MAX_ATTACHMENTS)])
_QUICK = TypeAdapter(Annotated[list[QuickReplyBody], Field(max_length=MAX_QUICK_REPLIES)])


class BroadcastBody(BaseModel):
    urns: Annotated[list[body.Str], Field(max_length=100)] = Field(default_factory=list)
    contacts: Annotated[list[Ref], Field(max_length=100)] = Field(
        default_factory=list, description="contact UUIDs or URNs"
    )
    groups: Annotated[list[Ref], Field(max_length=100)] = Field(
        default_factory=list, description="group UUIDs or names"
    )
    text: Annotated[Any, _translatable(_TEXT, "Text")] = Field(
        default=None, description='a text, or translations such as {"eng": "Hello", "fra": "Bonjour"}'
    )
    attachments: Annotated[Any, _translatable(_ATTACHMENTS, "Attachments")] = Field(
        default=None, description="media UUIDs, or translations of them"
    )
    quick_replies: Annotated[Any, _translatable(_QUICK, "Quick replies")] = Field(
        default=None, description="quick replies, or translations of them"
    )
    base_language: Annotated[body.Str, Field(min_length=3, max_length=3)] | None = None


def render_many_sync(
    rows: Sequence[Broadcast], contacts: dict[int, Contact], groups: dict[int, ContactGroup], ws: Workspace
) -> list[dict[str, Any]]:
    out = []
    for b in rows:
        tr = b.translations or {}
        out.append(
            {
                "uuid": b.uuid,
                "status": b.status,
                "progress": {"total": b.total if b.total > 0 else -1, "started": b.started},
                "urns": None if ws.anon else list(b.urns or []),
                "contacts": [
                    {"uuid": contacts[i].uuid, "name": contacts[i].name} for i in b.contact_ids or [] if i in contacts
                ],
                "groups": [{"uuid": groups[i].uuid, "name": groups[i].name} for i in b.group_ids or [] if i in groups],
                "text": {lang: t.get("text") for lang, t in tr.items()},
                "attachments": {lang: list(t.get("attachments") or []) for lang, t in tr.items()},
                "quick_replies": {lang: list(t.get("quick_replies") or []) for lang, t in tr.items()},
                "base_language": b.base_language,
                "created_on": format_utc(b.created_on),
                "id": b.id,
            }
        )
    return out


async def render_many(session: AsyncSession, ws: Workspace, rows: Sequence[Broadcast]) -> list[dict[str, Any]]:
    contacts, groups = await queries.load_page(session, rows)
    return render_many_sync(rows, contacts, groups, ws)


@endpoint.method(
    "GET",
    Doc(
        summary="List broadcasts, newest first",
        params=(
            Param("uuid", "a broadcast UUID"),
            Param("id", "a broadcast id (deprecated)"),
            Param("before", "only broadcasts created before this date, inclusive"),
            Param("after", "only broadcasts created after this date, inclusive"),
        ),
        example="GET /api/v2/broadcasts.json",
    ),
)
async def get(ctx: Ctx) -> Response:
    req = ctx.request
    broadcast_id = params.int_value(req, "id")

    async def build() -> Any:
        wanted = queries.BroadcastFilter(
            uuid=params.uuid_value(req, "uuid"),
            id=broadcast_id,
            created_before=params.date_value(req, "before"),
            created_after=params.date_value(req, "after"),
        )
        stmt = queries.select_broadcasts(ctx.workspace, wanted)
        return await list_page(ctx, stmt, Ordering(Broadcast.created_on, Broadcast.id), render_many)

    return await guarded_list(build)


def _by_language(value: Any, primary: str) -> dict[str, Any]:
    if value is None:
        return {}
    return dict(value) if isinstance(value, dict) else {primary: value}


@endpoint.method(
    "POST",
    Doc(
        summary="Send a broadcast",
        description="Give at least one of urns, contacts or groups, and text or attachments.",
        body=BroadcastBody,
        example='POST /api/v2/broadcasts.json {"text": "Hello", "groups": ["Reporters"]}',
    ),
)
async def post(ctx: Ctx) -> Response:
    ws = ctx.workspace
    values, shape = body.validate(BroadcastBody, await body.read_object(ctx.request))
    primary = service.primary_language(ws)
    request = service.BroadcastRequest(
        texts=_by_language(values.get("text"), primary),
        attachments=_by_language(values.get("attachments"), primary),
        quick_replies={
            lang: quick_replies(replies) for lang, replies in _by_language(values.get("quick_replies"), primary).items()
        },
        base_language=values.get("base_language"),
        urns=values.get("urns", []),
        contacts=values.get("contacts", []),
        groups=values.get("groups", []),
    )
    if shape:
        refuse(shape, await service.check(ctx.session, ws, request))
    broadcast = await service.send(ctx.session, ws, request, ctx.caller.user)
    return json((await render_many(ctx.session, ws, [broadcast]))[0], 201)
