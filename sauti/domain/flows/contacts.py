"""A contact as the engine reads it, built from its rows (URNs in priority order, groups, field values).

The other direction, saving what the engine changed, goes through the contacts domain (see ``apply.py``) so
every rule the dialects obey (smart groups, opt outs, URN ownership) holds for flows too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.contacts.queries import load_details
from sauti.domain.fields import queries as field_queries
from sauti.engine.contact import Contact as EngineContact
from sauti.engine.contact import ContactURN, FieldValue, GroupRef
from sauti.models import Channel, Contact, ContactField, Workspace


async def engine_contacts(
    session: AsyncSession,
    workspace: Workspace,
    contacts: Sequence[Contact],
    *,
    fields: Sequence[ContactField] | None = None,
    channels: Mapping[int, Channel] | None = None,
) -> dict[int, EngineContact]:
    """The engine contact of each contact, by contact id, in a fixed number of queries."""
    if not contacts:
        return {}
    if fields is None:
        fields = await field_queries.user_fields(session, workspace)
    keys = {f.id: f.key for f in fields}
    details = await load_details(session, contacts)
    channel_uuids = {cid: c.uuid for cid, c in (channels or {}).items()}
    out: dict[int, EngineContact] = {}
    for contact in contacts:
        d = details[contact.id]
        values: dict[str, FieldValue] = {}
        for field_id, v in d.values.items():
            key = keys.get(field_id)
            if key is not None:
                values[key] = FieldValue(v.text_value, v.number_value, v.datetime_value)
        out[contact.id] = EngineContact(
            uuid=contact.uuid,
            id=contact.id,
            created_on=contact.created_on,
            name=contact.name or "",
            language=contact.language or "",
            status=contact.status,
            last_seen_on=contact.last_seen_on,
            urns=[
                ContactURN(u.scheme, u.path, channel_uuids.get(u.channel_id) if u.channel_id else None) for u in d.urns
            ],
            groups=[GroupRef(g.uuid, g.name) for g in d.groups],
            fields=values,
        )
    return out
