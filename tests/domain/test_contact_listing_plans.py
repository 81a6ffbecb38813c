"""A contact listing filtered by a group reads a small group from its members (each looked up by id, then
sorted) and a large one by walking the workspace's contacts in listing order: the same contacts, in the same
order, either way; on SQLite the plans say which (``domain/contacts/queries.MEMBERS_FIRST``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select, update

from sauti.domain.contacts import queries
from sauti.domain.groups import service as group_service
from sauti.kit import clock
from sauti.models import Contact, ContactGroup, GroupMember
from tests.conftest import Backend, Tenant
from tests.worker.test_claims import _plan

SMALL, LARGE = 15, queries.MEMBERS_FIRST + 100


async def _groups(backend: Backend, tenant: Tenant) -> dict[str, tuple[str, list[str]]]:
    """2,600 contacts of distinct modified times; a small and a large group of them. Each group's UUID and its
    members' UUIDs in listing order (newest first)."""
    start = clock.now() - timedelta(days=1)
    rows = [
        {
            "uuid": clock.new_uuid(),
            "workspace_id": tenant.workspace.id,
            "status": "active",
            "is_active": True,
            "created_on": start,
            "modified_on": start + timedelta(seconds=(n * 7919) % 2600),  # shuffled against the ids
        }
        for n in range(2600)
    ]
    out: dict[str, tuple[str, list[str]]] = {}
    async with backend.sessionmaker() as session:
        await session.execute(insert(Contact), rows)
        contacts = (
            await session.execute(
                select(Contact.id, Contact.uuid, Contact.modified_on).where(Contact.workspace_id == tenant.workspace.id)
            )
        ).all()
        by_id = sorted(contacts, key=lambda c: c.id)
        for name, members in (("small", by_id[100 : 100 + 7 * SMALL : 7]), ("large", by_id[:LARGE])):
            group = await group_service.create(session, tenant.workspace, name=name)
            await session.flush()
            await session.execute(insert(GroupMember), [{"group_id": group.id, "contact_id": c.id} for c in members])
            await session.execute(
                update(ContactGroup).where(ContactGroup.id == group.id).values(member_count=len(members))
            )
            ordered = sorted(members, key=lambda c: (c.modified_on, c.id), reverse=True)
            out[name] = (group.uuid, [c.uuid for c in ordered])
        await session.commit()
    async with backend.engine.connect() as conn:
        for table in ("contacts", "contact_group_members"):
            await conn.exec_driver_sql(f"ANALYZE {table}")
        await conn.commit()
    return out


async def _listed(client: httpx.AsyncClient, group_uuid: str) -> list[str]:
    uuids: list[str] = []
    url: str | None = f"/api/v2/contacts.json?group={group_uuid}"
    while url:
        page = (await client.get(url)).json()
        uuids += [c["uuid"] for c in page["results"]]
        url = page["next"]
    return uuids


async def test_a_group_lists_its_members_in_order_whichever_way_it_is_read(
    app: Any, backend: Backend, tenant: Tenant, client: httpx.AsyncClient
) -> None:
    groups = await _groups(backend, tenant)
    for name, (uuid, expected) in groups.items():
        assert len(expected) == (SMALL if name == "small" else LARGE)
        assert await _listed(client, uuid) == expected, name  # every page, through the cursor
        by_name = (await client.get(f"/api/v2/contacts.json?group={name}&reverse=true")).json()["results"]
        assert [c["uuid"] for c in by_name] == expected[::-1][: len(by_name)], name
    async with backend.sessionmaker() as session:
        for name, (uuid, _expected) in groups.items():
            stmt = await queries.select_contacts(session, tenant.workspace, queries.ContactFilter(group=uuid))
            assert stmt is not None
            paged = stmt.order_by(Contact.modified_on.desc(), Contact.id.desc()).limit(251)
            async with backend.engine.connect() as conn:
                plan = await _plan(conn, paged)
                await conn.rollback()
            if backend.name == "sqlite":
                if name == "small":  # the members, each by id, then sorted
                    assert "INTEGER PRIMARY KEY" in plan and "TEMP B-TREE" in plan, plan
                else:  # the listing index walked, a membership probe per contact
                    assert "ix_contacts_ws_active_modified" in plan and "TEMP B-TREE" not in plan, plan
