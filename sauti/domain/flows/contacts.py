"""A contact as the engine reads it, built from its rows (URNs in priority order, groups, field values).

The other direction, saving what the engine changed, goes through the contacts domain (see ``apply.py``) so
every rule the dialects obey (smart groups, opt outs, URN ownership) holds for flows too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import plain
from sauti.domain.contacts import queries as contact_queries
from sauti.domain.fields import queries as field_queries
from sauti.domain.tickets import queries as ticket_queries
from sauti.engine.contact import Contact as EngineContact
from sauti.engine.contact import ContactURN, FieldValue, GroupRef, OpenTicket
from sauti.models import Contact, Workspace


class Keyed(Protocol):
    """A custom field as contacts' values need it (a ContactField row, or just these)."""

    @property
    def id(self) -> int: ...

    @property
    def key(self) -> str: ...


class Identified(Protocol):
    """A channel as a contact's URNs name it."""

    @property
    def uuid(self) -> str: ...


@dataclass
class Person:
    """A contact as a sprint needs it: the engine's contact, and its URN rows (what routing a reply reads)."""

    contact: EngineContact
    urns: list[Any] = field(default_factory=list)


async def people(
    session: AsyncSession,
    workspace: Workspace,
    contacts: Sequence[Contact],
    *,
    fields: Sequence[Keyed] | None = None,
    channels: Mapping[int, Identified] | None = None,
    urns: Mapping[int, Sequence[Any]] | None = None,
) -> dict[int, Person]:
    """Each contact as a sprint needs it, by contact id, in three queries (four without ``fields``, two when
    ``urns`` gives every contact's URN rows in priority order: an inbound message's sender, whose URNs
    ``receive`` read already)."""
    if not contacts:
        return {}
    if fields is None:
        fields = await field_queries.user_fields(session, workspace)
    keys = {f.id: f.key for f in fields}
    channel_uuids = {cid: c.uuid for cid, c in (channels or {}).items()}
    # one contact (a resume's) by its id: statements compiled once, where a list of ids is expanded each time
    one = len(contacts) == 1
    wanted: dict[str, Any] = {"id": contacts[0].id} if one else {"ids": [c.id for c in contacts]}
    known = urns if urns is not None and all(c.id in urns for c in contacts) else None
    by_contact: dict[int, list[Any]] = {c.id: list(known[c.id]) if known is not None else [] for c in contacts}
    groups: dict[int, list[GroupRef]] = {c.id: [] for c in contacts}
    values: dict[int, dict[str, FieldValue]] = {c.id: {} for c in contacts}
    # plain columns on the connection (the ORM's statement machinery would cost more than these selects do),
    # which does not autoflush: pending changes of these contacts are written first
    await session.flush()
    if known is None:
        for urn in await plain.rows(
            session, contact_queries.DETAIL_URNS_OF_ONE if one else contact_queries.DETAIL_URNS, wanted
        ):
            by_contact[urn.contact_id].append(urn)
    # the groups and values in one statement (only the groups for a workspace without fields: values of no field
    # it has are dropped)
    if keys:
        both = contact_queries.DETAIL_VALUES_AND_GROUPS_OF_ONE if one else contact_queries.DETAIL_VALUES_AND_GROUPS
        for row in await plain.rows(session, both, wanted):
            if row.part == 0:
                groups[row.contact_id].append(GroupRef(row.uuid, row.name))
            elif (key := keys.get(row.ord)) is not None:
                values[row.contact_id][key] = FieldValue(row.text_value, row.number_value, row.datetime_value)
    else:
        groups_of = contact_queries.DETAIL_GROUPS_OF_ONE if one else contact_queries.DETAIL_GROUPS
        for group in await plain.rows(session, groups_of, wanted):
            groups[group.contact_id].append(GroupRef(group.uuid, group.name))
    tickets = await _open_tickets(session, workspace, [c.id for c in contacts if c.tickets])
    out: dict[int, Person] = {}
    for contact in contacts:
        engine_contact = EngineContact(
            uuid=contact.uuid,
            id=contact.id,
            created_on=contact.created_on,
            name=contact.name or "",
            language=contact.language or "",
            timezone=contact.timezone or "",
            status=contact.status,
            last_seen_on=contact.last_seen_on,
            urns=[
                ContactURN(u.scheme, u.path, channel_uuids.get(u.channel_id) if u.channel_id else None)
                for u in by_contact[contact.id]
            ],
            groups=groups[contact.id],
            fields=values[contact.id],
            ticket=tickets.get(contact.id),
        )
        out[contact.id] = Person(engine_contact, by_contact[contact.id])
    return out


async def _open_tickets(
    session: AsyncSession, workspace: Workspace, contact_ids: Sequence[int]
) -> dict[int, OpenTicket]:
    """The open ticket of each of these contacts (those whose ``tickets`` count says they have one: most have
    none, and then there is no query)."""
    if not contact_ids:
        return {}
    rows = await ticket_queries.open_tickets_detail(session, workspace, contact_ids)
    out: dict[int, OpenTicket] = {}
    for contact_id, uuid, topic_uuid, topic_name, email, first, last in rows:
        assignee = {"email": email, "name": f"{first or ''} {last or ''}".strip()} if email is not None else None
        out[contact_id] = OpenTicket(uuid, {"uuid": topic_uuid, "name": topic_name}, assignee)
    return out


async def engine_contacts(
    session: AsyncSession,
    workspace: Workspace,
    contacts: Sequence[Contact],
    *,
    fields: Sequence[Keyed] | None = None,
    channels: Mapping[int, Identified] | None = None,
) -> dict[int, EngineContact]:
    """The engine contact of each contact, by contact id."""
    found = await people(session, workspace, contacts, fields=fields, channels=channels)
    return {cid: p.contact for cid, p in found.items()}
