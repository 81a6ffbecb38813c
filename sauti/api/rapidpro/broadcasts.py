"""``broadcasts.json``: list broadcasts and send one to URNs, contacts and groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import pycountry
from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter, ValidationError
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.contacts import Ref
from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, Param, guarded_list, json, list_page
from sauti.api.rapidpro.outgoing import (
    MAX_ATTACHMENTS,
    MAX_QUICK_REPLIES,
    QuickReply,
    check_quick_replies,
    resolve_attachments,
)
from sauti.api.rapidpro.pagination import Ordering
from sauti.domain.broadcasts import queries, service
from sauti.domain.contacts.queries import by_reference as contact_by_reference
from sauti.domain.errors import ErrorCollector
from sauti.domain.groups import queries as group_queries
from sauti.kit import clock, urns
from sauti.kit.timefmt import format_utc
from sauti.models import Broadcast, Contact, ContactGroup, Workspace

MAX_LANGUAGES = 50
NOT_ALLOWED = "Not an allowed ISO 639-3 language code."

endpoint = Endpoint(
    name="broadcasts",
    title="List or Send Broadcasts",
    description=(
        "A broadcast sends one message, in several languages if you like, to URNs, contacts and groups. The "
        "request records it; the worker resolves the recipients and queues their messages in batches."
    ),
    fields=(
        ("uuid", "the UUID of the broadcast"),
        ("status", "pending, queued, started, completed, failed or interrupted"),
        ("progress", "{total, started}: recipients (-1 until known) and messages created"),
        ("urns", "the URNs it was sent to"),
        ("contacts", "the contacts ({uuid, name})"),
        ("groups", "the groups ({uuid, name})"),
        ("text", "language code to text"),
        ("attachments", "language code to list of attachments"),
        ("quick_replies", "language code to list of quick replies"),
        ("base_language", "the language used when a contact's own is missing"),
        ("created_on", "when it was created (datetime)"),
        ("id", "deprecated integer id"),
    ),
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
_QUICK = TypeAdapter(Annotated[list[QuickReply], Field(max_length=MAX_QUICK_REPLIES)])


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


def allowed_language(code: str) -> bool:
    """ISO 639-3 codes that have an ISO 639-1 equivalent."""
    lang = pycountry.languages.get(alpha_3=code) if len(code) == 3 else None
    return lang is not None and hasattr(lang, "alpha_2")


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
    contact_ids = {i for b in rows for i in b.contact_ids or []}
    group_ids = {i for b in rows for i in b.group_ids or []}
    contacts: dict[int, Contact] = {}
    groups: dict[int, ContactGroup] = {}
    if contact_ids:
        found = await session.execute(select(Contact).where(Contact.id.in_(contact_ids)))
        contacts = {c.id: c for c in found.scalars()}
    if group_ids:
        found_groups = await session.execute(select(ContactGroup).where(ContactGroup.id.in_(group_ids)))
        groups = {g.id: g for g in found_groups.scalars()}
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
        stmt = queries.listing(ctx.workspace).where(
            or_(Broadcast.due_on.is_(None), Broadcast.due_on <= clock.now(), Broadcast.status != "pending")
        )
        if (uuid := params.uuid_value(req, "uuid")) is not None:
            stmt = stmt.where(Broadcast.uuid == uuid)
        if broadcast_id is not None:
            stmt = stmt.where(Broadcast.id == broadcast_id)
        if (before := params.date_value(req, "before")) is not None:
            stmt = stmt.where(Broadcast.created_on <= before)
        if (after := params.date_value(req, "after")) is not None:
            stmt = stmt.where(Broadcast.created_on >= after)
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
    errors = ErrorCollector()
    errors.merge(shape)
    primary = ws.languages[0] if ws.languages else "eng"
    texts = _by_language(values.get("text"), primary)
    atts = _by_language(values.get("attachments"), primary)
    quicks = _by_language(values.get("quick_replies"), primary)
    for name, tr in (("text", texts), ("attachments", atts), ("quick_replies", quicks)):
        for lang in tr:
            if not allowed_language(lang):
                errors.add_item(name, lang, NOT_ALLOWED)
    base = values.get("base_language")
    if base is not None and not allowed_language(base):
        errors.add("base_language", NOT_ALLOWED)
    urn_list: list[str] = []
    for i, text in enumerate(values.get("urns", [])):
        try:
            urn = urns.parse_normalized(text, ws.country)
            if urn.scheme not in urns.PUBLIC_SCHEMES:
                raise urns.URNError(text, "internal scheme")
            urn_list.append(urns.to_string(urn))
        except urns.URNError:
            errors.add_item("urns", i, f"Invalid URN: {text}. Ensure phone numbers contain country codes.")
    contact_ids: list[int] = []
    for ref in values.get("contacts", []):
        contact = await contact_by_reference(ctx.session, ws, ref)
        if contact is None:
            errors.add("contacts", f"No such object: {ref}")
        elif contact.id not in contact_ids:
            contact_ids.append(contact.id)
    group_ids: list[int] = []
    for ref in values.get("groups", []):
        group = await group_queries.by_reference(ctx.session, ws, ref)
        if group is None:
            errors.add("groups", f"No such object: {ref}")
        elif group.id not in group_ids:
            group_ids.append(group.id)
    resolved_atts = {lang: await resolve_attachments(ctx.session, ws, refs, errors) for lang, refs in atts.items()}
    resolved_quick = {lang: check_quick_replies(q, errors) for lang, q in quicks.items()}
    errors.raise_if_any()

    if not any(texts.values()) and not any(resolved_atts.values()):
        errors.add("non_field_errors", "Must provide either text or attachments.")
    elif not (urn_list or contact_ids or group_ids):
        errors.add("non_field_errors", "Must provide either urns, contacts or groups.")
    elif base is not None:
        if base not in texts:
            errors.add("non_field_errors", "No text translation provided in base language.")
        elif atts and base not in atts:
            errors.add("non_field_errors", "No attachment translations provided in base language.")
        elif quicks and base not in quicks:
            errors.add("non_field_errors", "No quick_replies translations provided in base language.")
    errors.raise_if_any()

    languages = list(dict.fromkeys([*texts, *resolved_atts, *resolved_quick]))
    translations: dict[str, dict[str, Any]] = {}
    for lang in languages:
        entry: dict[str, Any] = {}
        if lang in texts:
            entry["text"] = texts[lang]
        if lang in resolved_atts:
            entry["attachments"] = resolved_atts[lang]
        if lang in resolved_quick:
            entry["quick_replies"] = resolved_quick[lang]
        translations[lang] = entry
    broadcast = await service.create(
        ctx.session,
        ws,
        translations=translations,
        base_language=base or languages[0],
        urn_list=urn_list,
        contact_ids=contact_ids,
        group_ids=group_ids,
        user=ctx.caller.user,
    )
    return json((await render_many(ctx.session, ws, [broadcast]))[0], 201)
