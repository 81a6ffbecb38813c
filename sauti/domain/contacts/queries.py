"""Every select for contacts, and the batched loading of what a page of contacts shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

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


def filtered(
    workspace: Workspace,
    *,
    deleted: bool = False,
    uuid: str | None = None,
    urn_identity: str | None = None,
    group_id: int | None = None,
) -> Select[Contact]:
    """The listing with its exact-match filters: a contact UUID, a URN identity, membership of a group."""
    stmt = listing(workspace, deleted=deleted)
    if uuid is not None:
        stmt = stmt.where(Contact.uuid == uuid)
    if urn_identity is not None:
        owners = scoped(ContactURN, workspace, ContactURN.contact_id).where(ContactURN.identity == urn_identity)
        stmt = stmt.where(Contact.id.in_(owners))
    if group_id is not None:
        # a primary-key probe per contact walked in listing order (no temporary list of every member)
        member = select(GroupMember.contact_id).where(
            GroupMember.group_id == group_id, GroupMember.contact_id == Contact.id
        )
        stmt = stmt.where(member.exists())
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
    from sauti.kit import urns

    if ":" in ref:
        try:
            identity = urns.identity(urns.parse_normalized(ref, None))
        except urns.URNError:
            return None
        return await by_urn_identity(session, workspace, identity)
    contact = await by_uuid(session, workspace, ref)
    return contact if contact is not None and contact.is_active else None


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

    urns: list[ContactURN] = field(default_factory=list)
    groups: list[ContactGroup] = field(default_factory=list)
    values: dict[int, ContactValue] = field(default_factory=dict)  # field id -> value
    notes: list[NoteView] = field(default_factory=list)


async def load_details(session: AsyncSession, contacts: Sequence[Contact]) -> dict[int, Details]:
    ids = [c.id for c in contacts]
    out = {cid: Details() for cid in ids}
    if not ids:
        return out
    urns = await session.execute(
        select(ContactURN)
        .where(ContactURN.contact_id.in_(ids))
        .order_by(ContactURN.contact_id, ContactURN.priority.desc(), ContactURN.id)
    )
    for urn in urns.scalars():
        assert urn.contact_id is not None
        out[urn.contact_id].urns.append(urn)
    groups = await session.execute(
        select(GroupMember.contact_id, ContactGroup)
        .join(ContactGroup, ContactGroup.id == GroupMember.group_id)
        .where(GroupMember.contact_id.in_(ids), ContactGroup.is_active)
        .order_by(ContactGroup.id)
    )
    for contact_id, group in groups:
        out[contact_id].groups.append(group)
    values = await session.execute(select(ContactValue).where(ContactValue.contact_id.in_(ids)))
    for value in values.scalars():
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
