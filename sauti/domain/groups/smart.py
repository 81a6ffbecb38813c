"""Smart groups: membership from a contact query, right after every contact change.

Two evaluators share one parsed tree: SQL (``domain.contacts.search``) fills a group when it is created or its
query changes, and the in-memory evaluator (``engine.contactql``) re-checks the contacts a request changed.
Only active, live contacts belong to groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import bindparam, delete, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import plain
from sauti.domain.campaigns import fires
from sauti.domain.contacts import queries as contact_queries
from sauti.domain.errors import ErrorCollector
from sauti.domain.fields import queries as field_queries
from sauti.domain.groups import membership
from sauti.domain.groups import queries as group_queries
from sauti.domain.scope import scoped
from sauti.engine import contactql
from sauti.models import Contact, ContactField, ContactGroup, GroupMember, Workspace

# DECISION: the message for attributes a smart group cannot use (the reference gives no wording)


@dataclass(frozen=True)
class ParsedQuery:
    node: contactql.Node
    canonical: str


class _Resolver:
    def __init__(self, fields: Sequence[ContactField], group_names: set[str]) -> None:
        self.types = {f.key: f.value_type for f in fields}
        self.group_names = group_names

    def field_type(self, key: str) -> str | None:
        return self.types.get(key.lower())

    def group_exists(self, name: str) -> bool:
        return name.casefold() in self.group_names

    def flow_exists(self, name: str) -> bool:
        return False  # flows arrive with the flow engine


def environment(ws: Workspace) -> contactql.Environment:
    return contactql.Environment(
        timezone=ws.timezone, date_style=ws.date_style, country=ws.country, redact_urns=ws.anon
    )


async def _all_fields(session: AsyncSession, ws: Workspace) -> list[ContactField]:
    """Custom fields plus the proxy fields (created_on, last_seen_on resolve as attributes anyway)."""
    return await field_queries.user_fields(session, ws)


async def parse_for_group(
    session: AsyncSession, ws: Workspace, query: str, errors: ErrorCollector
) -> ParsedQuery | None:
    """Parse and validate a smart group's query; problems go to ``errors`` under ``query``."""
    fields = await _all_fields(session, ws)
    names = {
        n.casefold()
        for n in (
            await session.execute(scoped(ContactGroup, ws, ContactGroup.name).where(ContactGroup.is_active))
        ).scalars()
    }
    try:
        node = contactql.parse_query(query, _Resolver(fields, names), environment(ws))
    except contactql.QueryError as exc:
        errors.add("query", "query_invalid", query_code=exc.code, message=exc.message, extra=exc.extra)
        return None
    if not contactql.allow_as_group(node):
        errors.add("query", "query_not_for_groups")
        return None
    return ParsedQuery(node=node, canonical=contactql.to_text(node))


async def populate(session: AsyncSession, ws: Workspace, group: ContactGroup, parsed: ParsedQuery) -> None:
    """(Re)fill a smart group from its query in one INSERT ... SELECT, then set its count."""
    from sauti.domain.contacts.search import FieldInfo, to_where

    group.status = "evaluating"
    fields = await _all_fields(session, ws)
    infos = {f.key: FieldInfo(id=f.id, value_type=f.value_type) for f in fields}
    await session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    where = to_where(parsed.node, workspace_id=ws.id, fields=infos, env=environment(ws))
    matching = (
        select(literal(group.id, GroupMember.group_id.type), Contact.id)
        .where(Contact.workspace_id == ws.id, Contact.is_active, Contact.status == "active")
        .where(where)
    )
    await session.execute(insert(GroupMember).from_select(["group_id", "contact_id"], matching))
    await membership.recount(session, group)
    group.status = "ready"
    await session.flush()
    await fires.group_refilled(session, group.id, group.workspace_id)


@lru_cache(maxsize=1024)
def _parse_cached(query: str, field_types: tuple[tuple[str, str], ...], env: contactql.Environment) -> contactql.Node:
    class R:
        def field_type(self, key: str) -> str | None:
            return dict(field_types).get(key.lower())

        def group_exists(self, name: str) -> bool:
            return False

        def flow_exists(self, name: str) -> bool:
            return False

    return contactql.parse_query(query, R(), env)


async def refresh_contacts(session: AsyncSession, ws: Workspace, contacts: Sequence[Contact]) -> None:
    """Re-evaluate every smart group for the given contacts and fix their memberships and the counts."""
    groups = await group_queries.smart_groups(session, ws)
    if not groups or not contacts:
        return
    fields = await _all_fields(session, ws)
    env = environment(ws)
    types = tuple(sorted((f.key, f.value_type) for f in fields))
    keys = {f.id: f.key for f in fields}
    nodes: list[tuple[ContactGroup, contactql.Node | None]] = []
    for g in groups:
        try:
            nodes.append((g, _parse_cached(g.query or "", types, env)))
        except contactql.QueryError:
            nodes.append((g, None))  # a field it used was deleted: it matches nobody
    details = await contact_queries.load_details(session, contacts)
    current = await membership.current(session, [c.id for c in contacts])
    smart_ids = {g.id for g in groups}
    for contact in contacts:
        d = details[contact.id]
        wanted: set[int] = set()
        if contact.is_active and contact.status == "active":
            snap = contactql.ContactSnapshot(
                uuid=contact.uuid,
                id=contact.id,
                name=contact.name,
                status=contact.status,
                language=contact.language,
                urns=tuple((u.scheme, u.path) for u in d.urns),
                fields={
                    keys[fid]: contactql.FieldValue(v.text_value, v.number_value, v.datetime_value)
                    for fid, v in d.values.items()
                    if fid in keys
                },
                groups=frozenset(g.name.casefold() for g in d.groups),
                created_on=contact.created_on,
                last_seen_on=contact.last_seen_on,
                tickets=contact.tickets,
                flow=None,
            )
            wanted = {g.id for g, node in nodes if node is not None and contactql.evaluate(node, snap, env)}
        have = current[contact.id] & smart_ids
        await membership.set_for_contact(session, contact.id, have, wanted)


async def repopulate_using_field(session: AsyncSession, ws: Workspace, key: str) -> None:
    """Re-fill every smart group whose query mentions the field ``key`` (after its type changed)."""
    for group in await group_queries.smart_groups(session, ws):
        try:
            node = contactql.parse(group.query or "")
        except contactql.QueryError:
            continue
        if any(c.kind == "field" and c.key == key for c in contactql.iter_conditions(node)):
            errors = ErrorCollector()
            parsed = await parse_for_group(session, ws, group.query or "", errors)
            if parsed is None:
                group.status = "invalid"  # e.g. "age > 18" once age is text: nobody matches any more
                await session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
                group.member_count = 0
                await fires.group_refilled(session, group.id, group.workspace_id)
            else:
                await populate(session, ws, group, parsed)


_SMART_QUERIES = select(ContactGroup.query).where(
    ContactGroup.workspace_id == bindparam("ws"),
    ContactGroup.is_active,
    ContactGroup.group_type == "smart",
    ~ContactGroup.is_system,
)  # built once: every field listing asks


async def field_usage(session: AsyncSession, ws: Workspace) -> dict[str, int]:
    """How many active smart groups use each field key."""
    usage: dict[str, int] = {}
    for (query,) in (await plain.rows(session, _SMART_QUERIES, {"ws": ws.id})).all():
        for key in fields_of(query or ""):
            usage[key] = usage.get(key, 0) + 1
    return usage


@lru_cache(maxsize=4096)
def fields_of(query: str) -> frozenset[str]:
    """The field keys a group's query names (none when it does not parse); every field listing asks, for every
    smart group, so the answer is kept per query text."""
    try:
        node = contactql.parse(query)
    except contactql.QueryError:
        return frozenset()
    return frozenset(c.key for c in contactql.iter_conditions(node) if c.kind == "field")
