"""Every select for contacts, and the batched loading of what a page of contacts shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import BadParameter
from sauti.domain.scope import scoped
from sauti.models import (
    Contact,
    ContactGroup,
    ContactNote,
    ContactURN,
    ContactValue,
    GroupMember,
    User,
    Workspace,
)

MAX_NOTES = 5


def listing(workspace: Workspace, *, deleted: bool = False) -> Select[Contact]:
    return scoped(Contact, workspace).where(Contact.is_active.is_(not deleted))


@dataclass(frozen=True)
class ContactFilter:
    """What a contact listing may be narrowed by, whichever dialect asks. Date bounds are inclusive and apply
    to ``modified_on``; ``urn`` is read with the workspace's country; ``group`` is a UUID or an exact name."""

    deleted: bool = False
    uuid: str | None = None
    urn: str | None = None
    group: str | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None


def lookup_identity(workspace: Workspace, raw: str) -> str:
    """The URN identity a lookup in the query string names (``?urn=``), read with the workspace's country."""
    from sauti.kit import urns

    if workspace.anon:
        raise BadParameter("urn", "urn_lookup_anonymous")
    try:
        return urns.identity(urns.parse_normalized(raw, workspace.country))
    except urns.URNError as exc:
        raise BadParameter("urn", "invalid_urn_lookup", value=raw) from exc


async def select_contacts(session: AsyncSession, workspace: Workspace, f: ContactFilter) -> Select[Contact] | None:
    """The scoped select of the contacts ``f`` describes, or ``None`` when nothing can match (an unknown
    group). Ordering and paging are the caller's."""
    stmt = listing(workspace, deleted=f.deleted)
    if f.uuid is not None:
        stmt = stmt.where(Contact.uuid == f.uuid)
    if f.urn is not None:
        identity = lookup_identity(workspace, f.urn)
        owners = scoped(ContactURN, workspace, ContactURN.contact_id).where(ContactURN.identity == identity)
        stmt = stmt.where(Contact.id.in_(owners))
    if f.group is not None:
        group_id = await group_for_filter(session, workspace, f.group)
        if group_id is None:
            return None
        # a primary-key probe per contact walked in listing order (no temporary list of every member)
        member = select(GroupMember.contact_id).where(
            GroupMember.group_id == group_id, GroupMember.contact_id == Contact.id
        )
        stmt = stmt.where(member.exists())
    if f.modified_before is not None:
        stmt = stmt.where(Contact.modified_on <= f.modified_before)
    if f.modified_after is not None:
        stmt = stmt.where(Contact.modified_on >= f.modified_after)
    return stmt


async def group_for_filter(session: AsyncSession, workspace: Workspace, ref: str) -> int | None:
    """A group named in the listing filter: by UUID or exact (case-sensitive) name, active groups only."""
    stmt = scoped(ContactGroup, workspace, ContactGroup.id).where(
        ContactGroup.is_active, (ContactGroup.uuid == ref) | (ContactGroup.name == ref)
    )
    found: int | None = (await session.execute(stmt.order_by(ContactGroup.id).limit(1))).scalar()
    return found


async def by_uuid(session: AsyncSession, workspace: Workspace, uuid: str) -> Contact | None:
    """Found even when deleted (callers decide what a deleted contact means for them)."""
    return (await session.execute(scoped(Contact, workspace).where(Contact.uuid == uuid))).scalar_one_or_none()


async def by_urn_identity(session: AsyncSession, workspace: Workspace, identity: str) -> Contact | None:
    """The live contact owning a URN identity, if any."""
    stmt = (
        scoped(Contact, workspace)
        .join(ContactURN, ContactURN.contact_id == Contact.id)
        .where(ContactURN.workspace_id == workspace.id, ContactURN.identity == identity, Contact.is_active)
    )
    return (await session.execute(stmt)).scalars().first()


async def by_reference(session: AsyncSession, workspace: Workspace, ref: str) -> Contact | None:
    """A live contact named in a body: by UUID, or by URN normalised WITHOUT the workspace country (so a
    local number names nobody)."""
    if ":" in ref:
        identity = reference_identity(ref)
        return None if identity is None else await by_urn_identity(session, workspace, identity)
    contact = await by_uuid(session, workspace, ref)
    return contact if contact is not None and contact.is_active else None


def reference_identity(ref: str) -> str | None:
    """The URN identity a body's contact reference names (``tel:+...``), read WITHOUT the workspace country
    so a local number names nobody; ``None`` for a reference that is not a URN or not a valid one."""
    from sauti.kit import urns

    if ":" not in ref:
        return None
    try:
        return urns.identity(urns.parse_normalized(ref, None))
    except urns.URNError:
        return None


async def by_references(session: AsyncSession, workspace: Workspace, refs: Sequence[str]) -> dict[str, Contact]:
    """Live contacts named in a body (each by UUID or by URN), in at most two queries. References that name
    nobody are absent from the result."""
    wanted = list(dict.fromkeys(refs))
    identities = {r: ident for r in wanted if (ident := reference_identity(r)) is not None}
    uuids = [r for r in wanted if ":" not in r]
    out: dict[str, Contact] = {}
    if uuids:
        rows = await session.execute(scoped(Contact, workspace).where(Contact.uuid.in_(uuids), Contact.is_active))
        found = {c.uuid: c for c in rows.scalars()}
        out.update({r: found[r] for r in uuids if r in found})
    if identities:
        rows2 = await session.execute(
            select(ContactURN.identity, Contact)
            .join(Contact, Contact.id == ContactURN.contact_id)
            .where(
                ContactURN.workspace_id == workspace.id,
                ContactURN.identity.in_(list(identities.values())),
                Contact.is_active,
            )
        )
        owners = {ident: contact for ident, contact in rows2}
        out.update({r: owners[i] for r, i in identities.items() if i in owners})
    return out


async def urns_by_identity(
    session: AsyncSession, workspace: Workspace, identities: Sequence[str]
) -> dict[str, ContactURN]:
    if not identities:
        return {}
    rows = await session.execute(scoped(ContactURN, workspace).where(ContactURN.identity.in_(list(identities))))
    return {u.identity: u for u in rows.scalars()}


@dataclass
class NoteView:
    text: str
    created_on: Any
    email: str | None
    name: str | None


@dataclass
class Details:
    """What a contact shows beyond its own row, loaded for a whole page in a fixed number of queries."""

    urns: list[Any] = field(default_factory=list)  # rows: scheme, path, display, channel_id
    groups: list[Any] = field(default_factory=list)  # rows: uuid, name
    values: dict[int, Any] = field(default_factory=dict)  # field id -> row: text_value, number_value, datetime_value
    notes: list[NoteView] = field(default_factory=list)


async def load_details(session: AsyncSession, contacts: Sequence[Any]) -> dict[int, Details]:
    """URNs, groups, values and notes of a page of contacts: four queries, plain columns."""
    ids = [c.id for c in contacts]
    out = {cid: Details() for cid in ids}
    if not ids:
        return out
    urns = await session.execute(
        select(ContactURN.contact_id, ContactURN.scheme, ContactURN.path, ContactURN.display, ContactURN.channel_id)
        .where(ContactURN.contact_id.in_(ids))
        .order_by(ContactURN.contact_id, ContactURN.priority.desc(), ContactURN.id)
    )
    for urn in urns:
        out[urn.contact_id].urns.append(urn)
    groups = await session.execute(
        select(GroupMember.contact_id, ContactGroup.uuid, ContactGroup.name)
        .join(ContactGroup, ContactGroup.id == GroupMember.group_id)
        .where(GroupMember.contact_id.in_(ids), ContactGroup.is_active)
        .order_by(ContactGroup.id)
    )
    for group in groups:
        out[group.contact_id].groups.append(group)
    values = await session.execute(
        select(
            ContactValue.contact_id,
            ContactValue.field_id,
            ContactValue.text_value,
            ContactValue.number_value,
            ContactValue.datetime_value,
        ).where(ContactValue.contact_id.in_(ids))
    )
    for value in values:
        out[value.contact_id].values[value.field_id] = value
    notes = await session.execute(
        select(ContactNote, User.email, User.first_name, User.last_name)
        .outerjoin(User, User.id == ContactNote.created_by_id)
        .where(ContactNote.contact_id.in_(ids))
        .order_by(ContactNote.created_on, ContactNote.id)
    )
    for note, email, first, last in notes:
        name = f"{first or ''} {last or ''}".strip() or None
        out[note.contact_id].notes.append(NoteView(note.text, note.created_on, email, name))
    return out
