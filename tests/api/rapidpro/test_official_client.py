"""End to end with the official RapidPro Python client (``rapidpro-python``) against the real server process.

The server runs as ``uvicorn sauti.app:create_app --factory`` on a loopback port, one process per database
backend; the client is synchronous (``requests``), so every call runs in a worker thread while the test's own
event loop checks the database. What the client hands back and what the database holds afterwards are both
asserted.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temba_client.base import CursorQuery
from temba_client.exceptions import TembaBadRequestError, TembaNoSuchObjectError, TembaTokenError
from temba_client.serialization import DatetimeField, SimpleField, TembaObject
from temba_client.v2 import TembaClient
from temba_client.v2.types import Contact as TembaContact
from temba_client.v2.types import Field as TembaField
from temba_client.v2.types import Global as TembaGlobal
from temba_client.v2.types import Group as TembaGroup
from temba_client.v2.types import Org

from sauti.domain.workspaces import service as ws_service
from sauti.engine.contactql.text import name_key, name_tokens
from sauti.models import (
    Contact,
    ContactField,
    ContactGroup,
    ContactURN,
    ContactValue,
    Global,
    GroupMember,
    Membership,
    User,
    Workspace,
)
from tests.api.rapidpro.helpers import count, row
from tests.conftest import Backend, Tenant, make_tenant
from tests.support.server import Server, running_server

pytestmark = pytest.mark.usefixtures("app")

T = TypeVar("T")
Db = async_sessionmaker[AsyncSession]
MISSING_UUID = "ad6acad9-959b-4d70-b144-5de2891e4d00"


class TembaUser(TembaObject):
    """``users.json`` rows. rapidpro-python 2.21 has no ``get_users()``, so the test declares the type and pages
    through the endpoint with the client's own cursor machinery (``_get_query``)."""

    uuid = SimpleField()
    name = SimpleField()
    email = SimpleField()
    role = SimpleField()
    created_on = DatetimeField()


@pytest.fixture(scope="module")
def server(backend: Backend) -> Iterator[Server]:
    """One server process per backend for the whole module (schema migrated by the ``backend`` fixture)."""
    with running_server(backend.url) as srv:
        yield srv


@pytest.fixture
async def rw(app: Any, backend: Backend) -> Tenant:
    return await make_tenant(
        backend, "Nyaruka", "admin@nyaruka.com", country="RW", languages=["eng", "kin"], timezone="Africa/Kigali"
    )


@pytest.fixture
def temba(server: Server, rw: Tenant) -> TembaClient:
    # a host starting with "http" is used as given: plain HTTP to the loopback server
    return TembaClient(server.base_url, rw.token)


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one blocking client call off the event loop (the loop also serves the test's database sessions)."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def contact_row(db: Db, uuid: str) -> Contact:
    stored: Contact | None = await row(db, Contact, Contact.uuid == uuid)
    assert stored is not None, uuid
    return stored


async def urns_of(db: Db, contact_id: int) -> list[str]:
    async with db() as session:
        rows = await session.execute(
            select(ContactURN.identity)
            .where(ContactURN.contact_id == contact_id)
            .order_by(ContactURN.priority.desc(), ContactURN.id)
        )
        return list(rows.scalars())


async def group_names_of(db: Db, contact_id: int) -> set[str]:
    async with db() as session:
        rows = await session.execute(
            select(ContactGroup.name)
            .join(GroupMember, GroupMember.group_id == ContactGroup.id)
            .where(GroupMember.contact_id == contact_id)
        )
        return set(rows.scalars())


async def values_of(db: Db, contact_id: int) -> dict[str, str]:
    async with db() as session:
        rows = await session.execute(
            select(ContactField.key, ContactValue.text_value)
            .join(ContactValue, ContactValue.field_id == ContactField.id)
            .where(ContactValue.contact_id == contact_id)
        )
        return {k: v for k, v in rows.all()}


# --------------------------------------------------------------------------------------------------------------------
# workspace and users
# --------------------------------------------------------------------------------------------------------------------


async def test_get_org(temba: TembaClient, rw: Tenant, db: Db) -> None:
    org = await call(temba.get_org)
    assert isinstance(org, Org)
    assert org.uuid == rw.workspace.uuid
    assert org.name == "Nyaruka"
    assert org.country == "RW"
    assert org.languages == ["eng", "kin"]
    assert org.primary_language == "eng"
    assert org.timezone == "Africa/Kigali"
    assert org.date_style == "day_first"
    assert org.anon is False
    # the client has no get_workspace(); workspace.json is the same object under its current name
    raw = await call(temba._get_raw, "workspace", {})
    assert raw == {**Org.serialize(org), "credits": {"used": -1, "remaining": -1}}
    stored = await row(db, Workspace, Workspace.uuid == org.uuid)
    assert (stored.name, stored.country, list(stored.languages), stored.timezone) == (
        "Nyaruka",
        "RW",
        ["eng", "kin"],
        "Africa/Kigali",
    )


async def test_get_users(temba: TembaClient, rw: Tenant, db: Db) -> None:
    async with db() as session:
        ws = await session.get(Workspace, rw.workspace.id)
        assert ws is not None
        editor = await ws_service.create_user(session, email="ed@nyaruka.com", first_name="Ed", last_name="Itor")
        await ws_service.grant_role(session, ws, editor, "editor")
        await session.commit()
    users = await call(temba._get_query("users", {}, TembaUser).all)
    assert [(u.email, u.role, u.name) for u in users] == [
        ("ed@nyaruka.com", "editor", "Ed Itor"),
        ("admin@nyaruka.com", "administrator", "Ann Admin"),
    ]  # most recently joined first
    assert users[1].uuid == rw.user.uuid
    assert all(isinstance(u.created_on, datetime) and u.created_on.tzinfo is not None for u in users)
    assert await count(db, Membership, Membership.workspace_id == rw.workspace.id) == 2
    stored = await row(db, User, User.uuid == users[0].uuid)
    assert stored.email == "ed@nyaruka.com"


# --------------------------------------------------------------------------------------------------------------------
# fields
# --------------------------------------------------------------------------------------------------------------------


async def test_fields(temba: TembaClient, rw: Tenant, db: Db) -> None:
    nick = await call(temba.create_field, "Nick Name", "text")
    assert isinstance(nick, TembaField)
    assert (nick.key, nick.name, nick.type) == ("nick_name", "Nick Name", "text")
    age = await call(temba.create_field, "Age", "number")
    assert (age.key, age.name, age.type) == ("age", "Age", "number")

    listed = await call(temba.get_fields().all)
    assert [(f.key, f.name, f.type) for f in listed] == [("age", "Age", "number"), ("nick_name", "Nick Name", "text")]
    only = await call(temba.get_fields(key="nick_name").all)
    assert [f.key for f in only] == ["nick_name"]

    # update by object, then by key; the key never changes
    renamed = await call(temba.update_field, nick, "Nickname", "text")
    assert (renamed.key, renamed.name, renamed.type) == ("nick_name", "Nickname", "text")
    retyped = await call(temba.update_field, "age", "Years", "text")
    assert (retyped.key, retyped.name, retyped.type) == ("age", "Years", "text")

    async with db() as session:
        rows = await session.execute(
            select(ContactField.key, ContactField.name, ContactField.value_type)
            .where(ContactField.workspace_id == rw.workspace.id, ~ContactField.is_system, ContactField.is_active)
            .order_by(ContactField.id)
        )
        assert [tuple(r) for r in rows.all()] == [("nick_name", "Nickname", "text"), ("age", "Years", "text")]

    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_field, "nickname", "text")
    assert exc.value.errors == {"name": ["This field must be unique."]}
    assert str(exc.value) == "This field must be unique."
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_field, "Colour", "colour")
    assert exc.value.errors == {"type": ['"colour" is not a valid choice.']}
    with pytest.raises(TembaNoSuchObjectError):
        await call(temba.update_field, "no_such_key", "X", "text")
    assert await count(db, ContactField, ContactField.workspace_id == rw.workspace.id, ~ContactField.is_system) == 2


# --------------------------------------------------------------------------------------------------------------------
# groups
# --------------------------------------------------------------------------------------------------------------------


async def test_groups(temba: TembaClient, rw: Tenant, db: Db) -> None:
    customers = await call(temba.create_group, "Customers")
    assert isinstance(customers, TembaGroup)
    assert (customers.name, customers.query, customers.status, customers.system, customers.count) == (
        "Customers",
        None,
        "ready",
        False,
        0,
    )
    await call(temba.create_group, "Reporters")

    found = await call(temba.get_groups(name="customers").all)  # names match case-insensitively
    assert [g.uuid for g in found] == [customers.uuid]
    by_uuid = await call(temba.get_groups(uuid=customers.uuid).first)
    assert by_uuid is not None and by_uuid.name == "Customers"
    everything = await call(temba.get_groups().all)
    assert [g.name for g in everything if not g.system] == ["Reporters", "Customers"]  # newest first

    renamed = await call(temba.update_group, customers, "Clients")
    assert (renamed.uuid, renamed.name) == (customers.uuid, "Clients")
    stored = await row(db, ContactGroup, ContactGroup.uuid == customers.uuid)
    assert stored.name == "Clients" and stored.group_type == "manual" and stored.is_active

    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.update_group, customers.uuid, "reporters")
    assert exc.value.errors == {"name": ["This field must be unique."]}

    await call(temba.delete_group, customers)
    stored = await row(db, ContactGroup, ContactGroup.uuid == customers.uuid)
    assert stored.is_active is False
    assert await call(temba.get_groups(uuid=customers.uuid).all) == []
    assert await call(temba.get_groups(name="Clients").all) == []
    with pytest.raises(TembaNoSuchObjectError):
        await call(temba.delete_group, customers.uuid)
    with pytest.raises(TembaNoSuchObjectError):
        await call(temba.update_group, MISSING_UUID, "Ghosts")
    # the deleted group's name is free again
    again = await call(temba.create_group, "Clients")
    assert again.uuid != customers.uuid


# --------------------------------------------------------------------------------------------------------------------
# contacts
# --------------------------------------------------------------------------------------------------------------------


@pytest.fixture
async def catalog(temba: TembaClient) -> dict[str, Any]:
    """Two fields and two manual groups, made through the client."""
    return {
        "nick": await call(temba.create_field, "Nick Name", "text"),
        "age": await call(temba.create_field, "Age", "number"),
        "vip": await call(temba.create_group, "VIP"),
        "staff": await call(temba.create_group, "Staff"),
    }


async def test_create_and_get_contact(temba: TembaClient, catalog: dict[str, Any], rw: Tenant, db: Db) -> None:
    vip = catalog["vip"]
    created = await call(
        temba.create_contact,
        name="Jean D'Amour",
        language="kin",
        urns=["tel:0788 123 123", "twitter:JeanDamour"],
        fields={"nick_name": "Jado", "age": 27},
        groups=[vip, "Staff"],  # a group object (sent as its UUID) and a name
    )
    assert isinstance(created, TembaContact)
    assert created.name == "Jean D'Amour"
    assert created.language == "kin"
    assert created.status == "active"
    assert created.urns == ["tel:+250788123123", "twitter:jeandamour"]
    assert sorted(g.name for g in created.groups) == ["Staff", "VIP"]
    assert created.fields == {"nick_name": "Jado", "age": "27"}
    assert created.flow is None and created.last_seen_on is None
    assert created.created_on == created.modified_on
    assert created.created_on.tzinfo is not None

    stored = await contact_row(db, created.uuid)
    assert (stored.name, stored.language, stored.status, stored.is_active) == ("Jean D'Amour", "kin", "active", True)
    assert stored.workspace_id == rw.workspace.id
    assert stored.modified_on == created.modified_on  # the wire format keeps every microsecond
    assert await urns_of(db, stored.id) == ["tel:+250788123123", "twitter:jeandamour"]
    assert await values_of(db, stored.id) == {"nick_name": "Jado", "age": "27"}
    assert await group_names_of(db, stored.id) == {"VIP", "Staff"}
    assert (await row(db, ContactGroup, ContactGroup.uuid == vip.uuid)).member_count == 1

    other = await call(temba.create_contact, name="Bob", urns=["tel:+250788000002"])
    assert other.groups == [] and other.fields == {"nick_name": None, "age": None} and other.language is None

    for query in (
        temba.get_contacts(uuid=created.uuid),
        temba.get_contacts(urn="tel:+250788123123"),
        temba.get_contacts(urn="tel:0788123123"),  # local numbers are read with the workspace country
        temba.get_contacts(group=vip),
        temba.get_contacts(group="VIP"),
    ):
        assert [c.uuid for c in await call(query.all)] == [created.uuid], query.params
    assert [c.uuid for c in await call(temba.get_contacts().all)] == [other.uuid, created.uuid]
    assert [c.uuid for c in await call(temba.get_contacts(reverse=True).all)] == [created.uuid, other.uuid]
    assert await call(temba.get_contacts(urn="tel:+250788999999").all) == []
    assert await call(temba.get_contacts(group="No Such Group").all) == []
    assert await count(db, Contact, Contact.workspace_id == rw.workspace.id) == 2


async def test_update_contact(temba: TembaClient, catalog: dict[str, Any], db: Db) -> None:
    contact = await call(
        temba.create_contact, name="Ann", urns=["tel:+250788000001"], fields={"nick_name": "Annie"}, groups=["VIP"]
    )

    # by object
    by_obj = await call(temba.update_contact, contact, name="Anne", language="eng")
    assert (by_obj.uuid, by_obj.name, by_obj.language) == (contact.uuid, "Anne", "eng")
    assert by_obj.urns == ["tel:+250788000001"] and [g.name for g in by_obj.groups] == ["VIP"]
    assert by_obj.fields == {"nick_name": "Annie", "age": None}  # keys not sent are left alone
    assert by_obj.modified_on > contact.modified_on
    stored = await contact_row(db, contact.uuid)
    assert (stored.name, stored.language, stored.modified_on) == ("Anne", "eng", by_obj.modified_on)

    # by UUID string: URNs and groups are replaced, a null field value clears it
    by_uuid = await call(
        temba.update_contact,
        contact.uuid,
        urns=["twitter:anne", "tel:+250788000009"],
        groups=[catalog["staff"]],
        fields={"nick_name": None, "age": "31"},
    )
    assert by_uuid.urns == ["twitter:anne", "tel:+250788000009"]
    assert [g.name for g in by_uuid.groups] == ["Staff"]
    assert by_uuid.fields == {"nick_name": None, "age": "31"}
    assert await urns_of(db, stored.id) == ["twitter:anne", "tel:+250788000009"]
    assert await group_names_of(db, stored.id) == {"Staff"}
    assert await values_of(db, stored.id) == {"age": "31"}
    detached = await row(db, ContactURN, ContactURN.identity == "tel:+250788000001")
    assert detached is not None and detached.contact_id is None  # the dropped URN is free for others

    # by URN (a URN string is sent as ?urn=)
    by_urn = await call(temba.update_contact, "tel:+250788000009", name="Anne Marie")
    assert (by_urn.uuid, by_urn.name) == (contact.uuid, "Anne Marie")
    assert (await contact_row(db, contact.uuid)).name == "Anne Marie"

    # a URN nobody has creates the contact (the endpoint upserts by URN)
    fresh = await call(temba.update_contact, "tel:+250788000077", name="Newcomer")
    assert fresh.uuid != contact.uuid and fresh.urns == ["tel:+250788000077"]
    assert (await contact_row(db, fresh.uuid)).name == "Newcomer"

    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.update_contact, "tel:+250788000009", urns=["tel:+250788000010"])
    assert exc.value.errors == {"urns": ["Field not allowed when using URN in URL"]}
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.update_contact, fresh, urns=["tel:+250788000009"])
    assert exc.value.errors == {"urns": {"0": ["URN is in use by another contact."]}}
    assert await urns_of(db, (await contact_row(db, fresh.uuid)).id) == ["tel:+250788000077"]
    assert await count(db, Contact) == 2


async def test_delete_contact(temba: TembaClient, catalog: dict[str, Any], db: Db) -> None:
    one = await call(temba.create_contact, name="One", urns=["tel:+250788000001"], groups=["VIP"])
    two = await call(temba.create_contact, name="Two", urns=["tel:+250788000002"], fields={"age": 5})

    assert await call(temba.delete_contact, one) is None
    await call(temba.delete_contact, "tel:+250788000002")  # by URN

    for uuid in (one.uuid, two.uuid):
        stored = await contact_row(db, uuid)
        assert stored.is_active is False and stored.name is None
        assert await urns_of(db, stored.id) == []
        assert await values_of(db, stored.id) == {}
        assert await group_names_of(db, stored.id) == set()
    assert (await row(db, ContactGroup, ContactGroup.uuid == catalog["vip"].uuid)).member_count == 0

    assert await call(temba.get_contacts().all) == []
    deleted = await call(temba.get_contacts(deleted=True).all)
    assert [c.uuid for c in deleted] == [two.uuid, one.uuid]
    assert all(c.name is None and c.urns == [] and c.groups == [] for c in deleted)

    with pytest.raises(TembaNoSuchObjectError):
        await call(temba.delete_contact, MISSING_UUID)
    with pytest.raises(TembaNoSuchObjectError):
        await call(temba.delete_contact, "tel:+250788000002")  # its URN was released
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.update_contact, one, name="Back")
    assert exc.value.errors == {"non_field_errors": ["Deleted contacts can't be modified."]}


# --------------------------------------------------------------------------------------------------------------------
# contact actions
# --------------------------------------------------------------------------------------------------------------------


async def test_bulk_actions(temba: TembaClient, catalog: dict[str, Any], db: Db) -> None:
    vip: TembaGroup = catalog["vip"]
    c1 = await call(temba.create_contact, name="One", urns=["tel:+250788000001"])
    c2 = await call(temba.create_contact, name="Two", urns=["tel:+250788000002"])
    c3 = await call(temba.create_contact, name="Three", urns=["tel:+250788000003"])

    async def members() -> set[str]:
        async with db() as session:
            rows = await session.execute(
                select(Contact.uuid)
                .join(GroupMember, GroupMember.contact_id == Contact.id)
                .join(ContactGroup, ContactGroup.id == GroupMember.group_id)
                .where(ContactGroup.uuid == vip.uuid)
            )
            return set(rows.scalars())

    async def vip_count() -> int:
        return int((await row(db, ContactGroup, ContactGroup.uuid == vip.uuid)).member_count)

    # contacts as objects, UUIDs and URNs; the group as an object
    assert await call(temba.bulk_add_contacts, [c1, c2.uuid, "tel:+250788000003"], vip) is None
    assert await members() == {c1.uuid, c2.uuid, c3.uuid} and await vip_count() == 3
    listed = await call(temba.get_groups(uuid=vip.uuid).first)
    assert listed is not None and listed.count == 3
    assert {c.uuid for c in await call(temba.get_contacts(group=vip).all)} == {c1.uuid, c2.uuid, c3.uuid}

    await call(temba.bulk_remove_contacts, [c1], vip.uuid)
    assert await members() == {c2.uuid, c3.uuid} and await vip_count() == 2

    await call(temba.bulk_block_contacts, [c2, "tel:+250788000003"])
    for uuid in (c2.uuid, c3.uuid):
        assert (await contact_row(db, uuid)).status == "blocked"
    assert await members() == set() and await vip_count() == 0  # blocked contacts leave their groups
    blocked = await call(temba.get_contacts(uuid=c2.uuid).first)
    assert blocked is not None and blocked.status == "blocked" and blocked.groups == []

    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.bulk_add_contacts, [c2], vip)
    assert exc.value.errors == {"non_field_errors": [f"Non-active contacts cannot be added to groups: {c2.uuid}"]}

    await call(temba.bulk_unblock_contacts, [c2.uuid])
    assert (await contact_row(db, c2.uuid)).status == "active"
    assert (await contact_row(db, c3.uuid)).status == "blocked"
    unblocked = await call(temba.get_contacts(uuid=c2.uuid).first)
    assert unblocked is not None and unblocked.status == "active"

    await call(temba.bulk_delete_contacts, [c1, c3.uuid])
    assert (await contact_row(db, c1.uuid)).is_active is False
    assert (await contact_row(db, c3.uuid)).is_active is False
    assert [c.uuid for c in await call(temba.get_contacts().all)] == [c2.uuid]

    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.bulk_add_contacts, [c2, MISSING_UUID], vip)
    assert exc.value.errors == {"contacts": [f"No such object: {MISSING_UUID}"]}
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.bulk_add_contacts, [c2], MISSING_UUID)
    assert exc.value.errors == {"group": [f"No such object: {MISSING_UUID}"]}
    assert await members() == set()


# --------------------------------------------------------------------------------------------------------------------
# globals
# --------------------------------------------------------------------------------------------------------------------


async def test_globals(temba: TembaClient, rw: Tenant, db: Db) -> None:
    org_name = await call(temba.create_global, "Org Name", "Acme")
    assert isinstance(org_name, TembaGlobal)
    assert (org_name.key, org_name.name, org_name.value) == ("org_name", "Org Name", "Acme")
    hotline = await call(temba.create_global, "Hotline", "+250788000000")

    changed = await call(temba.update_global, org_name, "Acme Ltd")  # by object
    assert (changed.key, changed.value) == ("org_name", "Acme Ltd")
    assert changed.modified_on > org_name.modified_on
    again = await call(temba.update_global, "hotline", "")  # by key, to an empty value
    assert (again.key, again.value) == ("hotline", "")

    listed = await call(temba.get_globals().all)
    assert [(g.key, g.value) for g in listed] == [("hotline", ""), ("org_name", "Acme Ltd")]  # newest change first
    one = await call(temba.get_globals(key="org_name").all)
    assert [(g.name, g.value, g.modified_on) for g in one] == [("Org Name", "Acme Ltd", changed.modified_on)]

    stored = await row(db, Global, Global.key == "org_name", Global.workspace_id == rw.workspace.id)
    assert (stored.name, stored.value, stored.modified_on) == ("Org Name", "Acme Ltd", changed.modified_on)
    assert (await row(db, Global, Global.key == hotline.key)).value == ""

    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_global, "org name", "dupe")
    assert exc.value.errors == {"name": ["This field must be unique."]}
    with pytest.raises(TembaNoSuchObjectError):
        await call(temba.update_global, "no_such_global", "x")
    assert await count(db, Global, Global.workspace_id == rw.workspace.id) == 2


# --------------------------------------------------------------------------------------------------------------------
# paging
# --------------------------------------------------------------------------------------------------------------------

BULK = 600


@pytest.fixture
async def bulk(rw: Tenant, db: Db) -> list[tuple[datetime, int, str]]:
    """600 contacts inserted in one statement, in shuffled order so ids and modified_on disagree.

    modified_on ticks every third contact (odd microseconds, so nothing rounds), so every timestamp is shared by
    three contacts and both page boundaries (rows 250 and 500) fall inside a tie. Returns ``(modified_on, id,
    uuid)`` in the listing order the API must produce: newest first, ties by id descending.
    """
    base = datetime(2025, 3, 1, 8, 0, 0, 123457, tzinfo=UTC)
    order = list(range(BULK))
    random.Random(20250301).shuffle(order)
    rows = []
    for n in order:
        modified = base + timedelta(microseconds=1_717 * (n // 3))
        name = f"Bulk {n:03d}"
        rows.append(
            {
                "uuid": f"00000000-0000-4000-8000-{n:012d}",
                "workspace_id": rw.workspace.id,
                "name": name,
                "name_key": name_key(name),
                "name_tokens": name_tokens(name),
                "language": None,
                "status": "active",
                "is_active": True,
                "tickets": 0,
                "created_on": modified - timedelta(days=1),
                "modified_on": modified,
            }
        )
    async with db() as session:
        await session.execute(insert(Contact), rows)
        await session.commit()
        stored = (
            await session.execute(
                select(Contact.modified_on, Contact.id, Contact.uuid).where(Contact.workspace_id == rw.workspace.id)
            )
        ).all()
        result = sorted(stored, key=lambda t: (t[0], t[1]), reverse=True)
    assert len(result) == BULK
    # ids really disagree with modified_on inside ties and across them
    assert [r[1] for r in result] != sorted((r[1] for r in result), reverse=True)
    return result


def bounded_pages(query: CursorQuery, max_pages: int = 10, resume_cursor: str | None = None) -> list[list[Any]]:
    """The pages of ``query`` through the client's own iterator, failing instead of hanging when the server keeps
    handing out ``next`` links (a cursor that does not advance makes ``.all()`` loop forever)."""
    pages: list[list[Any]] = []
    for page in query.iterfetches(retry_on_rate_exceed=True, resume_cursor=resume_cursor):
        pages.append(page)
        assert len(pages) <= max_pages, f"paging never ends: {[len(p) for p in pages]} rows per page so far"
    return pages


async def test_all_and_iterfetches(temba: TembaClient, bulk: list[tuple[datetime, int, str]]) -> None:
    expected = [uuid for _, _, uuid in bulk]

    pages = await call(bounded_pages, temba.get_contacts())
    assert [len(p) for p in pages] == [250, 250, 100]
    flat = [c.uuid for p in pages for c in p]
    assert len(set(flat)) == BULK
    assert flat == expected
    # a tie straddles each page boundary: the id tie-break neither repeats nor skips a row there
    assert pages[0][-1].modified_on == pages[1][0].modified_on
    assert pages[1][-1].modified_on == pages[2][0].modified_on

    everyone = await call(temba.get_contacts().all)
    assert len(everyone) == BULK
    assert len({c.uuid for c in everyone}) == BULK
    assert [c.uuid for c in everyone] == expected
    assert [c.modified_on for c in everyone] == [m for m, _, _ in bulk]

    oldest_first = await call(bounded_pages, temba.get_contacts(reverse=True))
    assert [len(p) for p in oldest_first] == [250, 250, 100]
    assert [c.uuid for p in oldest_first for c in p] == expected[::-1]

    def resume() -> tuple[list[TembaContact], list[list[TembaContact]]]:
        first = temba.get_contacts().iterfetches()
        page = next(first)
        cursor = first.get_cursor()
        assert cursor
        return page, bounded_pages(temba.get_contacts(), resume_cursor=cursor)

    first_page, rest = await call(resume)
    assert [len(p) for p in rest] == [250, 100]
    assert [c.uuid for c in first_page] + [c.uuid for p in rest for c in p] == expected


async def test_before_and_after(temba: TembaClient, bulk: list[tuple[datetime, int, str]]) -> None:
    everyone = [c for page in await call(bounded_pages, temba.get_contacts()) for c in page]
    # bounds from real rows, each shared by three contacts: every one of them is inside (inclusive bounds)
    newest_bound = everyone[100].modified_on
    oldest_bound = everyone[430].modified_on
    stamps = [m for m, _, _ in bulk]
    assert stamps.count(newest_bound) == 3 and stamps.count(oldest_bound) == 3

    def expect(before: datetime | None, after: datetime | None) -> list[str]:
        return [u for m, _, u in bulk if (before is None or m <= before) and (after is None or m >= after)]

    window = await call(bounded_pages, temba.get_contacts(before=newest_bound, after=oldest_bound))
    assert [len(p) for p in window] == [250, 83]  # positions 99..431: both boundary ties are whole
    assert [c.uuid for p in window for c in p] == expect(newest_bound, oldest_bound)
    window_all = await call(temba.get_contacts(before=newest_bound, after=oldest_bound).all)
    assert [c.uuid for c in window_all] == expect(newest_bound, oldest_bound)

    after_only = await call(temba.get_contacts(after=newest_bound).all)
    assert [c.uuid for c in after_only] == expect(None, newest_bound)
    before_only = await call(temba.get_contacts(before=oldest_bound).all)
    assert [c.uuid for c in before_only] == expect(oldest_bound, None)
    assert len(after_only) + len(before_only) == BULK - len(window_all) + 6  # the two ties are in both halves

    oldest_first = await call(temba.get_contacts(after=newest_bound, reverse=True).all)
    assert [c.uuid for c in oldest_first] == expect(None, newest_bound)[::-1]

    # before == after picks exactly one tie; one microsecond off a tie excludes all three of its contacts
    tick = timedelta(microseconds=1)
    same = await call(temba.get_contacts(before=newest_bound, after=newest_bound).all)
    assert sorted(c.uuid for c in same) == sorted(expect(newest_bound, newest_bound)) and len(same) == 3
    assert await call(temba.get_contacts(before=newest_bound - tick, after=newest_bound - tick).all) == []
    assert await call(temba.get_contacts(after=everyone[0].modified_on + tick).all) == []
    assert await call(temba.get_contacts(before=everyone[-1].modified_on - tick).all) == []


# --------------------------------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------------------------------


async def test_bad_token(server: Server, rw: Tenant, db: Db) -> None:
    intruder = TembaClient(server.base_url, "0" * 40)
    with pytest.raises(TembaTokenError):
        await call(intruder.get_org)
    with pytest.raises(TembaTokenError):
        await call(intruder.get_contacts().all)
    with pytest.raises(TembaTokenError):
        await call(intruder.create_contact, name="Mallory")
    assert await count(db, Contact) == 0

    async with db() as session:
        ws = await session.get(Workspace, rw.workspace.id)
        assert ws is not None
        assert await ws_service.revoke_token(session, ws, rw.token) == 1
        await session.commit()
    with pytest.raises(TembaTokenError):
        await call(TembaClient(server.base_url, rw.token).get_org)


async def test_bad_request(temba: TembaClient, catalog: dict[str, Any], db: Db) -> None:
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_contact, name="Jim", language="xyz")
    assert exc.value.errors == {"language": ["Not a valid ISO639-3 language code."]}
    assert str(exc.value) == "Not a valid ISO639-3 language code."

    with pytest.raises(TembaBadRequestError) as exc:
        await call(
            temba.create_contact,
            name="Jim",
            language="xyz",
            urns=["1234556789"],
            groups=[MISSING_UUID],
            fields={"hmmm": "X"},
        )
    assert exc.value.errors == {
        "language": ["Not a valid ISO639-3 language code."],
        "urns": {"0": ["Invalid URN: 1234556789. Ensure phone numbers contain country codes."]},
        "groups": [f"No such object: {MISSING_UUID}"],
        "fields": ["Invalid contact field key: hmmm"],
    }

    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_contact, name="x" * 65)
    assert exc.value.errors == {"name": ["Ensure this field has no more than 64 characters."]}

    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.get_contacts(uuid="not-a-uuid").all)
    assert exc.value.errors == {"detail": "Param 'uuid': not-a-uuid is not a valid UUID."}
    assert str(exc.value) == "Param 'uuid': not-a-uuid is not a valid UUID."
    assert await count(db, Contact) == 0


async def test_no_such_object(temba: TembaClient, catalog: dict[str, Any], db: Db) -> None:
    with pytest.raises(TembaNoSuchObjectError):
        await call(temba.update_contact, MISSING_UUID, name="Nobody")
    with pytest.raises(TembaNoSuchObjectError):
        await call(temba.delete_contact, MISSING_UUID)
    with pytest.raises(TembaNoSuchObjectError):
        await call(temba.delete_group, MISSING_UUID)
    assert await count(db, Contact) == 0
    assert await call(temba.get_contacts(uuid=MISSING_UUID).all) == []
