"""How fast a campaign event on a large group is scheduled and carried out, on SQLite and PostgreSQL.

For each backend: generate the contacts dataset (``bench.dataset``) into a fresh database, make a manual group of
exactly ``--contacts`` active contacts with a phone number, give each of them a date in a datetime field (spread
over a day, a week before now), add a test channel, and create a campaign on the group. Then, in this process,
with the worker's own round functions (``worker/campaigns.py``) on the product's engine:

- ``schedule``: a message event (8 days after the date, in two languages) is created through the domain, as
  ``POST campaign_events.json`` does; timed from its commit until the event is ``ready`` with every fire written
  (one ``campaign_events`` round per loop until none is left). Goal <= 60 s.
- ``fire``: the injected clock moves past the last fire time; timed from then until every fire is carried out
  and every message is queued (``campaign_fires`` rounds until none is due). Goal <= 60 s. Every contact must
  get exactly one message, in their language where the event has it.

Exactly one JSON line goes to stdout; progress goes to stderr::

    python -m bench.campaigns --contacts 10000 --backends sqlite
    python -m bench.campaigns --template   # texts with expressions (@contact.first_name, @fields.appointment)
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench import dataset
from bench.contacts import BACKENDS, CHOICES, database, log, run_report
from bench.messaging import ELIGIBLE_SHARE, _make_group
from sauti.db.base import table_of
from sauti.db.bulk import insert_rows
from sauti.db.engine import make_engine, make_sessionmaker
from sauti.domain.campaigns import service as campaigns
from sauti.domain.channels import service as channels
from sauti.domain.fields import service as fields
from sauti.kit import clock
from sauti.kit.timefmt import format_utc
from sauti.models import CampaignEvent, CampaignFire, Contact, ContactValue, Message, Workspace
from sauti.worker import campaigns as work

GOAL_SECONDS = 60.0
WORKER = "bench-campaigns"
TEXTS = {"eng": "Your appointment is tomorrow.", "kin": "Gahunda yawe ni ejo."}
# --template: texts with expressions, evaluated for each contact (their name, their date)
TEMPLATES = {
    "eng": "Hi @contact.first_name, your appointment is tomorrow (@fields.appointment).",
    "kin": "Muraho @contact.first_name, gahunda yawe ni ejo.",
}


async def _prepare(url: str, workspace_uuid: str, group_uuid: str, ids: Sequence[int], now: datetime) -> str:
    """The date field with a value for every member, a test channel and the campaign; returns its UUID."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            ws = (await session.execute(select(Workspace).where(Workspace.uuid == workspace_uuid))).scalar_one()
            field = await fields.create(session, ws, name="Appointment", value_type="datetime")
            await channels.add(session, ws, channel_type="TST", name="Bench", address="+250788000000")
            base = now - timedelta(days=7)
            rows = []
            for n, contact_id in enumerate(ids):
                when = base + timedelta(seconds=(n * 86_400) // max(len(ids), 1))
                text = format_utc(when) or ""
                rows.append(
                    {
                        "contact_id": contact_id,
                        "field_id": field.id,
                        "text_value": text,
                        "text_key": text.lower(),
                        "number_value": None,
                        "datetime_value": when,
                    }
                )
            for start in range(0, len(rows), 20_000):
                await insert_rows(session, table_of(ContactValue), rows[start : start + 20_000])
            campaign = await campaigns.create_campaign(session, ws, name="Appointments", group=group_uuid)
            await session.commit()
            return campaign.uuid
    finally:
        await engine.dispose()


async def _measure(
    url: str, workspace_uuid: str, campaign_uuid: str, members: int, now: datetime, *, template: bool = False
) -> dict[str, Any]:
    texts = TEMPLATES if template else TEXTS
    kin = texts["kin"].split("@")[0]  # what every Kinyarwanda text begins with
    prefix = func.substr(Message.text, 1, 6)  # messages counted by their first words
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    dialect = engine.dialect.name
    out: dict[str, Any] = {}
    try:
        async with sessionmaker() as session:
            ws = (await session.execute(select(Workspace).where(Workspace.uuid == workspace_uuid))).scalar_one()
            event = await campaigns.create_event(
                session,
                ws,
                campaigns.EventInput(
                    campaign=campaign_uuid,
                    relative_to="appointment",
                    offset=8,
                    unit="days",
                    delivery_hour=-1,
                    message=texts,
                ),
            )
            await session.commit()
            event_id = event.id
        started = time.perf_counter()
        while await work.schedule_events(sessionmaker, dialect, WORKER):
            pass
        out["schedule_s"] = round(time.perf_counter() - started, 2)
        async with sessionmaker() as session:
            status = (await session.execute(select(CampaignEvent.status).where(CampaignEvent.id == event_id))).scalar()
            fires = (
                await session.execute(
                    select(func.count()).select_from(CampaignFire).where(CampaignFire.event_id == event_id)
                )
            ).scalar_one()
            last = (await session.execute(select(func.max(CampaignFire.fire_on)))).scalar_one()
        out["event_status"] = status
        out["fires"] = int(fires)
        log(f"scheduled {fires} fires in {out['schedule_s']}s")

        assert last is not None
        clock.set_clock(lambda: datetime.now(UTC) - now + last + timedelta(seconds=1))  # just past the last fire
        started = time.perf_counter()
        rounds = 0
        while await work.fire_due(sessionmaker, dialect, WORKER):
            rounds += 1
        out["fire_s"] = round(time.perf_counter() - started, 2)
        out["fire_rounds"] = rounds
        async with sessionmaker() as session:
            by_text = dict(
                (
                    await session.execute(
                        select(prefix, func.count()).where(Message.direction == "out").group_by(prefix)
                    )
                ).all()
            )
            per_contact = (
                await session.execute(
                    select(func.count(func.distinct(Message.contact_id))).where(Message.direction == "out")
                )
            ).scalar_one()
            kin = (
                await session.execute(
                    select(func.count())
                    .select_from(Message)
                    .join(Contact, Contact.id == Message.contact_id)
                    .where(Message.direction == "out", Contact.language == "kin", ~Message.text.startswith(kin))
                )
            ).scalar_one()
            pending = (
                await session.execute(
                    select(func.count()).select_from(CampaignFire).where(CampaignFire.status == "pending")
                )
            ).scalar_one()
        out["messages"] = dict(by_text)
        out["contacts_messaged"] = int(per_contact)
        out["exactly_once"] = sum(by_text.values()) == per_contact == members and pending == 0 and kin == 0
        log(f"fired {sum(by_text.values())} messages in {out['fire_s']}s")
    finally:
        clock.set_clock(None)
        await engine.dispose()
    return out


def goals(result: dict[str, Any]) -> dict[str, Any]:
    def goal(value: float | None, limit: float) -> dict[str, Any]:
        return {"value": value, "goal": f"<= {limit:g}", "met": value is not None and value <= limit}

    return {
        "schedule_s": goal(result.get("schedule_s"), GOAL_SECONDS),
        "fire_s": goal(result.get("fire_s"), GOAL_SECONDS),
        "exactly_once": {"value": result.get("exactly_once"), "goal": "true", "met": bool(result.get("exactly_once"))},
    }


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"sauti-bench-campaigns-{backend}-") as tmp:
        with database(backend, Path(tmp)) as url:
            generate = math.ceil(args.contacts / ELIGIBLE_SHARE)
            log(f"{backend}: generating {generate} contacts")
            data = dataset.build(url, contacts=generate, seed=args.seed)
            group_uuid, ids = asyncio.run(_make_group(url, data.workspace_uuid, args.contacts, args.contacts))
            now = datetime.now(UTC)
            campaign_uuid = asyncio.run(_prepare(url, data.workspace_uuid, group_uuid, ids[: args.contacts], now))
            result: dict[str, Any] = {"generated_contacts": generate, "members": args.contacts}
            result.update(
                asyncio.run(
                    _measure(url, data.workspace_uuid, campaign_uuid, args.contacts, now, template=args.template)
                )
            )
            result["goals"] = goals(result)
            return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.campaigns", description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000, help="members of the campaign's group (100000)")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgres,postgres-socket")
    parser.add_argument("--seed", type=int, default=dataset.DEFAULT_SEED)
    parser.add_argument("--template", action="store_true", help="texts with expressions, evaluated per contact")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in args.backends if b not in CHOICES]
    if unknown or not args.backends:
        parser.error(f"--backends takes {', '.join(CHOICES)} (got {', '.join(unknown) or 'none'})")
    if args.contacts < 1:
        parser.error("--contacts must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    header = {"bench": "campaigns", "contacts": args.contacts, "seed": args.seed, "cpus": os.cpu_count()}
    return run_report(header, args.backends, lambda backend: run_backend(backend, args))


if __name__ == "__main__":
    sys.exit(main())
