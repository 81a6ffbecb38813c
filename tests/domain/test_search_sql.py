"""The SQL translation of contact queries gives exactly the in-memory evaluator's answers, on both databases.

A throwaway database holds ~30 deliberately awkward contacts (accents, decomposed characters, LIKE wildcards in
names and URNs, values around local midnight and a DST change, unparseable numbers, no name, ...). Every query
is run both ways: as a ``WHERE`` clause from ``to_where`` and through ``evaluate`` over snapshots read back from
the same rows.

The SQLite half is self-contained and synchronous. The PostgreSQL half runs the very same code through an
async engine when the session provides a ``postgres_url`` fixture (tests/conftest.py), and is skipped when not:
it is the half that proves the portable spelling (no ``lower()``, which folds differently on the two).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import pytest
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    Select,
    Table,
    create_engine,
    exists,
    literal_column,
    make_url,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

import sauti.models
from sauti.db.base import Base
from sauti.domain.contacts.search import FieldInfo, to_where
from sauti.engine.contactql import (
    ContactSnapshot,
    Environment,
    FieldValue,
    Node,
    evaluate,
    name_key,
    name_tokens,
    parse_query,
    value_key,
)
from sauti.models import Contact, ContactField, ContactGroup, ContactURN, ContactValue, GroupMember, Workspace

assert sauti.models  # every table registered on Base.metadata

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

# a table the runs model will replace: which flows a contact has been in (for `history`)
RUNS_METADATA = MetaData()
RUNS = Table("test_runs", RUNS_METADATA, Column("contact_id", Integer), Column("flow_id", Integer))

FIELDS = {
    "age": "number",
    "score": "number",
    "dob": "datetime",
    "nickname": "text",
    "state": "state",
    "district": "district",
    "ward": "ward",
}
GROUPS = ["Testers", "Survey Audience", "Ünïcode Group", "Old Group"]  # "Old Group" gets deleted
FLOWS = {"Registration": 1, "Survey": 2}

NAMES = [
    "Alice Uwase",
    "alice",
    "ALICE-MARIE Uwimana",
    "Bob Smith",
    "Émilie Ñandú",
    "E\u0301milie Decomposed",
    "Christopher Robin",
    "O'Brien Kate",
    "Zoë 100%_sure",
    "李小龍",
    "Jean_Paul Habimana",
    "Straße Müller",
    "Mbekiyabantu Joseph",
    "Jeanxpaul Wildcard",
    "  ",
    "--",
    None,
]
URN_POOL = [
    ("tel", "+250788123401"),
    ("tel", "+250788123402"),
    ("tel", "+250722000111"),
    ("tel", "+12025550100"),
    ("tel", "+12025550199"),
    ("whatsapp", "250788123401"),
    ("whatsapp", "US.AbcDef"),
    ("mailto", "Bob@Example.com"),
    ("mailto", "alice@example.org"),
    ("twitter", "bobby_s"),
    ("ext", "ABC-def_01%x"),
    ("ext", "ÉCOLE-42"),
    ("telegram", "123456789"),
    *(("tel", f"+2507881234{n:02d}") for n in range(10, 30)),
    *(("tel", f"+1202555{n:04d}") for n in range(200, 210)),
    *(("mailto", f"user{n}@Example.ORG") for n in range(5)),
]
TEXTS = ["Ally", "  BOBBY  ", "Émi", "ÉMI", "émi", "abc%", "a_b", "", "x" * 300]
STATES = ["Rwanda > Kigali City", "Rwanda > Eastern Province", "Kigali City"]
DISTRICTS = ["Rwanda > Kigali City > Gasabo", "Rwanda > Kigali City > Nyarugenge", "gasabo"]
NUMBERS = ["30", "18", "18.5", "42", "-1.5", "0.1", "abc", "1e3", "17.50"]


def _instants(rng: random.Random) -> dt.datetime:
    """Instants bunched around local midnights of 9-12 March 2024 (Kigali UTC+2; New York's DST starts 10th)."""
    base = dt.datetime(2024, 3, rng.choice([9, 10, 11, 12]), tzinfo=dt.UTC)
    hour = rng.choice([0, 3, 4, 5, 21, 22, 23])
    minute = rng.choice([0, 0, 30, 59])
    return base + dt.timedelta(hours=hour, minutes=minute, seconds=rng.choice([0, 59]))


R = TypeVar("R")


class Runner(Protocol):
    """Runs ``fn`` with a (sync) connection inside one transaction and returns its result."""

    def __call__(self, fn: Callable[[Connection], R]) -> R: ...


@dataclass
class World:
    run: Runner
    workspace_id: int
    fields: dict[str, FieldInfo]
    groups: dict[str, int]
    snapshots: dict[int, ContactSnapshot]


def _build(conn: Connection) -> tuple[int, dict[str, FieldInfo], dict[str, int]]:
    rng = random.Random(20240310)
    with Session(bind=conn) as session:
        ws = Workspace(uuid="ws-1", name="Search", created_on=T0, modified_on=T0)
        other = Workspace(uuid="ws-2", name="Other", created_on=T0, modified_on=T0)
        session.add_all([ws, other])
        session.flush()
        fields = {}
        for key, value_type in FIELDS.items():
            row = ContactField(
                uuid=f"f-{key}",
                workspace_id=ws.id,
                key=key,
                name=key.title(),
                value_type=value_type,
                created_on=T0,
                modified_on=T0,
            )
            session.add(row)
            session.flush()
            fields[key] = FieldInfo(id=row.id, value_type=value_type)
        groups = {}
        for name in GROUPS:
            group = ContactGroup(
                uuid=f"g-{name}",
                workspace_id=ws.id,
                name=name,
                group_type="manual",
                is_active=name != "Old Group",
                created_on=T0,
                modified_on=T0,
            )
            session.add(group)
            session.flush()
            groups[name] = group.id

        urns = list(URN_POOL)
        rng.shuffle(urns)
        for index in range(32):
            full_name = NAMES[index % len(NAMES)]
            contact = Contact(
                uuid=f"0b9c7d1e-0000-4000-8000-{index:012d}",
                workspace_id=ws.id,
                name=full_name,
                name_key=name_key(full_name),
                name_tokens=name_tokens(full_name),
                language=rng.choice([None, "", "eng", "kin", "fra"]),
                status=rng.choice(["active", "active", "blocked", "stopped", "archived"]),
                tickets=rng.choice([0, 0, 1, 2, 3]),
                current_flow_id=rng.choice([None, None, 1, 2]),
                created_on=_instants(rng),
                modified_on=T0,
                last_seen_on=rng.choice([None, _instants(rng)]),
            )
            session.add(contact)
            session.flush()
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                if urns:
                    scheme, path = urns.pop()
                    session.add(
                        ContactURN(
                            workspace_id=ws.id,
                            contact_id=contact.id,
                            scheme=scheme,
                            path=path,
                            identity=f"{scheme}:{path}",
                        )
                    )
            for key, info in fields.items():
                if rng.random() < 0.35:
                    continue
                if info.value_type == "number":
                    written = rng.choice(NUMBERS)
                elif info.value_type == "datetime":
                    written = "(a date)"
                elif key == "state":
                    written = rng.choice(STATES)
                elif key == "district":
                    written = rng.choice(DISTRICTS)
                elif key == "ward":
                    written = "Rwanda > Kigali > Gasabo > Kimironko"
                else:
                    written = rng.choice(TEXTS)
                number = None
                if info.value_type == "number" and written not in ("abc", "1e3"):
                    number = Decimal(written)
                session.add(
                    ContactValue(
                        contact_id=contact.id,
                        field_id=info.id,
                        text_value=written,
                        text_key=value_key(written, location=info.value_type in ("state", "district", "ward")),
                        number_value=number,
                        datetime_value=_instants(rng) if info.value_type == "datetime" else None,
                    )
                )
            for group_id in groups.values():
                if rng.random() < 0.4:
                    session.add(GroupMember(group_id=group_id, contact_id=contact.id))
            for flow_id in FLOWS.values():
                if rng.random() < 0.4:
                    session.execute(RUNS.insert().values(contact_id=contact.id, flow_id=flow_id))

        # a contact of another workspace that would match almost anything
        stranger = Contact(
            uuid="0b9c7d1e-0000-4000-8000-999999999999",
            workspace_id=other.id,
            name="Alice Uwase",
            name_key=name_key("Alice Uwase"),
            name_tokens=name_tokens("Alice Uwase"),
            status="active",
            created_on=dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC),
            modified_on=T0,
        )
        session.add(stranger)
        session.flush()
        return ws.id, fields, groups


def _snapshots(conn: Connection, workspace_id: int) -> dict[int, ContactSnapshot]:
    """Snapshots read back from the rows, the way the domain builds them."""
    with Session(bind=conn) as session:
        contacts = session.scalars(select(Contact).where(Contact.workspace_id == workspace_id)).all()
        field_keys = {f.id: f.key for f in session.scalars(select(ContactField)).all()}
        group_names = {g.id: g.name for g in session.scalars(select(ContactGroup).where(ContactGroup.is_active))}
        flow_names = {v: k for k, v in FLOWS.items()}
        snapshots = {}
        for c in contacts:
            urns = session.execute(
                select(ContactURN.scheme, ContactURN.path).where(ContactURN.contact_id == c.id)
            ).all()
            values = session.scalars(select(ContactValue).where(ContactValue.contact_id == c.id)).all()
            member_of = session.scalars(select(GroupMember.group_id).where(GroupMember.contact_id == c.id)).all()
            runs = session.scalars(select(RUNS.c.flow_id).where(RUNS.c.contact_id == c.id)).all()
            snapshots[c.id] = ContactSnapshot(
                uuid=c.uuid,
                id=c.id,
                name=c.name,
                status=c.status,
                language=c.language,
                urns=tuple((scheme, path) for scheme, path in urns),
                fields={
                    field_keys[v.field_id]: FieldValue(v.text_value, v.number_value, v.datetime_value) for v in values
                },
                groups=frozenset(group_names[g] for g in member_of if g in group_names),
                created_on=c.created_on,
                last_seen_on=c.last_seen_on,
                tickets=c.tickets,
                flow=flow_names.get(c.current_flow_id) if c.current_flow_id else None,
                history=frozenset(flow_names[f] for f in runs),
            )
        return snapshots


def _create_tables(conn: Connection) -> None:
    Base.metadata.create_all(conn)
    RUNS_METADATA.create_all(conn)


def _world(run: Runner) -> World:
    run(_create_tables)
    workspace_id, fields, groups = run(_build)
    snapshots = run(lambda conn: _snapshots(conn, workspace_id))
    return World(run, workspace_id, fields, groups, snapshots)


def _sqlite_world() -> Iterator[World]:
    engine = create_engine("sqlite://")

    def run(fn: Callable[[Connection], R]) -> R:
        with engine.begin() as conn:
            return fn(conn)

    yield _world(run)
    engine.dispose()


def _postgres_world(request: pytest.FixtureRequest) -> Iterator[World]:
    try:
        server_url = make_url(request.getfixturevalue("postgres_url"))
    except pytest.FixtureLookupError:
        pytest.skip("no postgres_url fixture in this session")
    database = f"sauti_search_{os.getpid()}"  # our own database: other tests migrate and wipe theirs
    loop = asyncio.new_event_loop()
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    async def ddl(statement: str) -> None:
        async with admin.connect() as conn:
            await conn.execute(text(statement))

    loop.run_until_complete(ddl(f"DROP DATABASE IF EXISTS {database}"))
    loop.run_until_complete(ddl(f"CREATE DATABASE {database}"))
    engine = create_async_engine(server_url.set(database=database), poolclass=NullPool)

    def run(fn: Callable[[Connection], R]) -> R:
        async def go() -> R:
            async with engine.begin() as conn:
                return await conn.run_sync(fn)

        return loop.run_until_complete(go())

    try:
        yield _world(run)
    finally:
        loop.run_until_complete(engine.dispose())
        loop.run_until_complete(ddl(f"DROP DATABASE IF EXISTS {database}"))
        loop.run_until_complete(admin.dispose())
        loop.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    if request.param == "sqlite":
        yield from _sqlite_world()
    else:
        yield from _postgres_world(request)


class Resolver:
    def field_type(self, key: str) -> str | None:
        return FIELDS.get(key)

    def group_exists(self, name: str) -> bool:
        return value_key(name) in {value_key(g) for g in GROUPS}

    def flow_exists(self, name: str) -> bool:
        return value_key(name) in {value_key(f) for f in FLOWS}


def _history(flow_id: int | None) -> ColumnElement[bool]:
    runs: Select[Any] = select(literal_column("1")).select_from(RUNS).where(RUNS.c.contact_id == Contact.id)
    if flow_id is not None:
        runs = runs.where(RUNS.c.flow_id == flow_id)
    return exists(runs)


def _where(world: World, node: Node, env: Environment) -> ColumnElement[bool]:
    return to_where(
        node,
        workspace_id=world.workspace_id,
        fields=world.fields,
        env=env,
        groups=world.groups,
        flows=FLOWS,
        history=_history,
    )


def _select_ids(world: World, clause: ColumnElement[bool]) -> set[int]:
    return world.run(lambda conn: set(conn.scalars(select(Contact.id).where(clause)).all()))


def _sql_ids(world: World, node: Node, env: Environment) -> set[int]:
    return _select_ids(world, _where(world, node, env))


def _memory_ids(world: World, node: Node, env: Environment) -> set[int]:
    return {cid for cid, snap in world.snapshots.items() if evaluate(node, snap, env)}


QUERIES = [
    # names
    "name ~ ali",
    'name ~ "ali uw"',
    "name ~ émi",
    "name ~ emi",
    'name = "alice uwase"',
    'name = " ALICE "',
    'name = ""',
    'name != ""',
    "name != alice",
    'name ~ "100%"',
    "name ~ jean_p",
    "name ~ jeanxp",
    "name ~ straße",
    "name ~ STRASSE",
    "name ~ 李小",
    "name ~ mbekiyabXXX",
    "name ~ uwimanas",
    "bob",
    '"christopher robin"',
    "o'brien",
    # URNs
    "tel ~ 788",
    "tel = +250788123401",
    'tel = ""',
    'tel != ""',
    "tel != +250788123401",
    "urn ~ EXAMPLE",
    'urn ~ "def_0"',
    'urn ~ "c%f"',
    'urn ~ "de__01"',
    "urn ~ école",
    "urn ~ ÉCOLE",
    "mailto = BOB@EXAMPLE.COM",
    "whatsapp ~ us.abc",
    "whatsapp = US.AbcDef",
    'urn = ""',
    "twitter = Bobby_S",
    "tel:+250788123401",
    "+250-788",
    "0100 OR 1202",
    # numbers
    "age > 30",
    "age >= 30",
    "age < 18.5",
    "age = 17.5",
    "age != 42",
    'age = ""',
    'age != ""',
    "score <= 0.1",
    "score > -1.5",
    "score = -1.50",
    # text and locations
    "nickname = ally",
    "nickname = bobby",
    "nickname != ally",
    'nickname = ""',
    "nickname = ÉMI",
    'nickname = "abc%"',
    "nickname = " + "X" * 300,
    'state = "kigali city"',
    'state = "Rwanda > Kigali City"',
    "district = gasabo",
    "district != gasabo",
    'ward = ""',
    "ward = kimironko",
    # datetimes
    "dob = 2024-03-10",
    "dob > 2024-03-10",
    "dob >= 2024-03-10",
    "dob < 2024-03-10",
    "dob <= 2024-03-10",
    "dob != 2024-03-10",
    'dob = ""',
    "created_on = 2024-03-11",
    "created_on > 2024-03-10",
    "created_on <= 2024-03-09",
    "last_seen_on < 2024-03-11",
    'last_seen_on = ""',
    "last_seen_on != 2024-03-10",
    # tickets
    "tickets > 0",
    "tickets >= 1.5",
    "tickets = 2",
    "tickets != 1",
    "tickets < 0.5",
    "tickets = 1.5",
    "tickets <= -0.5",
    "tickets > 1.5",
    "tickets > -0.5",
    "tickets < 99999999999",
    "tickets >= 99999999999",
    "tickets = 99999999999",
    # attributes
    "status = active",
    "status != BLOCKED",
    "language = eng",
    'language = ""',
    "language != kin",
    "uuid = 0B9C7D1E-0000-4000-8000-000000000003",
    "uuid != 0b9c7d1e-0000-4000-8000-000000000003",
    "id = 5",
    "id != 5",
    "id = 99999999999999999999999",
    "ref = 0000000007",
    # groups and flows
    "group = testers",
    "group != testers",
    'group = "ünïcode group"',
    'group = ""',
    'group != ""',
    "flow = registration",
    "flow != survey",
    'flow = ""',
    'flow != ""',
    "history = survey",
    "history != registration",
    'history = ""',
    'history != ""',
    # combinations
    "(age > 20 OR tel ~ 788) AND group != testers",
    'status = active language = eng OR name ~ ali OR nickname = ""',
    "(dob > 2024-03-09 OR created_on < 2024-03-11) (tickets > 0 OR flow = survey)",
]


ENVIRONMENTS = [
    Environment(timezone="Africa/Kigali", date_style="day_first"),
    Environment(timezone="America/New_York", date_style="month_first"),
]


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=[e.timezone for e in ENVIRONMENTS])
@pytest.mark.parametrize("query", QUERIES)
def test_sql_matches_evaluator(world: World, query: str, env: Environment) -> None:
    node = parse_query(query, Resolver(), env)
    assert _sql_ids(world, node, env) == _memory_ids(world, node, env)


def test_queries_discriminate(world: World) -> None:
    """Guard against a vacuous suite: most queries must split the contacts, not take all or none."""
    env = ENVIRONMENTS[0]
    everyone = set(world.snapshots)
    splitting = 0
    for query in QUERIES:
        ids = _memory_ids(world, parse_query(query, Resolver(), env), env)
        splitting += bool(ids) and ids != everyone
    assert splitting >= 0.85 * len(QUERIES)


def test_other_workspaces_never_match(world: World) -> None:
    env = ENVIRONMENTS[0]
    node = parse_query('name ~ alice OR name = "" OR name != ""', Resolver(), env)
    ids = _sql_ids(world, node, env)
    assert ids == set(world.snapshots)


def test_every_clause_compiles_for_postgresql(world: World) -> None:
    env = ENVIRONMENTS[1]
    for query in QUERIES:
        dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
        sql = str(_where(world, parse_query(query, Resolver(), env), env).compile(dialect=dialect))
        assert "lower(" not in sql.lower()


def test_urn_values_without_letters_use_plain_equality(world: World) -> None:
    env = ENVIRONMENTS[0]
    sql = str(_where(world, parse_query("tel = +250788123401", Resolver(), env), env).compile())
    assert "replace(" not in sql


def test_missing_mappings_are_programming_errors(world: World) -> None:
    env = ENVIRONMENTS[0]
    for query, missing in [("group = testers", "groups"), ("flow = survey", "flows"), ("history = survey", "history")]:
        node = parse_query(query, Resolver(), env)
        with pytest.raises(LookupError, match=missing):
            to_where(node, workspace_id=world.workspace_id, fields=world.fields, env=env)
    # existence checks on flow need no names
    node = parse_query('flow = ""', Resolver(), env)
    to_where(node, workspace_id=world.workspace_id, fields=world.fields, env=env)


def test_field_unknown_to_the_mapping_has_no_values(world: World) -> None:
    env = ENVIRONMENTS[0]
    everyone = set(world.snapshots)
    fields: dict[str, Any] = {}
    for query, expected in [("age > 1", set()), ("age != 1", everyone), ('age = ""', everyone), ('age != ""', set())]:
        node = parse_query(query, Resolver(), env)
        clause = to_where(node, workspace_id=world.workspace_id, fields=fields, env=env)
        assert _select_ids(world, clause) == expected, query
