"""The benchmark dataset: one busy workspace, written into a migrated database in bulk.

What has a use case goes through it: the workspace with its admin and token, the custom fields, the groups, and
the smart groups' membership (``sauti.domain.groups.service.create`` evaluates their queries with the real SQL
translator). The bulk rows (contacts, URNs, field values, manual memberships) are written in batches of a few
thousand contacts per transaction (executemany on SQLite, ``COPY`` on PostgreSQL), carrying the derived columns the
domain itself would store: ``name_key``/``name_tokens`` from ``sauti.engine.contactql.text`` and the typed value
columns from ``sauti.domain.fields.values.parse``.

One seed gives the same UUIDs, contacts, values and memberships on SQLite and PostgreSQL; only the API token and
the creation times of the workspace, fields and groups differ from run to run.

Run on its own to fill a database for poking at by hand (it prints one JSON line, the token included)::

    python -m bench.dataset --url sqlite+aiosqlite:////tmp/bench.db --contacts 100000
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Dialect, Table, event, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sauti.db.engine import is_sqlite, make_engine, make_sessionmaker
from sauti.db.migrate import upgrade
from sauti.domain.errors import NotFound
from sauti.domain.fields import service as field_service
from sauti.domain.fields.values import Parsed, parse
from sauti.domain.groups import service as group_service
from sauti.domain.workspaces import service as workspace_service
from sauti.engine.contactql.text import name_key, name_tokens
from sauti.kit import clock, urns
from sauti.models import Contact, ContactGroup, ContactURN, ContactValue, GroupMember, Workspace

DEFAULT_SEED = 20_250_501
COUNTRY = "RW"
TIMEZONE = "Africa/Kigali"
DATE_STYLE = "day_first"
ADMIN_EMAIL = "bench@sauti.local"
BATCH = 5_000  # contacts per transaction (their URNs and values go in the same one)
ROWS_PER_STATEMENT = 5_000  # rows per executemany call on SQLite
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)  # contacts are modified during the year after this
SPAN_SECONDS = 365 * 24 * 3600
TIE_SHARE = 0.12  # contacts whose modified_on is one of a few shared instants (bulk updates)
TIE_INSTANTS = 300
DELETED_SHARE = 0.01  # extra deleted contacts (not listed, no URNs or values), on top of the listed ones
STATUSES = (("active", 0.965), ("blocked", 0.02), ("stopped", 0.01), ("archived", 0.005))
LANGUAGES = (("kin", 0.45), ("eng", 0.3), ("fra", 0.1), (None, 0.15))

FIRST_NAMES = (
    "Jean", "Jean-Paul", "Jean-Baptiste", "Jeanne", "Marie", "Aimé", "Clémentine", "Emmanuel", "Eric", "Patrick",
    "Alice", "Grace", "Divine", "Olivier", "Claude", "Josiane", "Diane", "Innocent", "Fabrice", "Chantal",
    "Samuel", "Esther", "David", "Ange", "Yvonne", "Pacifique", "Théogène", "Immaculée", "Kevin", "Aline",
    "Didier", "Sandrine", "Fiston", "Solange", "Gilbert", "Vestine", "Emery", "Françoise", "Bosco", "Liliane",
)  # fmt: skip
LAST_NAMES = (
    "Uwase", "Mukamana", "Niyonzima", "Habimana", "Uwimana", "Nshimiyimana", "Mugisha", "Ishimwe", "Iradukunda",
    "Hakizimana", "Ndayisaba", "Mukeshimana", "Nsengiyumva", "Tuyishime", "Uwera", "Bizimana", "Kayitesi",
    "Munyaneza", "Ingabire", "Nyiraneza", "Gatete", "Kamanzi", "Rugamba", "Mutesi", "Karekezi",
)  # fmt: skip
DISTRICTS = (
    "Gasabo", "Kicukiro", "Nyarugenge", "Musanze", "Rubavu", "Huye", "Nyagatare", "Rusizi", "Muhanga", "Kayonza",
    "Bugesera", "Rwamagana",
)  # fmt: skip
OCCUPATIONS = ("Farmer", "Teacher", "Nurse", "Trader", "Driver", "Student", "Tailor", "Mechanic", "Health worker")
HANDLE_STEMS = ("rw", "kigali", "umuhinzi", "news", "sauti", "amakuru", "imboni", "inyange")


# Values are drawn from pools computed once: a few thousand distinct values per field is plenty, and parsing
# each distinct one once keeps generation fast.
_KIGALI = ZoneInfo(TIMEZONE)
_REGISTERED = tuple(
    (EPOCH - timedelta(hours=7 * n + 3)).astimezone(_KIGALI).isoformat(timespec="seconds") for n in range(3_000)
)  # ISO 8601 with the local offset, over the 2.4 years before EPOCH
_VISITS = tuple((EPOCH + timedelta(days=n)).strftime("%d/%m/%Y") for n in range(365))  # the workspace's style


def _age(rng: random.Random) -> str:
    return "unknown" if rng.random() < 0.01 else str(rng.randint(12, 85))  # 1% keep only their text


def _gender(rng: random.Random) -> str:
    return rng.choice(("female", "male", "Female", "Male", "FEMALE", "other"))


def _district(rng: random.Random) -> str:
    return rng.choice(DISTRICTS)


def _registered(rng: random.Random) -> str:
    return rng.choice(_REGISTERED)


def _score(rng: random.Random) -> str:
    return f"{rng.randrange(1_001) / 10:.1f}"


def _occupation(rng: random.Random) -> str:
    return rng.choice(OCCUPATIONS)


def _last_visit(rng: random.Random) -> str:
    return "last week" if rng.random() < 0.01 else rng.choice(_VISITS)  # 1% do not parse as a date


def _household(rng: random.Random) -> str:
    return str(rng.randint(1, 12))


def _referral(rng: random.Random) -> str:
    return f"RC-{rng.randrange(20_000):05d}"


def _balance(rng: random.Random) -> str:
    return f"{rng.randrange(0, 500_000, 25) / 2:.2f}"


# name, value type, how a value is written
FIELDS: tuple[tuple[str, str, Callable[[random.Random], str]], ...] = (
    ("Age", "number", _age),
    ("Gender", "text", _gender),
    ("District", "text", _district),
    ("Registered On", "datetime", _registered),
    ("Score", "number", _score),
    ("Occupation", "text", _occupation),
    ("Last Visit", "datetime", _last_visit),
    ("Household Size", "number", _household),
    ("Referral Code", "text", _referral),
    ("Balance", "number", _balance),
)
VALUES_PER_CONTACT = (4, 5, 5, 6)

# shares of the active, live contacts in each of the 15 manual groups
MANUAL_GROUP_SHARES = (
    0.40, 0.25, 0.15, 0.10, 0.08, 0.05, 0.04, 0.03, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002,
)  # fmt: skip
SMART_GROUPS = (
    ("Over 40", "age > 40"),  # a number field
    ("Gasabo", 'district = "Gasabo"'),  # a text field
    ("MTN 078800", 'tel ~ "+25078800"'),  # a tel URN prefix
    ("Named Jean", 'name ~ "jean"'),  # a name prefix
    ("Adult women or Kicukiro", '(age >= 18 AND gender = "female") OR district = "Kicukiro"'),
)


@dataclass(frozen=True)
class GroupInfo:
    uuid: str
    name: str
    kind: str  # manual | smart
    query: str | None
    members: int
    seconds: float  # time to create it (for smart groups: to evaluate its query)


@dataclass
class Dataset:
    url: str
    workspace_uuid: str
    token: str
    contacts: int  # listed (live) contacts
    deleted_contacts: int
    urns: int
    values: int
    fields: int
    memberships: int
    groups: list[GroupInfo] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Sizes and timings (not the token or URL)."""
        return {
            "contacts": self.contacts,
            "deleted_contacts": self.deleted_contacts,
            "urns": self.urns,
            "values": self.values,
            "fields": self.fields,
            "groups": len(self.groups),
            "memberships": self.memberships,
            "smart_groups": {
                g.name: {"query": g.query, "members": g.members, "seconds": round(g.seconds, 3)}
                for g in self.groups
                if g.kind == "smart"
            },
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


class _Weighted:
    """A weighted choice with its cumulative weights computed once."""

    def __init__(self, choices: Sequence[tuple[Any, float]]) -> None:
        self.population = [c for c, _ in choices]
        self.cumulative = list(itertools.accumulate(w for _, w in choices))

    def pick(self, rng: random.Random) -> Any:
        return rng.choices(self.population, cum_weights=self.cumulative)[0]


def _chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class _Rows:
    """Builds the bulk rows from one seeded random stream."""

    def __init__(self, seed: int, workspace_id: int, field_ids: Sequence[int]) -> None:
        self.rng = random.Random(seed)
        self.workspace_id = workspace_id
        self.field_ids = list(field_ids)
        self.tz = _KIGALI
        self.ties = sorted(EPOCH + timedelta(seconds=self.rng.randrange(SPAN_SECONDS)) for _ in range(TIE_INSTANTS))
        self.statuses = _Weighted(STATUSES)
        self.languages = _Weighted(LANGUAGES)
        # derived columns repeat a lot (a few hundred names, a few thousand distinct values): compute each once
        self.names: dict[str | None, tuple[str | None, str | None]] = {}
        self.parsed: dict[tuple[str, str], Parsed] = {}
        self.live = 0  # live contacts made so far: numbers their phone numbers

    def batch(self, dialect: Dialect, positions: range, first_id: int, deleted_at: set[int]) -> _Batch:
        """The rows of the contacts at ``positions`` (ids from ``first_id``), ready for the driver."""
        contacts, contact_urns, values, eligible = [], [], [], []
        for position in positions:
            deleted = position in deleted_at
            row = self.contact(first_id + position, deleted)
            contacts.append(row)
            if deleted:
                continue
            contact_urns.extend(self.urns(row["id"], self.live))
            values.extend(self.values(row["id"]))
            if row["status"] == "active":
                eligible.append(row["id"])
            self.live += 1
        if positions.start == 0:
            _check_urns(contact_urns[:300])
        return _Batch(
            tables=[
                _Records.of(dialect, Contact, contacts),
                _Records.of(dialect, ContactURN, contact_urns),
                _Records.of(dialect, ContactValue, values),
            ],
            eligible=eligible,
        )

    def new_uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def contact(self, contact_id: int, deleted: bool) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < TIE_SHARE:
            modified = rng.choice(self.ties)
        else:
            modified = EPOCH + timedelta(seconds=rng.randrange(SPAN_SECONDS), microseconds=rng.randrange(1_000_000))
        created = modified - timedelta(seconds=rng.randrange(180 * 24 * 3600))
        seen = created + (modified - created) * rng.random() if rng.random() < 0.6 else None
        roll = rng.random()
        if deleted or roll < 0.05:
            name = None
        elif roll < 0.15:
            name = rng.choice(FIRST_NAMES)
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        derived = self.names.get(name)
        if derived is None:
            derived = self.names[name] = (name_key(name), name_tokens(name))
        return {
            "id": contact_id,
            "uuid": self.new_uuid(),
            "workspace_id": self.workspace_id,
            "name": name,
            "name_key": derived[0],
            "name_tokens": derived[1],
            "language": None if deleted else self.languages.pick(rng),
            "status": "active" if deleted else self.statuses.pick(rng),
            "is_active": not deleted,
            "tickets": 0,
            "current_flow_id": None,
            "created_on": created,
            "modified_on": modified,
            "last_seen_on": seen,
        }

    def urns(self, contact_id: int, n: int) -> list[dict[str, Any]]:
        """1 or 2 URNs; ``n`` (the contact's rank among live ones) keeps phone numbers unique."""
        rng = self.rng
        roll = rng.random()
        first = ("tel", f"+250{788_000_000 + n}") if roll < 0.92 else self._handle(n) if roll < 0.97 else self._mail(n)
        pairs = [first]
        roll = rng.random()
        if roll < 0.25:
            pairs.append(("tel", f"+250{722_000_000 + n}"))
        elif roll < 0.35:
            pairs.append(self._handle(n) if first[0] != "twitter" else self._mail(n))
        elif roll < 0.40:
            pairs.append(self._mail(n) if first[0] != "mailto" else ("tel", f"+250{722_000_000 + n}"))
        top = len(pairs) * 10 + 1000  # the priorities the contacts service writes
        return [
            {
                "workspace_id": self.workspace_id,
                "contact_id": contact_id,
                "scheme": scheme,
                "path": path,
                "identity": f"{scheme}:{path}",
                "display": None,
                "priority": top - i * 10,
                "channel_id": None,
            }
            for i, (scheme, path) in enumerate(pairs)
        ]

    def _handle(self, n: int) -> tuple[str, str]:
        return "twitter", f"{self.rng.choice(HANDLE_STEMS)}_{n}"

    def _mail(self, n: int) -> tuple[str, str]:
        return "mailto", f"{self.rng.choice(HANDLE_STEMS)}.{n}@example.rw"

    def values(self, contact_id: int) -> list[dict[str, Any]]:
        rng = self.rng
        chosen = sorted(rng.sample(range(len(FIELDS)), rng.choice(VALUES_PER_CONTACT)))
        rows = []
        for index in chosen:
            _, value_type, make = FIELDS[index]
            written = make(rng)
            parsed = self.parsed.get((written, value_type))
            if parsed is None:
                parsed = self.parsed[written, value_type] = parse(written, value_type, self.tz, DATE_STYLE)
            rows.append(
                {
                    "contact_id": contact_id,
                    "field_id": self.field_ids[index],
                    "text_value": parsed.text,
                    "text_key": parsed.text_key,
                    "number_value": parsed.number,
                    "datetime_value": parsed.datetime,
                }
            )
        return rows


def _check_urns(sample: Sequence[dict[str, Any]]) -> None:
    """The generated URNs are what the contacts service would store for them (normalised, valid)."""
    for row in sample:
        urn = urns.parse_normalized(row["identity"], COUNTRY)
        if urns.identity(urn) != row["identity"]:
            raise AssertionError(f"generated URN {row['identity']} normalises to {urns.identity(urn)}")


async def _setup(engine: AsyncEngine, seed: int) -> tuple[Workspace, str, list[int], list[GroupInfo]]:
    """The workspace, its admin and token, the fields and the manual groups, through the domain."""
    async with make_sessionmaker(engine)() as session:
        ws = await workspace_service.create_workspace(
            session, name=f"Bench {seed}", country=COUNTRY, languages=["kin", "eng", "fra"], timezone=TIMEZONE
        )
        try:
            user = await workspace_service.get_user(session, ADMIN_EMAIL)
        except NotFound:
            user = await workspace_service.create_user(
                session, email=ADMIN_EMAIL, first_name="Bench", last_name="Admin"
            )
        await workspace_service.grant_role(session, ws, user, "administrator")
        key = (await workspace_service.create_token(session, ws, user)).key
        field_ids = []
        for name, value_type, _ in FIELDS:
            field_ids.append((await field_service.create(session, ws, name=name, value_type=value_type)).id)
        groups = []
        for n, _share in enumerate(MANUAL_GROUP_SHARES, start=1):
            group = await group_service.create(session, ws, name=f"Manual {n:02d}")
            groups.append(GroupInfo(group.uuid, group.name, "manual", None, 0, 0.0))
        await session.commit()
    return ws, key, field_ids, groups


def _loader_engine(url: str) -> AsyncEngine:
    """The product's engine, with SQLite tuned for one bulk writer: a big page cache (the default 2 MB thrashes
    on the random-order UUID and URN indexes) and no syncing (a crash loses only a benchmark dataset)."""
    engine = make_engine(url)
    if is_sqlite(url):

        @event.listens_for(engine.sync_engine, "connect")
        def _bulk_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA cache_size=-262144")  # KiB: 256 MB
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.close()

    return engine


async def _next_id(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.coalesce(func.max(Contact.id), 0)))).scalar_one()) + 1


@dataclass(frozen=True)
class _Records:
    """Rows of one table as the driver takes them.

    Every value has been through its column type's own bind processing (the dialect's variant of the type: e.g.
    SQLite's DATETIME writes microseconds even when they are zero), so the database stores exactly what
    SQLAlchemy would have written, without SQLAlchemy's per-row parameter handling (most of the load time
    otherwise).
    """

    table: Table
    columns: list[str]
    records: list[tuple[Any, ...]]

    @classmethod
    def of(cls, dialect: Dialect, model: Any, rows: Sequence[dict[str, Any]]) -> _Records:
        table: Table = model.__table__
        columns = list(rows[0]) if rows else []
        processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
        records = [
            tuple(value if proc is None else proc(value) for value, proc in zip(row.values(), processors, strict=True))
            for row in rows
        ]
        return cls(table, columns, records)


@dataclass
class _Batch:
    tables: list[_Records]
    eligible: list[int]  # live contacts with status active: the ones groups may hold


async def _is_superuser(conn: AsyncConnection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool((await conn.execute(text("SELECT current_setting('is_superuser') = 'on'"))).scalar_one())


async def _skip_foreign_key_checks(conn: AsyncConnection, superuser: bool) -> None:
    """On PostgreSQL, as a superuser, skip the per-row foreign-key triggers for the rest of the transaction.

    They are half of the load time, and check nothing here: every URN, value and membership points at a contact
    written in the same or an earlier transaction, and at fields and groups made through the domain. SQLite keeps
    checking them (cheaply there).
    """
    if superuser:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))


async def _write(conn: AsyncConnection, rows: _Records) -> None:
    """Insert the rows in the connection's transaction: executemany batches on SQLite, ``COPY`` on PostgreSQL
    (where executemany's per-row statement overhead dominates)."""
    if not rows.records:
        return
    if conn.dialect.name == "postgresql":
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        async with driver.transaction():  # a savepoint inside the caller's transaction, if it has begun one
            await driver.copy_records_to_table(rows.table.name, records=rows.records, columns=rows.columns)
        return
    marks = ", ".join("?" * len(rows.columns))
    sql = f"INSERT INTO {rows.table.name} ({', '.join(rows.columns)}) VALUES ({marks})"
    for chunk in _chunks(rows.records, ROWS_PER_STATEMENT):
        await conn.exec_driver_sql(sql, list(chunk))


async def generate(url: str, *, contacts: int = 100_000, seed: int = DEFAULT_SEED) -> Dataset:
    """Add one benchmark workspace to the migrated database at ``url``.

    The database may hold other workspaces, but not a dataset made with the same ``seed`` (the seeded UUIDs would
    collide).
    """
    seconds: dict[str, float] = {}
    engine = _loader_engine(url)
    uuid_rng = random.Random(seed + 1)  # the UUIDs the domain mints (workspace, fields, groups)
    clock.set_uuid_factory(lambda: uuid.UUID(int=uuid_rng.getrandbits(128), version=4))
    try:
        started = time.perf_counter()
        ws, key, field_ids, manual = await _setup(engine, seed)
        seconds["setup"] = time.perf_counter() - started

        started = time.perf_counter()
        rows = _Rows(seed, ws.id, field_ids)
        deleted_total = int(contacts * DELETED_SHARE)
        total = contacts + deleted_total
        deleted_at = set(rows.rng.sample(range(total), deleted_total))
        async with engine.connect() as conn:
            first_id = await _next_id(conn)
            superuser = await _is_superuser(conn)
        urn_count = value_count = 0
        eligible: list[int] = []
        batches = [range(start, min(start + BATCH, total)) for start in range(0, total, BATCH)]

        def make(index: int) -> asyncio.Task[_Batch]:
            # built in a thread while the previous batch is written: the database works meanwhile
            return asyncio.create_task(
                asyncio.to_thread(rows.batch, engine.dialect, batches[index], first_id, deleted_at)
            )

        pending = make(0)
        try:
            for index in range(len(batches)):
                batch = await pending
                if index + 1 < len(batches):
                    pending = make(index + 1)
                async with engine.begin() as conn:
                    await _skip_foreign_key_checks(conn, superuser)
                    for records in batch.tables:
                        await _write(conn, records)
                eligible.extend(batch.eligible)
                urn_count += len(batch.tables[1].records)
                value_count += len(batch.tables[2].records)
        finally:
            if not pending.done():
                await asyncio.wait([pending])  # a thread cannot be cancelled: let it finish
        if not is_sqlite(url):  # explicit ids were written: move the sequence past them
            async with engine.begin() as conn:
                await conn.execute(
                    text("SELECT setval(pg_get_serial_sequence('contacts', 'id'), (SELECT max(id) FROM contacts))")
                )
        seconds["contacts"] = time.perf_counter() - started

        started = time.perf_counter()
        groups, memberships = [], 0
        async with engine.begin() as conn:
            await _skip_foreign_key_checks(conn, superuser)
            found = await conn.execute(
                select(ContactGroup.uuid, ContactGroup.id).where(ContactGroup.uuid.in_([g.uuid for g in manual]))
            )
            ids: dict[str, int] = {row.uuid: row.id for row in found}
            for info, share in zip(manual, MANUAL_GROUP_SHARES, strict=True):
                group_started = time.perf_counter()
                members = sorted(rows.rng.sample(eligible, max(1, round(share * len(eligible)))))
                group_id = ids[info.uuid]
                pairs = [{"group_id": group_id, "contact_id": c} for c in members]
                await _write(conn, _Records.of(conn.dialect, GroupMember, pairs))
                await conn.execute(
                    update(ContactGroup).where(ContactGroup.id == group_id).values(member_count=len(members))
                )
                memberships += len(members)
                groups.append(
                    GroupInfo(info.uuid, info.name, "manual", None, len(members), time.perf_counter() - group_started)
                )
        seconds["manual_groups"] = time.perf_counter() - started

        started = time.perf_counter()
        await _analyze(engine, url)
        seconds["analyze"] = time.perf_counter() - started

        # the smart groups are evaluated with the product's own engine settings, so their times mean something
        started = time.perf_counter()
        product = make_engine(url)
        try:
            for name, query in SMART_GROUPS:
                group_started = time.perf_counter()
                async with make_sessionmaker(product)() as session:
                    workspace = (await session.execute(select(Workspace).where(Workspace.id == ws.id))).scalar_one()
                    group = await group_service.create(session, workspace, name=name, query=query)
                    await session.commit()
                memberships += group.member_count
                elapsed = time.perf_counter() - group_started
                groups.append(GroupInfo(group.uuid, name, "smart", group.query, group.member_count, elapsed))
        finally:
            await product.dispose()
        seconds["smart_groups"] = time.perf_counter() - started

        started = time.perf_counter()
        await _analyze(engine, url)
        seconds["analyze"] += time.perf_counter() - started
        seconds["total"] = sum(seconds.values())
    finally:
        clock.set_uuid_factory(None)
        await engine.dispose()
    return Dataset(
        url=url,
        workspace_uuid=ws.uuid,
        token=key,
        contacts=contacts,
        deleted_contacts=deleted_total,
        urns=urn_count,
        values=value_count,
        fields=len(field_ids),
        memberships=memberships,
        groups=groups,
        seconds=seconds,
    )


async def _analyze(engine: AsyncEngine, url: str) -> None:
    """Give PostgreSQL's planner statistics (what autovacuum does a minute after a bulk load anyway).

    SQLite is left as a fresh Sauti database is: nothing in the product runs ``ANALYZE`` there.
    """
    if is_sqlite(url):
        return
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


def build(url: str, *, contacts: int = 100_000, seed: int = DEFAULT_SEED) -> Dataset:
    """Migrate the database at ``url`` and generate the dataset into it (blocking)."""
    started = time.perf_counter()
    upgrade(url)
    migrate = time.perf_counter() - started
    dataset = asyncio.run(generate(url, contacts=contacts, seed=seed))
    dataset.seconds = {"migrate": migrate, **dataset.seconds}
    dataset.seconds["total"] += migrate
    return dataset


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fill a database with the benchmark dataset.")
    parser.add_argument("--url", required=True, help="async SQLAlchemy URL, e.g. sqlite+aiosqlite:////tmp/b.db")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    dataset = build(args.url, contacts=args.contacts, seed=args.seed)
    out = {"workspace": dataset.workspace_uuid, "token": dataset.token, **dataset.summary()}
    out["group_uuids"] = {g.name: g.uuid for g in dataset.groups}
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()


async def add_messages(url: str, workspace_uuid: str, count: int, seed: int = DEFAULT_SEED) -> float:
    """``count`` messages (two thirds outgoing and sent, a third incoming and handled) spread over the live
    contacts, over the last year, written in bulk (COPY on PostgreSQL). Returns the seconds it took."""
    from sqlalchemy import select

    from sauti.db import bulk
    from sauti.db.base import table_of
    from sauti.db.engine import make_engine, make_sessionmaker
    from sauti.kit import clock
    from sauti.models import Channel, Contact, Message, Workspace

    started = time.perf_counter()
    rng = random.Random(seed + 7)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            ws = (await session.execute(select(Workspace).where(Workspace.uuid == workspace_uuid))).scalar_one()
            contact_ids = list(
                (await session.execute(select(Contact.id).where(Contact.workspace_id == ws.id, Contact.is_active)))
                .scalars()
                .all()
            )
            channel_id = (await session.execute(select(Channel.id).where(Channel.workspace_id == ws.id))).scalar()
        end = clock.now()
        for start in range(0, count, 50_000):
            size = min(50_000, count - start)
            rows = []
            for n, uuid in zip(range(start, start + size), clock.new_uuids(size), strict=True):
                when = end - timedelta(seconds=(count - n) * 31_536_000 / count)  # oldest first, a year in all
                incoming = rng.random() < 0.33
                rows.append(
                    {
                        "uuid": uuid,
                        "workspace_id": ws.id,
                        "contact_id": rng.choice(contact_ids),
                        "channel_id": channel_id,
                        "direction": "in" if incoming else "out",
                        "status": "handled" if incoming else "delivered",
                        "visibility": "visible",
                        "text": f"message {n}",
                        "attachments": [],
                        "quick_replies": [],
                        "high_priority": False,
                        "next_attempt": None,
                        "sent_on": None if incoming else when,
                        "created_on": when,
                        "modified_on": when,
                    }
                )
            async with sessions() as session:
                await bulk.insert_rows(session, table_of(Message), rows)
                await session.commit()
    finally:
        await engine.dispose()
    return time.perf_counter() - started
