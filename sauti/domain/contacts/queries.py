"""Every select for contacts, and the batched loading of what a page of contacts shows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from sauti.db import entities, plain, shapes
from sauti.domain.errors import BadParameter
from sauti.domain.scope import scoped, scoped_by_value
from sauti.models import (
    Contact,
    ContactGroup,
    ContactNote,
    ContactTag,
    ContactURN,
    ContactValue,
    GroupMember,
    OptOut,
    User,
    Workspace,
)

MAX_NOTES = 5
# the subsets of contacts a listing can be narrowed to by name
SCOPES = ("landlines", "textable", "flagged", "with_notes")
# the orders a listing can ask for (a leading "-" reverses one): by creation, by last then first name then phone
ORDERS = ("created", "modified", "first_name", "last_name", "business_name", "phone", "name_then_phone")


# A group this small is listed from its members: each looked up by id, then sorted. Walking the workspace's
# contacts in listing order and probing each for membership reads every contact for a group of a few (a group of
# 19 among 100k contacts: 27 ms against 0.02 ms on SQLite; of 1,929: 5.1 ms against 2.7 ms); for a large group the
# walk finds a page of members after a few probes, and reading all members to sort them would cost more.
MEMBERS_FIRST: Final = 2000


def listing(workspace: Workspace | int, *, deleted: bool = False, members_of: int | None = None) -> Select[Contact]:
    """Live (or deleted) contacts of the workspace; with ``members_of``, only that group's members, read from
    the group's members (see :data:`MEMBERS_FIRST`)."""
    if members_of is None:
        return scoped(Contact, workspace).where(Contact.is_active.is_(not deleted))
    members = select(GroupMember.contact_id).where(GroupMember.group_id == members_of)
    return scoped_by_value(Contact, workspace).where(Contact.is_active.is_(not deleted), Contact.id.in_(members))


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
    # a case-insensitive part of a phone number's digits, a first, last or business name
    text: str | None = None
    scope: str | None = None  # one of SCOPES
    group_id: int | None = None  # members of this group
    order: str | None = None  # one of ORDERS: the select comes ordered (ties by id)


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
    group: tuple[int, int] | None = None
    if f.group is not None:
        group = await group_for_filter(session, workspace, f.group)
        if group is None:
            return None
    return build_contacts(workspace, f, group)


_SHAPES: Final = shapes.Shapes()


async def listed_contacts(
    session: AsyncSession, workspace: Workspace, f: ContactFilter, columns: Sequence[Any]
) -> tuple[Select[Any] | None, dict[str, Any] | None]:
    """:func:`select_contacts` reading ``columns``, kept per shape (``db.shapes``): the statement (``None``
    when nothing can match) and the values to run it with (``None``: the statement holds them). A URN, a text
    or a scope is read with the workspace's settings: those are built per call."""
    if f.urn is not None or f.text or f.scope is not None:
        found = await select_contacts(session, workspace, f)
        return (None if found is None else found.with_only_columns(*columns)), None
    shape, values = shapes.split(f, ("uuid", "group", "modified_after", "modified_before", "group_id"))
    group: tuple[int, int] | None = None
    if f.group is not None:
        group = await group_for_filter(session, workspace, f.group)
        if group is None:
            return None, None
        values["group"] = group[0]
        shape = (*shape, group[1] <= MEMBERS_FIRST)
    given = [k for k in values if k != "group"]

    def build(v: Mapping[str, Any]) -> Select[Any]:
        size = 0 if group is None else group[1]
        found = build_contacts(v["ws"], replace(f, **{k: v[k] for k in given}), (v["group"], size) if group else None)
        return found.with_only_columns(*columns)

    return _SHAPES.statement((shape, tuple(columns)), build, {**values, "ws": workspace.id})


def build_contacts(workspace: Workspace | int, f: ContactFilter, group: tuple[int, int] | None) -> Select[Contact]:
    """:func:`select_contacts` once the group (if any) is found: ``group`` is its id and size."""
    conditions: list[Any] = []
    if f.uuid is not None:
        conditions.append(Contact.uuid == f.uuid)
    if f.urn is not None:
        assert isinstance(workspace, Workspace)  # a URN is read with the workspace's country
        identity = lookup_identity(workspace, f.urn)
        owners = scoped(ContactURN, workspace, ContactURN.contact_id).where(ContactURN.identity == identity)
        conditions.append(Contact.id.in_(owners))
    members_of = None
    if group is not None:
        group_id, size = group
        if size <= MEMBERS_FIRST:
            members_of = group_id
        else:
            # a primary-key probe per contact walked in listing order (no temporary list of every member)
            member = select(GroupMember.contact_id).where(
                GroupMember.group_id == group_id, GroupMember.contact_id == Contact.id
            )
            conditions.append(member.exists())
    stmt = listing(workspace, deleted=f.deleted, members_of=members_of).where(*conditions)
    if f.modified_before is not None:
        stmt = stmt.where(Contact.modified_on <= f.modified_before)
    if f.modified_after is not None:
        stmt = stmt.where(Contact.modified_on >= f.modified_after)
    if f.group_id is not None:
        stmt = stmt.where(
            select(GroupMember.contact_id)
            .where(GroupMember.group_id == f.group_id, GroupMember.contact_id == Contact.id)
            .exists()
        )
    if f.text:
        stmt = stmt.where(_matches_text(f.text))
    if f.scope is not None:
        assert isinstance(workspace, Workspace)
        stmt = stmt.where(_in_scope(workspace, f.scope))
    if f.order is not None:
        stmt = stmt.order_by(*_order(f.order))
    return stmt


def _first_phone() -> Any:
    """The path of a contact's first phone number (a correlated subquery)."""
    return (
        select(ContactURN.path)
        .where(ContactURN.contact_id == Contact.id, ContactURN.scheme == "tel")
        .order_by(ContactURN.priority.desc(), ContactURN.id)
        .limit(1)
        .scalar_subquery()
    )


def _matches_text(text: str) -> Any:
    needle = f"%{_escape_like(text.strip().lower())}%"
    digits = "".join(ch for ch in text if ch.isdigit())
    phone = select(ContactURN.contact_id).where(
        ContactURN.contact_id == Contact.id,
        ContactURN.scheme == "tel",
        ContactURN.path.like(f"%{digits}%"),
    )
    conds: list[Any] = [
        func.lower(Contact.first_name).like(needle, escape="\\"),
        func.lower(Contact.last_name).like(needle, escape="\\"),
        func.lower(Contact.business_name).like(needle, escape="\\"),
    ]
    if digits:
        conds.append(phone.exists())
    return or_(*conds)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _in_scope(workspace: Workspace, scope: str) -> Any:
    if scope == "landlines":
        return Contact.line_type == "landline"
    if scope == "flagged":
        return Contact.flagged.is_(True)
    if scope == "with_notes":
        return and_(Contact.notes.is_not(None), func.trim(Contact.notes) != "")
    if scope == "textable":
        return and_(Contact.status == "active", or_(Contact.line_type.is_(None), Contact.line_type != "landline"))
    raise BadParameter("scope", "invalid_choice", value=scope, choices=SCOPES)


def _order(order: str) -> list[Any]:
    descending = order.startswith("-")
    key = order.removeprefix("-")
    if key not in ORDERS:
        raise BadParameter("order", "invalid_choice", value=order, choices=ORDERS)
    if key == "name_then_phone":
        return [
            Contact.last_name.is_(None),
            func.lower(Contact.last_name),
            Contact.first_name.is_(None),
            func.lower(Contact.first_name),
            _first_phone(),
            Contact.id,
        ]
    column = {
        "created": Contact.created_on,
        "modified": Contact.modified_on,
        "first_name": Contact.first_name,
        "last_name": Contact.last_name,
        "business_name": Contact.business_name,
        "phone": _first_phone(),
    }[key]
    if descending:
        return [column.desc(), Contact.id.desc()]
    return [column, Contact.id]


async def by_id(session: AsyncSession, workspace: Workspace, contact_id: int, *, live: bool = True) -> Contact | None:
    """A contact by its integer id (only a live one unless ``live`` is false)."""
    stmt = scoped(Contact, workspace).where(Contact.id == contact_id)
    if live:
        stmt = stmt.where(Contact.is_active)
    found: Contact | None = (await session.execute(stmt)).scalar_one_or_none()
    return found


def tag_names(workspace: Workspace) -> Select[Any]:
    """The distinct tags on the workspace's live contacts, ordered case-insensitively."""
    live = scoped(Contact, workspace, Contact.id).where(Contact.is_active)
    return (
        scoped(ContactTag, workspace, ContactTag.name)
        .where(ContactTag.contact_id.in_(live))
        .group_by(ContactTag.name)
        .order_by(func.lower(ContactTag.name), ContactTag.name)
    )


@dataclass
class Reach:
    """What a page of contacts shows of their phones: each one's numbers and tags, and which numbers are
    opted out."""

    phones: dict[int, list[str]] = field(default_factory=dict)
    tags: dict[int, list[str]] = field(default_factory=dict)
    opted_out: set[str] = field(default_factory=set)


async def load_reach(session: AsyncSession, workspace: Workspace, contacts: Sequence[Contact]) -> Reach:
    """Phones, tags and opt outs of a page of contacts, in three queries."""
    ids = [c.id for c in contacts]
    out = Reach(phones={i: [] for i in ids}, tags={i: [] for i in ids})
    if not ids:
        return out
    rows = await session.execute(
        select(ContactURN.contact_id, ContactURN.path)
        .where(ContactURN.contact_id.in_(ids), ContactURN.scheme == "tel")
        .order_by(ContactURN.contact_id, ContactURN.priority.desc(), ContactURN.id)
    )
    for contact_id, path in rows:
        assert contact_id is not None
        out.phones[contact_id].append(path)
    tags = await session.execute(
        select(ContactTag.contact_id, ContactTag.name)
        .where(ContactTag.contact_id.in_(ids))
        .order_by(ContactTag.contact_id, func.lower(ContactTag.name), ContactTag.name)
    )
    for contact_id, name in tags:
        out.tags[contact_id].append(name)
    numbers = [p for ps in out.phones.values() for p in ps]
    if numbers:
        found = await session.execute(
            scoped(OptOut, workspace, OptOut.phone).where(OptOut.phone.in_(numbers), OptOut.opt_in.is_(False))
        )
        out.opted_out = set(found.scalars())
    return out


async def group_for_filter(session: AsyncSession, workspace: Workspace, ref: str) -> tuple[int, int] | None:
    """A group named in the listing filter, and how many members it has: by UUID or exact (case-sensitive)
    name, active groups only."""
    stmt = scoped(ContactGroup, workspace, ContactGroup.id, ContactGroup.member_count).where(
        ContactGroup.is_active, (ContactGroup.uuid == ref) | (ContactGroup.name == ref)
    )
    row = (await plain.rows(session, stmt.order_by(ContactGroup.id).limit(1))).first()
    return None if row is None else (row.id, row.member_count)


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


_URNS_IN_ORDER: Final = (
    select(ContactURN)
    .where(ContactURN.workspace_id == bindparam("ws"), ContactURN.contact_id == bindparam("contact"))
    .order_by(ContactURN.priority.desc(), ContactURN.id)
)


async def urns_in_order(session: AsyncSession, workspace: Workspace, contact_id: int) -> list[ContactURN]:
    """The contact's URN rows in priority order (the first is the one it is answered on). The statement is
    built once: an inbound message reads its sender's URNs this way."""
    found = await session.execute(_URNS_IN_ORDER, {"ws": workspace.id, "contact": contact_id})
    return list(found.scalars())


_HIT = aliased(ContactURN, name="hit")
# plain columns (db/plain.py), the objects made from them (db/entities.py): every inbound message reads its sender
# this way, and the ORM's load of the two entities cost several times what the statement did
_URNS_OF_HOLDER: Final = (
    select(*entities.columns(ContactURN, "u_"), *entities.columns(Contact, "c_"))
    .join(_HIT, and_(_HIT.contact_id == ContactURN.contact_id, _HIT.workspace_id == bindparam("ws")))
    .join(Contact, and_(Contact.id == ContactURN.contact_id, Contact.workspace_id == bindparam("ws")))
    .where(ContactURN.workspace_id == bindparam("ws"), _HIT.identity == bindparam("identity"), Contact.is_active)
    .order_by(ContactURN.priority.desc(), ContactURN.id)
)


async def urns_of_holder(
    session: AsyncSession, workspace: Workspace, identity: str
) -> tuple[Contact | None, list[ContactURN]]:
    """The live contact holding the URN of this identity, with all its URN rows in priority order, in one
    statement (``None`` and no rows when no live contact holds it): an inbound message's sender. The objects
    are the session's (those it holds already, as an ORM select would answer them)."""
    found = (await plain.rows(session, _URNS_OF_HOLDER, {"ws": workspace.id, "identity": identity})).all()
    if not found:
        return None, []
    contact = entities.adopt(session, entities.detached(Contact, found[0], "c_"))
    return contact, [entities.adopt(session, entities.detached(ContactURN, row, "u_")) for row in found]


_URN_WITH_CONTACT: Final = (
    select(ContactURN, Contact)
    .outerjoin(Contact, and_(Contact.id == ContactURN.contact_id, Contact.workspace_id == bindparam("ws")))
    .where(ContactURN.workspace_id == bindparam("ws"), ContactURN.identity == bindparam("identity"))
)


async def urn_with_contact(
    session: AsyncSession, workspace: Workspace, identity: str
) -> tuple[ContactURN | None, Contact | None]:
    """The URN row of this identity and the contact holding it (either ``None``), in one statement: an inbound
    message's sender is read this way (the statement is built once)."""
    found = (await session.execute(_URN_WITH_CONTACT, {"ws": workspace.id, "identity": identity})).first()
    if found is None:
        return None, None
    return found[0], found[1]


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


# a page's details, built once: building these statements cost more than running them. Each takes the contact
# ids as ``ids``; the flows runtime reads a sprint's contacts with the same ones.
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_ID: BindParameter[Any] = bindparam("id")


def _detail_urns(of: Callable[[Any], ColumnElement[bool]]) -> Executable:
    return (
        select(
            ContactURN.id,
            ContactURN.contact_id,
            ContactURN.scheme,
            ContactURN.path,
            ContactURN.display,
            ContactURN.channel_id,
        )
        .where(of(ContactURN.contact_id))
        .order_by(ContactURN.contact_id, ContactURN.priority.desc(), ContactURN.id)
    )


def _detail_groups(of: Callable[[Any], ColumnElement[bool]]) -> Executable:
    return (
        select(GroupMember.contact_id, ContactGroup.uuid, ContactGroup.name)
        .join(ContactGroup, ContactGroup.id == GroupMember.group_id)
        .where(of(GroupMember.contact_id), ContactGroup.is_active)
        .order_by(ContactGroup.id)
    )


def _detail_values_and_groups(of: Callable[[Any], ColumnElement[bool]]) -> Executable:
    return union_all(
        select(
            ContactValue.contact_id,
            literal_column("1", Integer).label("part"),
            ContactValue.field_id.label("ord"),
            cast(null(), String(36)).label("uuid"),
            cast(null(), String(255)).label("name"),
            ContactValue.text_value,
            ContactValue.number_value,
            ContactValue.datetime_value,
        ).where(of(ContactValue.contact_id)),
        select(
            GroupMember.contact_id,
            literal_column("0", Integer),
            ContactGroup.id,
            ContactGroup.uuid,
            ContactGroup.name,
            null(),
            null(),
            null(),
        )
        .join(ContactGroup, ContactGroup.id == GroupMember.group_id)
        .where(of(GroupMember.contact_id), ContactGroup.is_active),
    ).order_by(literal_column("part"), literal_column("ord"))


def _of_ids(column: Any) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = column.in_(_IDS)
    return condition


def _of_id(column: Any) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = column == _ID
    return condition


DETAIL_URNS = _detail_urns(_of_ids)
DETAIL_GROUPS = _detail_groups(_of_ids)
# a page's and a sprint's contacts (load_details, flows/contacts.people): a contact's values and DETAIL_GROUPS in
# one statement, ``part`` 0 for a group (ordered by its id, as DETAIL_GROUPS), 1 for a value. The values come
# first: the result's column types (a number, a datetime) are the first select's.
DETAIL_VALUES_AND_GROUPS: Executable = _detail_values_and_groups(_of_ids)
# the same three for one contact (an inbound message's sender, a timer's contact), taking its id as ``id``: the
# same rows, from a statement compiled once (an expanding ``IN`` is rewritten at each execution, and that cost
# more than the rest of running it)
DETAIL_URNS_OF_ONE = _detail_urns(_of_id)
DETAIL_GROUPS_OF_ONE = _detail_groups(_of_id)
DETAIL_VALUES_AND_GROUPS_OF_ONE: Executable = _detail_values_and_groups(_of_id)
_DETAIL_NOTES = (
    select(
        ContactNote.contact_id, ContactNote.text, ContactNote.created_on, User.email, User.first_name, User.last_name
    )
    .outerjoin(User, User.id == ContactNote.created_by_id)
    .where(ContactNote.contact_id.in_(_IDS))
    .order_by(ContactNote.created_on, ContactNote.id)
)


async def load_details(session: AsyncSession, contacts: Sequence[Any]) -> dict[int, Details]:
    """URNs, groups, values and notes of a page of contacts: three queries (the groups and values in one),
    plain columns."""
    ids = [c.id for c in contacts]
    out = {cid: Details() for cid in ids}
    if not ids:
        return out
    wanted = {"ids": ids}
    # each result read whole (``all``: one fetch, not one driver call per row)
    for urn in (await plain.rows(session, DETAIL_URNS, wanted)).all():
        out[urn.contact_id].urns.append(urn)
    for row in (await plain.rows(session, DETAIL_VALUES_AND_GROUPS, wanted)).all():
        if row.part == 0:  # a group: uuid, name (in the order of their ids)
            out[row.contact_id].groups.append(row)
        else:  # a value of the field ``ord``: text_value, number_value, datetime_value
            out[row.contact_id].values[row.ord] = row
    for note in (await plain.rows(session, _DETAIL_NOTES, wanted)).all():
        name = f"{note.first_name or ''} {note.last_name or ''}".strip() or None
        out[note.contact_id].notes.append(NoteView(note.text, note.created_on, note.email, name))
    return out
