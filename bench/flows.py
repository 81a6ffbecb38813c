"""How fast the flow runtime answers contacts and starts flows, in process, on SQLite and PostgreSQL.

For each backend: generate the contacts dataset (``bench.dataset``: ten fields, smart groups that re-evaluate on
every contact change) into a fresh database, add a test channel and save the three-node registration flow of
flows.md §1.9 (ask the name, ask the age, thank and save the age field). Then:

- ``inbound``: ``--inbound`` contacts are started in the flow (untimed: each waits at the first question). Timed:
  each of them writes its name through ``domain.messages.receive`` (one transaction per message, as a channel
  callback does, the channel and its workspace read as the callback reads them, ``--concurrency`` at a time):
  the session resumes, the result is saved and the next question is queued as a high-priority reply. Messages
  handled per second (goal >= 300); every reply must be queued.
  ``cpu_ms_per_msg``: this process's CPU time (user and system) over the timed part, per message (all of the
  work on SQLite; on PostgreSQL the server's share is not in it): steadier than the rate when the machine is
  busy with others. ``system_cpu_ms_per_msg``: the kernel's part of it (on PostgreSQL the socket's writes are
  in it).

  Beside it, ``database_limit``: the database's own limit for the same work (``bench.dblimit``). Sixteen more
  contacts (``CAPTURED`` per concurrent message) are started in the flow and answer as the others did, each
  message with every statement the driver is sent captured (with its parameters: SQLAlchemy's cursor event
  and the driver's executemany, which bulk writes use); then ``--inbound`` messages are replayed from those
  statements with the raw driver, one transaction per message (SQLite: ``sqlite3`` on a copy of the database,
  one message after another, as its one writer allows; PostgreSQL: ``asyncpg``, ``--concurrency``
  connections, each replaying its own contacts, and ``sequential``, one connection). ``msgs_per_s`` and
  ``ms_per_msg`` there are what the database alone costs; the rest of the inbound rate's milliseconds are
  Python's (ours, SQLAlchemy's, the driver adapter's). The bench's own reads of the workspace and channel
  before each message are not part of it. ``captured_statements_per_msg`` counts the statements replayed
  (more than tests/domain/test_inbound_statements.py pins: those count neither the two bulk inserts nor, in
  this dataset, the URN's move to the bench's channel; a contact with several numbers costs two more).
- ``start``: a flow start to a group of ``--start`` contacts (goal: 10,000), expanded by the worker's own round
  (``worker/flows.expand_starts``) until it is completed. Timed from the start's creation until every first
  message is queued (goal <= 10 s).

The timed parts run on the loop the server and the worker run on (``on_served_loop``: uvloop where it is
installed, as uvicorn's ``loop="auto"`` and ``sauti worker`` choose).

``--backends`` also takes ``postgres-socket``: the same throwaway PostgreSQL over its unix socket instead of TCP
loopback (``bench.contacts.database``), to compare the two.

``goals`` lists each figure with its goal and whether it was met. Exactly one JSON line goes to stdout; progress
goes to stderr::

    python -m bench.flows --inbound 2000 --start 10000 --backends sqlite,postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, insert, select

from bench import dataset, dblimit
from bench.contacts import BACKENDS, CHOICES, database, log, run_report
from sauti.channels.base import Incoming
from sauti.db.engine import make_engine, make_sessionmaker, sqlite_file, sync_engines
from sauti.domain.channels import queries as channel_queries
from sauti.domain.channels import service as channels
from sauti.domain.flows import runner, starts
from sauti.domain.flows.definitions import save_flow
from sauti.domain.groups import service as group_service
from sauti.domain.messages.receive import receive
from sauti.models import Channel, Contact, ContactURN, Flow, FlowStart, GroupMember, Message, Workspace
from sauti.worker import flows as flow_work

FLOW = Path(__file__).resolve().parent.parent / "tests" / "domain" / "flow_defs" / "registration.json"
SECOND_QUESTION = "Thanks Amina. How old are you?"
FIRST_QUESTION = "Hi! What is your name?"
CAPTURED = 4  # messages captured per concurrent lane for the database limit (bench.dblimit)
ELIGIBLE_SHARE = 0.89  # active contacts with a tel URN among the generated ones (see bench.messaging)
T = TypeVar("T")


async def _prepare(url: str, workspace_uuid: str, wanted: int) -> tuple[int, int, list[tuple[int, str]]]:
    """The test channel, the saved flow, and ``wanted`` active contacts with a tel URN: ``(id, urn)``."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            ws = (await session.execute(select(Workspace).where(Workspace.uuid == workspace_uuid))).scalar_one()
            channel = await channels.add(session, ws, channel_type="TST", name="Bench", address="+250788000000")
            flow = await save_flow(session, ws, json.loads(FLOW.read_text()))
            rows = await session.execute(
                select(Contact.id, ContactURN.scheme, ContactURN.path)
                .join(ContactURN, ContactURN.contact_id == Contact.id)
                .where(
                    Contact.workspace_id == ws.id,
                    Contact.is_active,
                    Contact.status == "active",
                    ContactURN.scheme == "tel",
                )
                .order_by(Contact.id, ContactURN.priority.desc())
            )
            seen: dict[int, str] = {}
            for contact_id, scheme, path in rows:
                seen.setdefault(contact_id, f"{scheme}:{path}")
                if len(seen) >= wanted:
                    break
            await session.commit()
            if len(seen) < wanted:
                raise RuntimeError(f"only {len(seen)} active contacts with a phone number, {wanted} wanted")
            return channel.id, flow.id, list(seen.items())
    finally:
        await engine.dispose()


async def measure_inbound(
    url: str, workspace_uuid: str, channel_id: int, flow_id: int, people: Sequence[tuple[int, str]], concurrency: int
) -> dict[str, Any]:
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    try:
        ids = [cid for cid, _ in people]
        for at in range(0, len(ids), 500):  # untimed: every contact waits at the first question
            async with maker() as session:
                ws = (await session.execute(select(Workspace).where(Workspace.uuid == workspace_uuid))).scalar_one()
                flow = await session.get(Flow, flow_id)
                assert flow is not None
                await runner.start_contacts(session, ws, flow, ids[at : at + 500])
                await session.commit()
        async with maker() as session:
            named = await session.get(Channel, channel_id)
            assert named is not None
            channel_type, channel_uuid = named.channel_type, named.uuid
        queue: asyncio.Queue[str] = asyncio.Queue()
        for _, urn in people:
            queue.put_nowait(urn)

        async def writer() -> None:
            while not queue.empty():
                urn = queue.get_nowait()
                async with maker() as session:  # the channel and its workspace read as a provider's callback does
                    found = await channel_queries.for_callback(session, channel_type, channel_uuid)
                    assert found is not None
                    channel, ws = found
                    await receive(session, ws, channel, Incoming(urn=urn, text="Amina"))
                    await session.commit()

        started, before = time.perf_counter(), os.times()
        await asyncio.gather(*(writer() for _ in range(concurrency)))
        seconds, after = time.perf_counter() - started, os.times()
        user, system = after.user - before.user, after.system - before.system
        async with maker() as session:
            replies = await session.scalar(
                select(func.count()).where(
                    Message.direction == "out", Message.text == SECOND_QUESTION, Message.high_priority.is_(True)
                )
            )
        return {
            "messages": len(people),
            "concurrency": concurrency,
            "seconds": round(seconds, 2),
            "msgs_per_s": round(len(people) / seconds, 1),
            "cpu_ms_per_msg": round((user + system) * 1000 / len(people), 3),
            "system_cpu_ms_per_msg": round(system * 1000 / len(people), 3),
            "replies_queued": int(replies or 0),
        }
    finally:
        await engine.dispose()


async def measure_database_limit(
    url: str,
    workspace_uuid: str,
    channel_id: int,
    flow_id: int,
    people: Sequence[tuple[int, str]],
    n: int,
    concurrency: int,
) -> dict[str, Any]:
    """``people`` more contacts are started in the flow and write their names, as in ``inbound``, each with
    every statement captured (``bench.dblimit``); those messages are then replayed, ``n`` in all, with the raw
    driver."""
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    captured: list[list[dblimit.Statement]] = []
    try:
        async with maker() as session:
            ws = (await session.execute(select(Workspace).where(Workspace.uuid == workspace_uuid))).scalar_one()
            flow = await session.get(Flow, flow_id)
            assert flow is not None
            await runner.start_contacts(session, ws, flow, [cid for cid, _ in people])
            await session.commit()
        for contact_id, urn in people:
            async with maker() as session:
                ws = (await session.execute(select(Workspace).where(Workspace.uuid == workspace_uuid))).scalar_one()
                channel = await session.get(Channel, channel_id)
                assert channel is not None
                with dblimit.capture([engine.sync_engine, *sync_engines(maker)]) as statements:
                    await receive(session, ws, channel, Incoming(urn=urn, text="Amina"))
                    await session.commit()
                captured.append(statements)
            async with maker() as session:
                reply = await session.scalar(
                    select(func.count()).where(Message.contact_id == contact_id, Message.text == SECOND_QUESTION)
                )
                assert reply == 1, "a captured message was not answered"
    finally:
        await engine.dispose()
    path = sqlite_file(url)
    if path is not None:
        return dblimit.replay_sqlite(path, captured, n)
    figures = await dblimit.replay_postgres(url, captured, n, concurrency)
    figures["sequential"] = await dblimit.replay_postgres(url, captured, n, 1)
    return figures


async def measure_start(url: str, workspace_uuid: str, flow_id: int, ids: Sequence[int]) -> dict[str, Any]:
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    dialect = engine.dialect.name
    try:
        async with maker() as session:
            ws = (await session.execute(select(Workspace).where(Workspace.uuid == workspace_uuid))).scalar_one()
            group = await group_service.create(session, ws, name="Flow Start Audience")
            for at in range(0, len(ids), 10_000):
                chunk = ids[at : at + 10_000]
                await session.execute(insert(GroupMember), [{"group_id": group.id, "contact_id": c} for c in chunk])
            group.member_count = len(ids)
            await session.commit()
        async with maker() as session:
            before = int(await session.scalar(select(func.max(Message.id))) or 0)
        started = time.perf_counter()
        async with maker() as session:
            ws = (await session.execute(select(Workspace).where(Workspace.uuid == workspace_uuid))).scalar_one()
            flow = await session.get(Flow, flow_id)
            assert flow is not None
            start = await starts.create_start(
                session,
                ws,
                flow=flow,
                contacts=[],
                groups=[group.id],
                urns=[],
                params={},
                restart_participants=True,
                exclude_active=False,
                start_type="api",
                created_by_id=None,
            )
            await session.commit()
            start_id = start.id
        rounds = 0
        while await flow_work.expand_starts(maker, dialect, "bench"):
            rounds += 1
        seconds = time.perf_counter() - started
        async with maker() as session:
            row = await session.get(FlowStart, start_id)
            assert row is not None
            firsts = await session.scalar(
                select(func.count()).where(
                    Message.id > before, Message.direction == "out", Message.text == FIRST_QUESTION
                )
            )
        return {
            "contacts": len(ids),
            "status": row.status,
            "contact_count": row.contact_count,
            "run_count": row.run_count,
            "first_messages_queued": int(firsts or 0),
            "rounds": rounds,
            "seconds": round(seconds, 2),
            "sessions_per_s": round(row.run_count / seconds, 1) if seconds else None,
        }
    finally:
        await engine.dispose()


def goals(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    inbound = result.get("inbound")
    if inbound:
        rate = inbound["msgs_per_s"]
        complete = inbound["replies_queued"] == inbound["messages"]
        out["inbound_msgs_per_s"] = {"goal": ">= 300", "measured": rate, "met": rate >= 300 and complete}
    start = result.get("start")
    if start:
        seconds = start["seconds"]
        complete = start["first_messages_queued"] == start["contacts"] and start["status"] == "completed"
        out["start_s"] = {
            "goal": f"<= 10 for {start['contacts']}",
            "measured": seconds,
            "met": seconds <= 10 and complete,
        }
    return out


def on_served_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run the timed work on the loop a channel callback and the worker run on: uvicorn's (``loop="auto"``) and
    ``sauti worker``'s are uvloop wherever it is installed (uvicorn[standard] brings it), asyncio's otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)
    return uvloop.run(work)


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"sauti-bench-flows-{backend}-") as tmp:
        with database(backend, Path(tmp)) as url:
            extra = CAPTURED * args.concurrency if args.inbound else 0  # the database limit's captured messages
            wanted = args.inbound + args.start + extra
            generate = math.ceil(wanted / ELIGIBLE_SHARE) + 100
            log(f"{backend}: generating {generate} contacts")
            data = dataset.build(url, contacts=generate, seed=args.seed)
            channel_id, flow_id, people = asyncio.run(_prepare(url, data.workspace_uuid, wanted))
            result: dict[str, Any] = {"generated_contacts": generate}
            if args.inbound:
                log(f"{backend}: inbound through the flow, {args.inbound} messages")
                result["inbound"] = on_served_loop(
                    measure_inbound(
                        url, data.workspace_uuid, channel_id, flow_id, people[: args.inbound], args.concurrency
                    )
                )
                log(f"{backend}: the database limit, {args.inbound} messages replayed from captured statements")
                result["inbound"]["database_limit"] = on_served_loop(
                    measure_database_limit(
                        url,
                        data.workspace_uuid,
                        channel_id,
                        flow_id,
                        people[len(people) - extra :],
                        args.inbound,
                        args.concurrency,
                    )
                )
            if args.start:
                log(f"{backend}: a flow start to {args.start} contacts")
                ids = [cid for cid, _ in people[args.inbound : len(people) - extra]]
                result["start"] = on_served_loop(measure_start(url, data.workspace_uuid, flow_id, ids))
            result["goals"] = goals(result)
            return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.flows", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgres,postgres-socket")
    parser.add_argument("--inbound", type=int, default=2_000, help="inbound messages through the flow (2000)")
    parser.add_argument("--concurrency", type=int, default=4, help="messages handled at once (default 4)")
    parser.add_argument("--start", type=int, default=10_000, help="contacts of the flow start (default 10000)")
    parser.add_argument("--seed", type=int, default=dataset.DEFAULT_SEED)
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in args.backends if b not in CHOICES]
    if unknown or not args.backends:
        parser.error(f"--backends takes {', '.join(CHOICES)} (got {', '.join(unknown) or 'none'})")
    if args.inbound < 0 or args.start < 0 or args.concurrency < 1:
        parser.error("--inbound and --start must be at least 0, --concurrency at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    header = {
        "bench": "flows",
        "inbound": args.inbound,
        "start": args.start,
        "concurrency": args.concurrency,
        "seed": args.seed,
        "cpus": os.cpu_count(),
    }
    return run_report(header, args.backends, lambda backend: run_backend(backend, args))


if __name__ == "__main__":
    sys.exit(main())
