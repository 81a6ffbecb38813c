"""Recording broadcasts, and expanding them into messages a batch at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pycountry
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import plain
from sauti.domain.contacts import service as contacts
from sauti.domain.contacts.queries import by_references as contacts_by_references
from sauti.domain.contacts.reachability import tel_phones
from sauti.domain.errors import GENERAL, ErrorCollector, Invalid, Problem
from sauti.domain.groups.queries import by_id as group_by_id
from sauti.domain.groups.queries import by_references as groups_by_references
from sauti.domain.messages.compose import sender_of
from sauti.domain.messages.content import QuickReply, check_quick_replies, resolve_attachments
from sauti.domain.messages.send import Content, queue_many
from sauti.domain.scope import owned_by
from sauti.domain.signatures.service import signed
from sauti.domain.templates.render import render, values_for
from sauti.kit import clock, urns
from sauti.models import Broadcast, Contact, GroupMember, User, Workspace

BATCH = 5000  # recipients per expansion transaction
DEFAULT_LANGUAGE = "eng"


def primary_language(workspace: Workspace) -> str:
    """The language untranslated content is written in: the workspace's first language."""
    return workspace.languages[0] if workspace.languages else DEFAULT_LANGUAGE


def allowed_language(code: str) -> bool:
    """Translations are keyed by ISO 639-3 codes that have an ISO 639-1 equivalent."""
    lang = pycountry.languages.get(alpha_3=code) if len(code) == 3 else None
    return lang is not None and hasattr(lang, "alpha_2")


@dataclass(frozen=True)
class BroadcastRequest:
    """A broadcast as a caller asks for it: content per language, recipients by reference."""

    texts: Mapping[str, str] = field(default_factory=dict)
    attachments: Mapping[str, Sequence[str]] = field(default_factory=dict)  # media references per language
    quick_replies: Mapping[str, Sequence[QuickReply]] = field(default_factory=dict)
    base_language: str | None = None
    urns: Sequence[str] = ()
    contacts: Sequence[str] = ()  # UUIDs or URNs
    groups: Sequence[str] = ()  # UUIDs or names
    due_on: datetime | None = None


@dataclass
class _Resolved:
    urns: list[str] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    attachments: dict[str, list[str]] = field(default_factory=dict)
    quick_replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


async def _resolve(
    session: AsyncSession, workspace: Workspace, req: BroadcastRequest, errors: ErrorCollector
) -> _Resolved:
    out = _Resolved()
    for name, translations in (
        ("text", req.texts),
        ("attachments", req.attachments),
        ("quick_replies", req.quick_replies),
    ):
        for lang in translations:
            if not allowed_language(lang):
                errors.add(name, "language_not_allowed", lang, value=lang)
    if req.base_language is not None and not allowed_language(req.base_language):
        errors.add("base_language", "language_not_allowed", value=req.base_language)
    for i, text in enumerate(req.urns):
        try:
            urn = urns.parse_normalized(text, workspace.country)
            if urn.scheme not in urns.PUBLIC_SCHEMES:
                raise urns.URNError(text, "internal scheme")
            out.urns.append(urns.to_string(urn))
        except urns.URNError:
            errors.add("urns", "invalid_urn", i, value=text)
    found_contacts = await contacts_by_references(session, workspace, req.contacts)
    for ref in req.contacts:
        contact = found_contacts.get(ref)
        if contact is None:
            errors.add("contacts", "no_such_object", ref=ref)
        elif contact.id not in out.contact_ids:
            out.contact_ids.append(contact.id)
    found_groups = await groups_by_references(session, workspace, req.groups)
    for ref in req.groups:
        group = found_groups.get(ref)
        if group is None:
            errors.add("groups", "no_such_object", ref=ref)
        elif group.id not in out.group_ids:
            out.group_ids.append(group.id)
    for lang, refs in req.attachments.items():
        out.attachments[lang] = await resolve_attachments(session, workspace, refs, errors)
    for lang, replies in req.quick_replies.items():
        out.quick_replies[lang] = check_quick_replies(replies, errors)
    return out


async def check(session: AsyncSession, workspace: Workspace, req: BroadcastRequest) -> list[Problem]:
    """The problems with the request's languages, recipients and parts (what a dialect reports beside its
    own)."""
    errors = ErrorCollector()
    await _resolve(session, workspace, req, errors)
    return errors.problems


async def send(
    session: AsyncSession, workspace: Workspace, req: BroadcastRequest, user: User | None = None
) -> Broadcast:
    """Validate and record a broadcast (the worker expands it). It needs text or attachments, at least one
    recipient, and, when a base language is named, that language's translation of every part given."""
    errors = ErrorCollector()
    found = await _resolve(session, workspace, req, errors)
    errors.raise_if_any()
    base = req.base_language
    if not any(req.texts.values()) and not any(found.attachments.values()):
        errors.add(GENERAL, "missing_content")
    elif not (found.urns or found.contact_ids or found.group_ids):
        errors.add(GENERAL, "missing_recipients")
    elif base is not None:
        if base not in req.texts:
            errors.add(GENERAL, "base_language_missing", part="text")
        elif req.attachments and base not in req.attachments:
            errors.add(GENERAL, "base_language_missing", part="attachments")
        elif req.quick_replies and base not in req.quick_replies:
            errors.add(GENERAL, "base_language_missing", part="quick_replies")
    errors.raise_if_any()
    languages = list(dict.fromkeys([*req.texts, *found.attachments, *found.quick_replies]))
    translations: dict[str, dict[str, Any]] = {}
    for lang in languages:
        entry: dict[str, Any] = {}
        if lang in req.texts:
            entry["text"] = req.texts[lang]
        if lang in found.attachments:
            entry["attachments"] = found.attachments[lang]
        if lang in found.quick_replies:
            entry["quick_replies"] = found.quick_replies[lang]
        translations[lang] = entry
    return await create(
        session,
        workspace,
        translations=translations,
        base_language=base or languages[0],
        urn_list=found.urns,
        contact_ids=found.contact_ids,
        group_ids=found.group_ids,
        user=user,
        due_on=req.due_on,
    )


async def create(
    session: AsyncSession,
    workspace: Workspace,
    *,
    translations: Mapping[str, Mapping[str, Any]],
    base_language: str,
    urn_list: Sequence[str] = (),
    contact_ids: Sequence[int] = (),
    group_ids: Sequence[int] = (),
    user: User | None = None,
    due_on: datetime | None = None,
) -> Broadcast:
    """Record a broadcast; nothing is sent here. The worker resolves recipients once it is due."""
    now = clock.now()
    broadcast = Broadcast(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        status="pending" if due_on is not None and due_on > now else "queued",
        translations={k: dict(v) for k, v in translations.items()},
        base_language=base_language,
        urns=list(urn_list),
        contact_ids=list(contact_ids),
        urn_contact_ids=[],
        group_ids=list(group_ids),
        high_priority=False,
        total=-1,
        started=0,
        expand_cursor=0,
        created_by_id=user.id if user else None,
        group_id=group_ids[0] if group_ids else None,
        due_on=due_on or now,  # the worker claims waiting broadcasts in due order
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


def _recipients(broadcast: Broadcast) -> Any:
    """Active contacts among the broadcast's contacts and the members of its groups."""
    conds: list[Any] = []
    explicit = [*broadcast.contact_ids, *broadcast.urn_contact_ids]
    if explicit:
        conds.append(Contact.id.in_(explicit))
    if broadcast.group_ids:
        members = select(GroupMember.contact_id).where(
            GroupMember.group_id.in_(list(broadcast.group_ids)), GroupMember.contact_id == Contact.id
        )
        conds.append(members.exists())
    if not conds:
        return None
    # plain columns: what queuing reads, and what a template's placeholders name
    return select(
        Contact.id,
        Contact.language,
        Contact.is_active,
        Contact.status,
        Contact.name,
        Contact.first_name,
        Contact.last_name,
        Contact.business_name,
    ).where(
        Contact.workspace_id == broadcast.workspace_id,
        Contact.is_active,
        Contact.status == "active",
        or_(*conds),
    )


def content_for(broadcast: Broadcast, language: str | None) -> Content:
    """The translation in the contact's language when there is one, else the base language."""
    lang = language if language in broadcast.translations else broadcast.base_language
    tr = broadcast.translations.get(lang) or {}
    return Content(
        text=tr.get("text") or "",
        attachments=tuple(tr.get("attachments") or ()),
        quick_replies=tuple(tr.get("quick_replies") or ()),
    )


MAX_GROUP_TEXT = 1600


@dataclass(frozen=True)
class GroupBroadcast:
    """One text from a workspace user to the members of one group (how TextUs broadcasts): ``sender`` a user
    by id or email, ``due_on`` when to send it (the past or ``None``: now)."""

    sender: int | str
    group_id: int
    text: str
    due_on: datetime | None = None
    from_template: bool = False


async def send_to_group(session: AsyncSession, workspace: Workspace, req: GroupBroadcast) -> Broadcast:
    """Record the broadcast (the worker expands it at its due time) in the workspace's first language, with
    the active signature appended and its {{ placeholders }} rendered per contact at expansion. Members who
    cannot be texted then (opted out, blocked, deleted) are skipped."""
    errors = ErrorCollector()
    user = await sender_of(session, workspace, req.sender)
    if user is None:
        errors.add("sender", "no_such_object", ref=str(req.sender))
    group = await group_by_id(session, workspace, req.group_id)
    if group is None:
        errors.add("group", "no_such_object", ref=str(req.group_id))
    if not req.text.strip():
        errors.add("text", "blank")
    elif len(req.text) > MAX_GROUP_TEXT:
        errors.add("text", "too_long", max=MAX_GROUP_TEXT)
    errors.raise_if_any()
    assert group is not None
    broadcast = await create(
        session,
        workspace,
        translations={primary_language(workspace): {"text": await signed(session, workspace, req.text)}},
        base_language=primary_language(workspace),
        group_ids=[group.id],
        user=user,
        due_on=req.due_on,
    )
    broadcast.from_template = req.from_template
    broadcast.templated = True
    await session.flush()
    return broadcast


async def cancel(session: AsyncSession, workspace: Workspace, broadcast: Broadcast) -> None:
    """Delete a broadcast that waits for its due time (``already_sent`` once the worker took it up). The check
    and the change are one statement, so a worker that claims it meanwhile wins."""
    result = await session.execute(
        update(Broadcast)
        .where(
            owned_by(Broadcast, workspace),
            Broadcast.id == broadcast.id,
            Broadcast.status == "pending",
            Broadcast.claimed_by.is_(None),
        )
        .values(status="interrupted", is_active=False, modified_on=clock.now())
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Invalid.field("broadcast", "already_sent")
    await session.refresh(broadcast)


async def _resolve_urns(session: AsyncSession, workspace: Workspace, broadcast: Broadcast) -> None:
    """URNs named in the request become contacts (created when new); they are kept apart from the contacts
    the request named, which is what the API shows."""
    ids: list[int] = []
    for text in broadcast.urns:
        urn = urns.parse_normalized(text, workspace.country)
        contact, _ = await contacts.get_or_create_by_urn(session, workspace, urn)
        if contact.id not in ids:
            ids.append(contact.id)
    broadcast.urn_contact_ids = ids


async def _rendered(
    session: AsyncSession,
    workspace: Workspace,
    broadcast: Broadcast,
    chunk: Sequence[Contact],
    contents: Mapping[int, Content],
) -> dict[int, Content]:
    """Each contact's content with its {{ placeholders }} rendered (two queries for the whole batch)."""
    user = await session.get(User, broadcast.created_by_id) if broadcast.created_by_id else None
    phones = await tel_phones(session, [c.id for c in chunk])
    return {
        c.id: replace(
            contents[c.id],
            text=render(contents[c.id].text, values_for(c, next(iter(phones[c.id]), None), user, workspace)),
        )
        for c in chunk
    }


async def expand(session: AsyncSession, broadcast: Broadcast, batch: int = BATCH) -> int:
    """Create the next batch of the broadcast's messages (contacts in id order after ``expand_cursor``).
    Returns how many were created; the broadcast is completed when none remain."""
    workspace = await session.get(Workspace, broadcast.workspace_id)
    assert workspace is not None
    now = clock.now()
    if broadcast.status in ("pending", "queued"):
        await _resolve_urns(session, workspace, broadcast)
        stmt = _recipients(broadcast)
        if stmt is None:
            broadcast.total = 0
        else:
            from sqlalchemy import func

            broadcast.total = int(
                (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
            )
        broadcast.status = "started"
    stmt = _recipients(broadcast)
    chunk: list[Any] = []
    if stmt is not None:
        rows = await plain.rows(
            session, stmt.where(Contact.id > broadcast.expand_cursor).order_by(Contact.id).limit(batch)
        )
        chunk = list(rows)  # plain columns: thousands of recipients per batch, no ORM object for any
    created = 0
    if chunk:
        by_language = {lang: content_for(broadcast, lang) for lang in {c.language for c in chunk}}
        contents = {c.id: by_language[c.language] for c in chunk}
        if broadcast.templated:
            contents = await _rendered(session, workspace, broadcast, chunk, contents)
        created = await queue_many(
            session,
            workspace,
            chunk,
            contents,
            broadcast_id=broadcast.id,
            high_priority=broadcast.high_priority,
            created_by_id=broadcast.created_by_id,
        )
        broadcast.expand_cursor = chunk[-1].id
        broadcast.started += created
    if len(chunk) < batch:
        broadcast.status = "completed"
    broadcast.modified_on = now
    await session.flush()
    return created
