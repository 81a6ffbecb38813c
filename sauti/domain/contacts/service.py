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

from sauti.domain.contacts import queries
from sauti.domain.errors import ErrorCollector, Invalid, NotFound, Problem
from sauti.domain.fields import queries as field_queries
from sauti.domain.fields import values as field_values
from sauti.domain.groups import membership, smart
from sauti.domain.groups import queries as group_queries
from sauti.engine.contactql.text import name_key, name_tokens
from sauti.kit import clock, urns
from sauti.models import (
    Contact,
    ContactField,
    ContactGroup,
    ContactNote,
    ContactURN,
    ContactValue,
    User,
    Workspace,
)

STATUSES = ("active", "blocked", "stopped", "archived")


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
    note: str | None = None


@dataclass
class _Prepared:
    urns: list[urns.URN] = field(default_factory=list)
    groups: list[ContactGroup] = field(default_factory=list)
    values: dict[int, tuple[ContactField, str | None]] = field(default_factory=dict)


def valid_language(code: str) -> bool:
    return len(code) == 3 and pycountry.languages.get(alpha_3=code.lower()) is not None


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
    contact.name = name
    contact.name_key = name_key(name)
    contact.name_tokens = name_tokens(name)


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
    for field_id, (fld, text) in values.items():
        row = current.get(field_id)
        if text is None:
            if row is not None:
                await session.delete(row)
            continue
        parsed = field_values.parse(text, fld.value_type, tz, workspace.date_style)
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
        created_on=now,
        modified_on=now,
    )
    _set_name(contact, None if data.name is UNSET else data.name)
    session.add(contact)
    await session.flush()
    await _set_urns(session, workspace, contact, prepared.urns)
    await _set_values(session, workspace, contact, prepared.values)
    if prepared.groups:
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
    if data.language is not UNSET:
        contact.language = data.language
    if data.urns is not None:
        await _set_urns(session, workspace, contact, prepared.urns)
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
    URNs (detached, so they are free for another contact) and groups."""
    if not contacts:
        return
    now = clock.now()
    ids = [c.id for c in contacts]
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
    """Block, unblock (active), stop or archive. A contact that is not active belongs to no group."""
    if status not in STATUSES:
        raise Invalid.field("status", "invalid_choice", value=status, choices=STATUSES)
    changed = [c for c in contacts if c.status != status]
    if not changed:
        return
    now = clock.now()
    for contact in changed:
        contact.status = status
        contact.modified_on = now
    await session.flush()
    if status != "active":
        await _leave_all_groups(session, [c.id for c in changed])
    else:
        await smart.refresh_contacts(session, workspace, changed)


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
    row = (await queries.urns_by_identity(session, workspace, [ident])).get(ident)
    if row is not None and row.contact_id is not None:
        contact = await session.get(Contact, row.contact_id)
        if contact is not None and contact.is_active:
            if channel_id is not None and row.channel_id is None:
                row.channel_id = channel_id
            return contact, row
    contact = await create(session, workspace, ContactInput(name=name, urns=[urns.to_string(urn)]))
    row = (await queries.urns_by_identity(session, workspace, [ident]))[ident]
    row.channel_id = channel_id
    return contact, row
