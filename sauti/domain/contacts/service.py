"""Use cases for contacts: create, update, delete, block and unblock, group membership by hand.

Every change bumps ``modified_on`` (the incremental-sync cursor) and leaves smart-group membership right
before the transaction commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

import pycountry
from sqlalchemy import delete, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.campaigns import fires
from sauti.domain.contacts import queries, reachability
from sauti.domain.errors import ErrorCollector, Invalid, NotFound, Problem
from sauti.domain.fields import queries as field_queries
from sauti.domain.fields import values as field_values
from sauti.domain.groups import membership, smart
from sauti.domain.groups import queries as group_queries
from sauti.engine.contactql.text import name_key, name_tokens
from sauti.kit import clock, phones, urns
from sauti.kit.urns import URN
from sauti.models import (
    Contact,
    ContactField,
    ContactGroup,
    ContactNote,
    ContactTag,
    ContactURN,
    ContactValue,
    User,
    Workspace,
)

STATUSES = ("active", "blocked", "stopped", "archived")
# first and last names are joined into ``name`` (128 characters), so each part fits in half of it
MAX_NAME_PART = 63
MAX_BUSINESS_NAME = 128
MAX_NOTES_LENGTH = 10_000
MAX_TAG_LENGTH = 64
MAX_TAGS = 100


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass
class ContactInput:
    """What a caller asks to set. ``UNSET``/``None`` collections mean "leave as it is"."""

    name: Any = UNSET  # str | None
    language: Any = UNSET  # str | None
    urns: Sequence[str] | None = None
    groups: Sequence[str] | None = None  # group UUIDs or names (manual groups only)
    fields: Mapping[str, Any] | None = None  # key -> str | number | None
    note: str | None = None  # a note added to the list of notes
    # the parts of the name (``name`` is them joined); setting either replaces the name
    first_name: Any = UNSET  # str | None
    last_name: Any = UNSET  # str | None
    business_name: Any = UNSET  # str | None
    notes: Any = UNSET  # str | None: the one free text about the contact (apart from the list of notes)
    flagged: Any = UNSET  # bool
    # a phone number, read with ``country`` (or the workspace's): it replaces the contact's phone numbers,
    # and its other URNs stay
    phone: Any = UNSET  # str
    country: str | None = None  # ISO 3166 alpha-2
    tags: Sequence[str] | None = None  # replaces the whole set


@dataclass
class _Prepared:
    urns: list[urns.URN] = field(default_factory=list)
    groups: list[ContactGroup] = field(default_factory=list)
    values: dict[int, tuple[ContactField, str | None]] = field(default_factory=dict)
    phone: URN | None = None
    tags: list[str] | None = None


def valid_language(code: str) -> bool:
    return len(code) == 3 and pycountry.languages.get(alpha_3=code.lower()) is not None


def valid_country(code: str) -> bool:
    return len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None


def clean_tags(given: Sequence[str], errors: ErrorCollector) -> list[str]:
    """Tags trimmed, blanks dropped, repeats (compared case-insensitively) kept once, in the order given."""
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(given):
        tag = raw.strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            errors.add("tags", "too_long", i, max=MAX_TAG_LENGTH)
        elif tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    if len(out) > MAX_TAGS:
        errors.add("tags", "too_many", max=MAX_TAGS)
    return out


def _check_texts(data: ContactInput, errors: ErrorCollector) -> None:
    for name, limit in (
        ("first_name", MAX_NAME_PART),
        ("last_name", MAX_NAME_PART),
        ("business_name", MAX_BUSINESS_NAME),
        ("notes", MAX_NOTES_LENGTH),
    ):
        value = getattr(data, name)
        if value is not UNSET and value is not None and len(value) > limit:
            errors.add(name, "too_long", max=limit)
    if data.country is not None and not valid_country(data.country):
        errors.add("country", "invalid_country", value=data.country)


def read_phone(workspace: Workspace, raw: Any, country: str | None, name: str = "phone") -> str:
    """A phone number given by a caller, in E.164 form; read with ``country`` (ISO 3166 alpha-2), else the
    workspace's. ``Invalid`` under ``name`` (or ``country``) when it is not a possible number."""
    errors = ErrorCollector()
    if country is not None and not valid_country(country):
        errors.add("country", "invalid_country", value=country)
    elif not isinstance(raw, str) or not raw.strip():
        errors.add(name, "blank")
    else:
        try:
            return urns.parse_normalized(
                f"tel:{raw.strip()}", (country or workspace.country or "").upper() or None
            ).path
        except urns.URNError:
            errors.add(name, "invalid_phone", value=raw)
    raise Invalid(errors.problems)


async def _prepare_phone(
    session: AsyncSession, workspace: Workspace, data: ContactInput, contact: Contact | None, errors: ErrorCollector
) -> urns.URN | None:
    raw = data.phone
    if not isinstance(raw, str) or not raw.strip():
        errors.add("phone", "blank")
        return None
    if errors.has("country"):
        return None
    region = (data.country or workspace.country or "").upper() or None
    try:
        urn = urns.parse_normalized(f"tel:{raw.strip()}", region)
    except urns.URNError:
        errors.add("phone", "invalid_phone", value=raw)
        return None
    row = (await queries.urns_by_identity(session, workspace, [urns.identity(urn)])).get(urns.identity(urn))
    if row is not None and row.contact_id is not None and (contact is None or row.contact_id != contact.id):
        errors.add("phone", "urn_taken", value=raw)
        return None
    return urn


async def _prepare(
    session: AsyncSession,
    workspace: Workspace,
    data: ContactInput,
    contact: Contact | None,
    errors: ErrorCollector,
) -> _Prepared:
    """Check everything in ``data`` against the workspace, recording every problem in ``errors``."""
    out = _Prepared()
    if data.language is not UNSET and data.language is not None and not valid_language(data.language):
        errors.add("language", "invalid_language", value=data.language)
    _check_texts(data, errors)
    if data.phone is not UNSET:
        out.phone = await _prepare_phone(session, workspace, data, contact, errors)
    if data.tags is not None:
        out.tags = clean_tags(data.tags, errors)

    if data.urns is not None and not errors.has("urns"):
        parsed: list[tuple[int, urns.URN]] = []
        for i, text in enumerate(data.urns):
            try:
                urn = urns.parse_normalized(text, workspace.country)
                if urn.scheme not in urns.PUBLIC_SCHEMES:  # "deleted:" is ours alone
                    raise urns.URNError(text, "internal scheme")
                parsed.append((i, urn))
            except urns.URNError:
                errors.add("urns", "invalid_urn", i, value=text)
        owned = await queries.urns_by_identity(session, workspace, [urns.identity(u) for _, u in parsed])
        seen: set[str] = set()
        for i, urn in parsed:
            ident = urns.identity(urn)
            row = owned.get(ident)
            if row is not None and row.contact_id is not None and (contact is None or row.contact_id != contact.id):
                errors.add("urns", "urn_taken", i, value=data.urns[i])
            elif ident not in seen:
                seen.add(ident)
                out.urns.append(urn)

    if data.groups is not None and not errors.has("groups"):
        found = await group_queries.by_references(session, workspace, [str(r) for r in data.groups])
        for ref in data.groups:
            group = found.get(str(ref))
            if group is None:
                errors.add("groups", "no_such_object", ref=ref)
            elif group.group_type != "manual":
                errors.add("groups", "group_is_smart", ref=ref)
            elif group not in out.groups:
                out.groups.append(group)
        if contact is not None and contact.status != "active" and data.groups:
            errors.add("groups", "inactive_contact_groups")

    if data.fields is not None and not errors.has("fields"):
        by_key = {f.key: f for f in await field_queries.user_fields(session, workspace)}
        for key, raw in data.fields.items():
            fld = by_key.get(key)
            if fld is None:
                errors.add("fields", "unknown_field", key=key)
                continue
            out.values[fld.id] = (fld, field_values.to_text(raw))
    return out


def _set_name(contact: Contact, name: str | None) -> None:
    """The whole name; its parts are what comes before and after its first space."""
    contact.name = name
    contact.name_key = name_key(name)
    contact.name_tokens = name_tokens(name)
    first, _, last = (name or "").strip().partition(" ")
    contact.first_name = first or None
    contact.last_name = last.strip() or None


def _set_parts(contact: Contact, data: ContactInput) -> None:
    """The parts of the name the input carries (the others stay); the name is them joined by a space."""
    first = contact.first_name if data.first_name is UNSET else (data.first_name or "").strip() or None
    last = contact.last_name if data.last_name is UNSET else (data.last_name or "").strip() or None
    name = " ".join(p for p in (first, last) if p) or None
    contact.name = name
    contact.name_key = name_key(name)
    contact.name_tokens = name_tokens(name)
    contact.first_name = first
    contact.last_name = last


def _set_texts(contact: Contact, data: ContactInput) -> None:
    if data.first_name is not UNSET or data.last_name is not UNSET:
        _set_parts(contact, data)
    if data.business_name is not UNSET:
        contact.business_name = (data.business_name or "").strip() or None
    if data.notes is not UNSET:
        contact.notes = data.notes or None
    if data.flagged is not UNSET:
        contact.flagged = bool(data.flagged)
    if data.country is not None:
        contact.country = data.country.upper()


def _describe_phone(contact: Contact, wanted: Sequence[urns.URN], country: str | None) -> None:
    """The region and line type of the contact's first phone number (the region the caller named wins)."""
    first = next((u for u in wanted if u.scheme == "tel"), None)
    region, line = phones.describe(first.path) if first is not None else (None, None)
    contact.country = (country or "").upper() or region or (contact.country if first is not None else None)
    contact.line_type = line


async def _set_tags(session: AsyncSession, workspace: Workspace, contact: Contact, tags: Sequence[str]) -> None:
    await session.execute(delete(ContactTag).where(ContactTag.contact_id == contact.id))
    for tag in tags:
        session.add(ContactTag(contact_id=contact.id, workspace_id=workspace.id, name=tag))


async def _current_urns(session: AsyncSession, contact: Contact) -> list[urns.URN]:
    rows = await session.execute(
        select(ContactURN)
        .where(ContactURN.contact_id == contact.id)
        .order_by(ContactURN.priority.desc(), ContactURN.id)
    )
    return [urns.URN(u.scheme, u.path, None, u.display) for u in rows.scalars()]


def _with_phone(phone: urns.URN, current: Sequence[urns.URN]) -> list[urns.URN]:
    """``phone`` first, then the URNs of other schemes (the old phone numbers go)."""
    return [phone, *(u for u in current if u.scheme != "tel")]


async def _set_urns(session: AsyncSession, workspace: Workspace, contact: Contact, wanted: list[urns.URN]) -> None:
    """Make ``wanted`` the contact's URNs in priority order; dropped ones are detached, not deleted.

    A URN another live contact took since the request was checked (a concurrent request) is refused, never
    moved: only free URNs (of nobody, or of a deleted contact, which are detached) change hands."""
    identities = [urns.identity(u) for u in wanted]
    existing = await queries.urns_by_identity(session, workspace, identities)
    taken = [
        Problem("urns", "urn_taken", {"value": urns.to_string(u)}, i)
        for i, u in enumerate(wanted)
        if (row := existing.get(urns.identity(u))) is not None and row.contact_id not in (None, contact.id)
    ]
    if taken:
        raise Invalid(taken)
    await session.execute(
        sql_update(ContactURN)
        .where(ContactURN.contact_id == contact.id, ContactURN.identity.not_in(identities))
        .values(contact_id=None)
    )
    top = len(wanted) * 10 + 1000
    for n, urn in enumerate(wanted):
        ident = urns.identity(urn)
        row = existing.get(ident)
        priority = top - n * 10
        if row is None:
            session.add(
                ContactURN(
                    workspace_id=workspace.id,
                    contact_id=contact.id,
                    scheme=urn.scheme,
                    path=urn.path,
                    identity=ident,
                    display=urn.display,
                    priority=priority,
                )
            )
        else:
            row.contact_id = contact.id
            row.priority = priority
            if urn.display:
                row.display = urn.display
    _describe_phone(contact, wanted, None)


async def _set_values(
    session: AsyncSession,
    workspace: Workspace,
    contact: Contact,
    values: dict[int, tuple[ContactField, str | None]],
) -> None:
    if not values:
        return
    tz = ZoneInfo(workspace.timezone)
    current = {
        v.field_id: v
        for v in (
            await session.execute(
                select(ContactValue).where(
                    ContactValue.contact_id == contact.id, ContactValue.field_id.in_(list(values))
                )
            )
        ).scalars()
    }
    moved: list[int] = []  # datetime fields whose date changed: campaign events relative to them move
    for field_id, (fld, text) in values.items():
        row = current.get(field_id)
        if text is None:
            if row is not None:
                if row.datetime_value is not None:
                    moved.append(field_id)
                await session.delete(row)
            continue
        parsed = field_values.parse(text, fld.value_type, tz, workspace.date_style)
        if (row.datetime_value if row is not None else None) != parsed.datetime:
            moved.append(field_id)
        if row is None:
            session.add(
                ContactValue(
                    contact_id=contact.id,
                    field_id=field_id,
                    text_value=parsed.text,
                    text_key=parsed.text_key,
                    number_value=parsed.number,
                    datetime_value=parsed.datetime,
                )
            )
        else:
            row.text_value = parsed.text
            row.text_key = parsed.text_key
            row.number_value = parsed.number
            row.datetime_value = parsed.datetime
    await fires.dates_changed(session, workspace, [contact.id], moved)


async def _set_manual_groups(session: AsyncSession, contact: Contact, groups: list[ContactGroup]) -> None:
    """Replace the contact's manual-group memberships (smart ones are left to re-evaluation)."""
    current = (await membership.current(session, [contact.id]))[contact.id]
    manual_ids = (
        set(
            (
                await session.execute(
                    select(ContactGroup.id).where(ContactGroup.id.in_(current), ContactGroup.group_type == "manual")
                )
            ).scalars()
        )
        if current
        else set()
    )
    wanted = {g.id for g in groups}
    await membership.set_for_contact(session, contact.id, manual_ids, wanted)


async def _add_note(session: AsyncSession, contact: Contact, text: str, user: User | None) -> None:
    session.add(
        ContactNote(contact_id=contact.id, text=text, created_by_id=user.id if user else None, created_on=clock.now())
    )
    await session.flush()
    keep = (
        (
            await session.execute(
                select(ContactNote.id)
                .where(ContactNote.contact_id == contact.id)
                .order_by(ContactNote.created_on.desc(), ContactNote.id.desc())
                .limit(queries.MAX_NOTES)
            )
        )
        .scalars()
        .all()
    )
    await session.execute(delete(ContactNote).where(ContactNote.contact_id == contact.id, ContactNote.id.not_in(keep)))


async def create(session: AsyncSession, workspace: Workspace, data: ContactInput, user: User | None = None) -> Contact:
    """Create an active contact. All problems with ``data`` are reported together (``Invalid``)."""
    errors = ErrorCollector()
    prepared = await _prepare(session, workspace, data, None, errors)
    errors.raise_if_any()
    now = clock.now()
    contact = Contact(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        language=None if data.language is UNSET else data.language,
        status="active",
        is_active=True,
        tickets=0,
        flagged=False,
        created_on=now,
        modified_on=now,
    )
    _set_name(contact, None if data.name is UNSET else data.name)
    _set_texts(contact, data)
    session.add(contact)
    await session.flush()
    wanted = _with_phone(prepared.phone, prepared.urns) if prepared.phone is not None else prepared.urns
    await _set_urns(session, workspace, contact, wanted)
    _describe_phone(contact, wanted, data.country)
    await _set_values(session, workspace, contact, prepared.values)
    if prepared.tags:
        await _set_tags(session, workspace, contact, prepared.tags)
    # a number that was opted out or blocked before anybody had it makes its new contact stopped or blocked
    contact.status = await reachability.status_for(session, workspace, [u.path for u in wanted if u.scheme == "tel"])
    if prepared.groups and contact.status == "active":
        await membership.set_for_contact(session, contact.id, set(), {g.id for g in prepared.groups})
    await session.flush()
    await smart.refresh_contacts(session, workspace, [contact])
    return contact


async def update(
    session: AsyncSession,
    workspace: Workspace,
    contact: Contact,
    data: ContactInput,
    user: User | None = None,
) -> Contact:
    """Change what ``data`` carries; ``urns`` and ``groups`` replace the whole list when given."""
    if not contact.is_active:
        raise Invalid.general("contact_deleted")
    errors = ErrorCollector()
    prepared = await _prepare(session, workspace, data, contact, errors)
    errors.raise_if_any()
    if data.name is not UNSET and data.name != contact.name:
        _set_name(contact, data.name)
    _set_texts(contact, data)
    if data.language is not UNSET:
        contact.language = data.language
    if data.urns is not None:
        await _set_urns(session, workspace, contact, prepared.urns)
    if prepared.phone is not None:
        wanted = _with_phone(prepared.phone, await _current_urns(session, contact))
        await _set_urns(session, workspace, contact, wanted)
        _describe_phone(contact, wanted, data.country)
    if prepared.tags is not None:
        await _set_tags(session, workspace, contact, prepared.tags)
    if data.fields is not None:
        await _set_values(session, workspace, contact, prepared.values)
    if data.groups is not None:
        await _set_manual_groups(session, contact, prepared.groups)
    if data.note is not None:
        await _add_note(session, contact, data.note, user)
    contact.modified_on = clock.now()
    await session.flush()
    await smart.refresh_contacts(session, workspace, [contact])
    return contact


def lookup_problems(workspace: Workspace, contact: Contact | None, *, by_urn: bool, urns_sent: bool) -> list[Problem]:
    """What a lookup forbids in the body: URNs when the contact is looked up by URN (the URN is the lookup),
    and changing an existing contact's URNs in an anonymous workspace."""
    if urns_sent and by_urn:
        return [Problem("urns", "urn_from_lookup")]
    if urns_sent and contact is not None and workspace.anon:
        return [Problem("urns", "urns_anonymous")]
    return []


async def find(
    session: AsyncSession, workspace: Workspace, *, uuid: str | None = None, urn: str | None = None
) -> Contact | None:
    """The contact an update names: by UUID (``NotFound`` when there is none; a deleted one is returned, the
    update refuses it) or by URN (``None`` when nobody has it yet)."""
    if uuid is not None:
        contact = await queries.by_uuid(session, workspace, uuid)
        if contact is None:
            raise NotFound("contact", uuid)
        return contact
    if urn is not None:
        return await queries.by_urn_identity(session, workspace, queries.lookup_identity(workspace, urn))
    return None


async def upsert(
    session: AsyncSession,
    workspace: Workspace,
    data: ContactInput,
    *,
    uuid: str | None = None,
    urn: str | None = None,
    user: User | None = None,
) -> tuple[Contact, bool]:
    """Create a contact, or update the one ``uuid`` or ``urn`` names; a URN that names nobody creates the
    contact with that URN. Returns ``(contact, created)``."""
    contact = await find(session, workspace, uuid=uuid, urn=urn)
    problems = lookup_problems(workspace, contact, by_urn=urn is not None, urns_sent=data.urns is not None)
    if problems:
        raise Invalid(problems)
    if contact is not None:
        return await update(session, workspace, contact, data, user), False
    if urn is not None:
        data = replace(data, urns=[queries.lookup_identity(workspace, urn)])
    return await create(session, workspace, data, user), True


async def _leave_all_groups(session: AsyncSession, contact_ids: Sequence[int]) -> None:
    current = await membership.current(session, contact_ids)
    await membership.apply(session, [], [(g, c) for c, gs in current.items() for g in sorted(gs)])


async def delete_contacts(session: AsyncSession, workspace: Workspace, contacts: Sequence[Contact]) -> None:
    """Soft delete: the contact stays listable with ``deleted=true`` but loses its name, language, values,
    URNs (detached, so they are free for another contact) and groups; its waiting flow session is interrupted."""
    if not contacts:
        return
    from sauti.domain.flows import runner

    now = clock.now()
    ids = [c.id for c in contacts]
    await runner.interrupt_contacts(session, workspace, ids)
    await _leave_all_groups(session, ids)
    await session.execute(sql_update(ContactURN).where(ContactURN.contact_id.in_(ids)).values(contact_id=None))
    await session.execute(delete(ContactValue).where(ContactValue.contact_id.in_(ids)))
    await session.execute(delete(ContactNote).where(ContactNote.contact_id.in_(ids)))
    for contact in contacts:
        _set_name(contact, None)
        contact.language = None
        contact.is_active = False
        contact.current_flow_id = None
        contact.modified_on = now
    await session.flush()


async def set_status(session: AsyncSession, workspace: Workspace, contacts: Sequence[Contact], status: str) -> None:
    """Block, unblock (active), stop or archive. A contact that is not active belongs to no group and waits in
    no flow (its waiting session is interrupted)."""
    if status not in STATUSES:
        raise Invalid.field("status", "invalid_choice", value=status, choices=STATUSES)
    changed = [c for c in contacts if c.status != status]
    if not changed:
        return
    now = clock.now()
    before = {c.id: c.status for c in changed}
    for contact in changed:
        contact.status = status
        contact.modified_on = now
    await session.flush()
    await reachability.follow_status(session, workspace, changed, before, status)
    if status != "active":
        from sauti.domain.flows import runner

        # a contact that is blocked, stopped or archived waits in no flow any more
        await runner.interrupt_contacts(session, workspace, [c.id for c in changed])
        await _leave_all_groups(session, [c.id for c in changed])
    else:
        await smart.refresh_contacts(session, workspace, changed)


async def unblock(session: AsyncSession, workspace: Workspace, contacts: Sequence[Contact]) -> None:
    """Blocked contacts become active again, or stopped when one of their numbers is still opted out; any other
    contact named becomes active."""
    await set_status(session, workspace, [c for c in contacts if c.status != "blocked"], "active")
    targets = [c for c in contacts if c.status == "blocked"]
    held = await reachability.tel_phones(session, [c.id for c in targets])
    out = await reachability.opted_out(session, workspace, [p for ps in held.values() for p in ps])
    stopped = [c for c in targets if any(p in out for p in held[c.id])]
    await set_status(session, workspace, [c for c in targets if c not in stopped], "active")
    await set_status(session, workspace, stopped, "stopped")


async def change_group(
    session: AsyncSession, workspace: Workspace, contacts: Sequence[Contact], group: ContactGroup, add: bool
) -> None:
    """Add contacts to (or remove them from) a manual group; only active contacts can be added."""
    if add:
        inactive = [c.uuid for c in contacts if c.status != "active"]
        if inactive:
            raise Invalid.general("inactive_contacts_groups", uuids=inactive)
    current = await membership.current(session, [c.id for c in contacts])
    now = clock.now()
    adds, removes = [], []
    for contact in contacts:
        member = group.id in current[contact.id]
        if add and not member:
            adds.append((group.id, contact.id))
        elif not add and member:
            removes.append((group.id, contact.id))
        else:
            continue
        contact.modified_on = now
    await membership.apply(session, adds, removes)
    await session.flush()


async def get_live(session: AsyncSession, workspace: Workspace, uuid: str) -> Contact:
    contact = await queries.by_uuid(session, workspace, uuid)
    if contact is None or not contact.is_active:
        raise NotFound("contact", uuid)
    return contact


async def prefer_urn(
    session: AsyncSession,
    workspace: Workspace,
    contact: Contact,
    urn_id: int | None,
    urns: Sequence[ContactURN] | None = None,
) -> list[ContactURN] | None:
    """Make the URN ``urn_id`` the contact's preferred one (first in priority order): a contact who writes in
    on a URN is answered on it (flows.md §6.5 step 3). ``urns``: the contact's URN rows in priority order, when
    the caller read them (:func:`sender`). Returns the rows in their priority order as they now stand (what a
    flow resumed by the message routes its reply with), ``None`` without ``urn_id``. Flushes when the order
    changed."""
    if urn_id is None:
        return None
    rows = list(urns) if urns is not None else await queries.urns_in_order(session, workspace, contact.id)
    if not rows or rows[0].id == urn_id:
        return rows
    chosen = next((r for r in rows if r.id == urn_id), None)
    if chosen is None:
        return rows
    chosen.priority = rows[0].priority + 10
    ordered = [chosen, *(r for r in rows if r is not chosen)]
    _describe_phone(contact, [URN(r.scheme, r.path, None, r.display) for r in ordered], None)
    contact.modified_on = clock.now()
    await session.flush()
    return ordered


async def sender(
    session: AsyncSession,
    workspace: Workspace,
    urn: urns.URN,
    *,
    name: str | None = None,
    channel_id: int | None = None,
) -> tuple[Contact, ContactURN, list[ContactURN] | None]:
    """:func:`get_or_create_by_urn` for an inbound message's sender, with the contact's URN rows in priority
    order (for :func:`prefer_urn`), read in the same statement when the contact exists (``None`` otherwise).
    The URN's channel is the caller's to set (the message's channel: ``receive`` sets it every time)."""
    ident = urns.identity(urn)
    contact, held = await queries.urns_of_holder(session, workspace, ident)
    row = next((u for u in held if u.identity == ident), None)
    if contact is None or row is None:  # nobody holds it, or an orphan or deleted contact's row
        contact, row = await get_or_create_by_urn(session, workspace, urn, name=name, channel_id=channel_id)
        return contact, row, None
    return contact, row, held


async def get_or_create_by_urn(
    session: AsyncSession,
    workspace: Workspace,
    urn: urns.URN,
    *,
    name: str | None = None,
    channel_id: int | None = None,
) -> tuple[Contact, ContactURN]:
    """The live contact owning a (normalised) URN, created with it when nobody has it. An orphan URN row (its
    contact was deleted) is claimed by the new contact."""
    ident = urns.identity(urn)
    row, contact = await queries.urn_with_contact(session, workspace, ident)
    if row is not None and row.contact_id is not None:
        if contact is not None and contact.is_active:
            if channel_id is not None and row.channel_id is None:
                row.channel_id = channel_id
            return contact, row
    contact = await create(session, workspace, ContactInput(name=name, urns=[urns.to_string(urn)]))
    row = (await queries.urns_by_identity(session, workspace, [ident]))[ident]
    row.channel_id = channel_id
    return contact, row
