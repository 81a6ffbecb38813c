"""Running flows for contacts: start, resume, interrupt, and keep the rows in step with the engine's session.

Every sprint (one ``engine.session.start`` or ``resume``) is persisted the same way (:func:`persist`):

- the ``flow_sessions`` row holds the engine's Session JSON, its status, the waiting run's flow and the sprint's
  UUID (a timer keyed to an older sprint is stale);
- one ``flow_runs`` row per engine run, with its path and results copied from the session each sprint, and the
  flow's per-status counters moved by one for every status a run leaves and enters;
- the sprint's events are applied (``apply.py``): messages queued, contact changes saved, labels, broadcasts,
  flow starts;
- ``contacts.current_flow_id`` names the flow the contact waits in (``None`` once it waits in none);
- the session's timers are replaced: a wait expiration at the wait's ``expires_on``, a wait timeout when the
  wait has one (DECISION: measured from the end of the sprint, not from when the last message was sent) unless
  it falls after the expiry, and, when a session first waits, a session expiration 30 days after it was
  created (DECISION: no random extra hours; one timer per session).

A contact waits in at most one session. Starting a messaging flow ends the waiting session first
(``interrupt``); background flows and ``passive`` starts leave it alone unless the new session itself waits, in
which case the older one is interrupted then.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from sauti.db import bulk
from sauti.db.base import built_once, table_of
from sauti.domain.flows import apply, queries
from sauti.domain.flows import assets as flow_assets
from sauti.domain.flows import classifiers as flow_classifiers
from sauti.domain.flows import webhooks as flow_webhooks
from sauti.domain.flows.contacts import Person, people
from sauti.domain.messages.send import Sender
from sauti.domain.resthooks import deliveries as resthook_calls
from sauti.domain.scope import scoped
from sauti.engine import jsonio
from sauti.engine import session as engine
from sauti.engine.resumes import Resume
from sauti.engine.services import Services
from sauti.engine.triggers import Trigger
from sauti.kit import clock
from sauti.kit.timefmt import format_utc, parse_iso
from sauti.models import Contact, Flow, FlowRun, FlowSession, FlowTimer, Message, Workspace

MODES: Final = ("interrupt", "skip", "passive")
SESSION_EXPIRES_AFTER: Final = timedelta(days=30)
ENDED: Final = ("completed", "interrupted", "expired", "failed")


def _random() -> Decimal:
    return Decimal(random.randrange(10**9)) / Decimal(10**9)


def services(
    resthooks: resthook_calls.Calls | None = None, classifiers: Sequence[flow_classifiers.Snapshot] = ()
) -> Services:
    """The engine's services: Sauti's clock and UUIDs (swappable in tests), real randomness, real webhook calls
    (``webhooks.py``: a sprint that may call one runs in a thread), when the flows call resthooks, the
    workspace's loaded resthooks (``domain/resthooks/deliveries.py``), and the workspace's classifiers
    (``classifiers.py``, for flows that call one)."""
    return Services(
        now=clock.now,
        new_uuid=clock.new_uuid,
        random=_random,
        webhook=flow_webhooks.service(),
        resthooks=resthooks,
        classifier=flow_classifiers.service(classifiers),
    )


async def _bump_counters(session: AsyncSession, deltas: Mapping[tuple[int, str], int]) -> None:
    """Move the flows' run counters (one UPDATE per flow, atomic in the database)."""
    by_flow: dict[int, dict[str, Any]] = {}
    for (flow_id, status), delta in deltas.items():
        if delta:
            column = getattr(Flow, f"runs_{status}")
            by_flow.setdefault(flow_id, {})[f"runs_{status}"] = column + delta
    for flow_id, values in sorted(by_flow.items()):
        await session.execute(
            update(Flow).where(Flow.id == flow_id).values(**values).execution_options(synchronize_session=False)
        )


_TIMERS: Final = table_of(FlowTimer)
_RETIRE: Final = built_once(
    update(_TIMERS)
    .where(_TIMERS.c.session_id == bindparam("of_session"), _TIMERS.c.status == "waiting")
    .values(status="skipped", modified_on=bindparam("now"))
)
# a new sprint leaves the session's own expiration standing
_RETIRE_WAITS: Final = _RETIRE.where(_TIMERS.c.kind != "session_expiration")


def _retire_timers(writes: bulk.Writes, row: FlowSession, *, all_kinds: bool) -> None:
    """The session's waiting timers are not needed any more (a new sprint, or the session ended). A Core
    statement on the session's connection: no timer is loaded as an ORM row (none is read back)."""
    writes.execute(_RETIRE if all_kinds else _RETIRE_WAITS, {"of_session": row.id, "now": clock.now()})


def _timer(row: FlowSession, kind: str, due_on: datetime, sprint_uuid: str | None) -> dict[str, Any]:
    now = clock.now()
    return {
        "workspace_id": row.workspace_id,
        "session_id": row.id,
        "kind": kind,
        "sprint_uuid": sprint_uuid,
        "due_on": due_on,
        "status": "waiting",
        "claimed_by": None,
        "claimed_on": None,
        "failure": None,
        "created_on": now,
        "modified_on": now,
    }


def _schedule(row: FlowSession, sprint: engine.Sprint, *, first_wait: bool) -> list[dict[str, Any]]:
    """The timer rows of a session the sprint left waiting."""
    out: list[dict[str, Any]] = []
    wait = next((e for e in reversed(sprint.events) if e.type == "msg_wait"), None)
    now = clock.now()
    expires_on = parse_iso(str(wait.data.get("expires_on"))) if wait is not None else None
    if expires_on is not None:
        out.append(_timer(row, "wait_expiration", expires_on, sprint.uuid))
    timeout = wait.data.get("timeout_seconds") if wait is not None else None
    if isinstance(timeout, int) and timeout > 0:
        due = now + timedelta(seconds=timeout)
        if expires_on is None or due < expires_on:
            out.append(_timer(row, "wait_timeout", due, sprint.uuid))
    if first_wait:
        out.append(_timer(row, "session_expiration", row.created_on + SESSION_EXPIRES_AFTER, None))
    return out


def _new_runs(
    workspace: Workspace,
    row: FlowSession,
    es: engine.Session,
    flow_ids: Mapping[str, int],
    start_id: int | None,
    deltas: Counter[tuple[int, str]],
) -> list[dict[str, Any]]:
    """The rows of a new session's runs (inserted at once by the caller), counted in ``deltas``."""
    out: list[dict[str, Any]] = []
    for run in es.runs:
        flow_id = flow_ids.get(run.flow_uuid)
        if flow_id is None:
            continue
        out.append(_run_values(workspace, row, run, flow_id, start_id))
        deltas[(flow_id, run.status)] += 1
    return out


def _run_values(workspace: Workspace, row: FlowSession, run: Any, flow_id: int, start_id: int | None) -> dict[str, Any]:
    """The ``flow_runs`` row of an engine run that has none yet."""
    return {
        "uuid": run.uuid,
        "workspace_id": workspace.id,
        "flow_id": flow_id,
        "contact_id": row.contact_id,
        "session_id": row.id,
        "start_id": start_id,
        "parent_uuid": run.parent_uuid,
        "status": run.status,
        "responded": run.had_input,
        "path": [s.to_json() for s in run.path],
        "results": {k: v.to_json() for k, v in sorted(run.results.items())},
        "current_node_uuid": run.current_node_uuid,
        "created_on": run.created_on,
        "modified_on": run.modified_on,
        "exited_on": run.exited_on if run.status in ENDED else None,
    }


def _save_runs(
    session: AsyncSession,
    workspace: Workspace,
    row: FlowSession,
    es: engine.Session,
    existing: Mapping[str, FlowRun],
    flow_ids: Mapping[str, int],
    start_id: int | None,
    deltas: Counter[tuple[int, str]],
) -> None:
    """Copy the engine's runs onto their rows (new runs become rows), counting each status change in ``deltas``
    for the flows' counters."""
    for run in es.runs:
        run_row = existing.get(run.uuid)
        old: str | None = None
        if run_row is None:
            flow_id = flow_ids.get(run.flow_uuid)
            if flow_id is None:
                continue  # its flow was deleted
            run_row = FlowRun(
                uuid=run.uuid,
                workspace_id=workspace.id,
                flow_id=flow_id,
                contact_id=row.contact_id,
                session_id=row.id,
                start_id=start_id,
                parent_uuid=run.parent_uuid,
                created_on=run.created_on,
            )
            session.add(run_row)
        else:
            old = run_row.status
            if old == run.status and run_row.modified_on == run.modified_on:
                continue
        run_row.status = run.status
        run_row.responded = run.had_input
        if run.path or not run_row.path:
            run_row.path = [s.to_json() for s in run.path]
        run_row.results = {k: v.to_json() for k, v in sorted(run.results.items())}
        run_row.current_node_uuid = run.current_node_uuid
        run_row.modified_on = run.modified_on
        run_row.exited_on = run.exited_on if run.status in ENDED else None
        if old != run.status:
            if old is not None:
                deltas[(run_row.flow_id, old)] -= 1
            deltas[(run_row.flow_id, run.status)] += 1


_RUN_UPDATE: Final = built_once(
    update(table_of(FlowRun))
    .where(table_of(FlowRun).c.uuid == bindparam("run_uuid"))
    .execution_options(synchronize_session=False)
)


def _write_runs(
    workspace: Workspace,
    row: FlowSession,
    es: engine.Session,
    before: Mapping[str, tuple[str, datetime]],
    flow_ids: Mapping[str, int],
    start_id: int | None,
    deltas: Counter[tuple[int, str]],
    new_runs: list[dict[str, Any]],
    writes: bulk.Writes,
) -> None:
    """:func:`_save_runs` for a sprint whose runs' earlier statuses are known: changed runs are UPDATEd by UUID
    (one executemany, in ``writes``), new ones join ``new_runs``, and nothing is read."""
    changed: dict[bool, list[dict[str, Any]]] = {True: [], False: []}  # by whether the path is written
    for run in es.runs:
        flow_id = flow_ids.get(run.flow_uuid)
        old = before.get(run.uuid)
        if old is None:
            if flow_id is None:
                continue  # its flow was deleted
            new_runs.append(_run_values(workspace, row, run, flow_id, start_id))
            deltas[(flow_id, run.status)] += 1
            continue
        if old == (run.status, run.modified_on):
            continue
        values: dict[str, Any] = {
            "run_uuid": run.uuid,
            "status": run.status,
            "responded": run.had_input,
            "results": {k: v.to_json() for k, v in sorted(run.results.items())},
            "current_node_uuid": run.current_node_uuid,
            "modified_on": run.modified_on,
            "exited_on": run.exited_on if run.status in ENDED else None,
        }
        if run.path:
            values["path"] = [s.to_json() for s in run.path]
        changed[bool(run.path)].append(values)
        if old[0] != run.status and flow_id is not None:
            deltas[(flow_id, old[0])] -= 1
            deltas[(flow_id, run.status)] += 1
    for params in changed.values():
        if params:
            writes.execute(_RUN_UPDATE, params)


_SESSIONS: Final = table_of(FlowSession)
_SESSION_UPDATE: Final = built_once(update(_SESSIONS).where(_SESSIONS.c.id == bindparam("row_id")))


def _wait_in(contact: Contact, flow_id: int | None) -> None:
    """Name the flow the contact waits in; an unchanged value is not set (it would leave the contact to flush)."""
    if contact.current_flow_id != flow_id:
        contact.current_flow_id = flow_id


@dataclass
class Sprinted:
    """One contact's sprint to persist: ``row`` is ``None`` for a session the sprint began."""

    contact: Contact
    row: FlowSession | None
    session: engine.Session
    sprint: engine.Sprint
    person: Person | None = None
    # each run's (status, modified_on) before the sprint, when the caller knows them (a resume): the runs' rows
    # are then written without being read first
    before: Mapping[str, tuple[str, datetime]] | None = None


async def persist_many(
    session: AsyncSession,
    workspace: Workspace,
    items: Sequence[Sprinted],
    *,
    flow_ids: Mapping[str, int],
    start_id: int | None = None,
    high_priority: bool = True,
    input_message: Message | None = None,
    channels: Sequence[Sender] | None = None,
) -> list[FlowSession]:
    """Save the sprints of several contacts at once (a batch of a flow start): every new session row in one
    statement, the sessions that were there already in one Core UPDATE (their ORM rows told the values, so a
    flush has nothing of theirs to write), the flows' counters in one UPDATE per flow, the rest in one final
    flush. See the module docstring."""
    now = clock.now()
    fresh = [item for item in items if item.row is None]
    made: dict[str, FlowSession] = {}
    if fresh:  # every new session row in one statement, back as ORM rows
        values = [
            {
                "uuid": item.session.uuid,
                "workspace_id": workspace.id,
                "contact_id": item.contact.id,
                "status": item.session.status,
                "state": item.session.to_json(),
                "current_flow_id": _waiting_flow(item.session, flow_ids),
                "sprint_uuid": item.sprint.uuid,
                "created_on": item.session.created_on,
                "modified_on": now,
                "ended_on": now if item.session.status in ENDED else None,
            }
            for item in fresh
        ]
        inserted = await session.scalars(insert(FlowSession).returning(FlowSession), values)
        made = {r.uuid: r for r in inserted}
    deltas: Counter[tuple[int, str]] = Counter()
    new_runs: list[dict[str, Any]] = []
    timers: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] | None = [] if channels is not None else None
    rows: list[FlowSession] = []
    updated: list[dict[str, Any]] = []
    # the sessions' writes, in order, sent together (``bulk.Writes``: one statement on PostgreSQL when they are
    # few); each is of distinct rows, none needs another's: timers retired, runs and sessions updated, runs and
    # timers inserted, and (when the events need no statement) the replies inserted
    writes = bulk.Writes()
    for item in items:
        es = item.session
        if item.row is None:
            row = made[es.uuid]
            new_runs.extend(_new_runs(workspace, row, es, flow_ids, start_id, deltas))
            before = False
        else:
            row = item.row
            before = row.status == "waiting"
            written = {
                "status": es.status,
                "state": es.to_json(),
                "sprint_uuid": item.sprint.uuid,
                "current_flow_id": _waiting_flow(es, flow_ids),
                "modified_on": now,
                "ended_on": now if es.status in ENDED else None,
            }
            for key, value in written.items():  # the row as the UPDATE below leaves it, with nothing to flush
                set_committed_value(row, key, value)
            updated.append({"row_id": row.id, **written})
            _retire_timers(writes, row, all_kinds=es.status != "waiting")
            if item.before is not None:
                _write_runs(workspace, row, es, item.before, flow_ids, start_id, deltas, new_runs, writes)
            else:
                await writes.send(session)  # written before anything is read
                runs = {r.uuid: r for r in await queries.session_runs(session, workspace, row.id)}
                _save_runs(session, workspace, row, es, runs, flow_ids, start_id, deltas)
        rows.append(row)
        if es.status == "waiting":
            _wait_in(item.contact, row.current_flow_id)
            timers.extend(_schedule(row, item.sprint, first_wait=item.row is None))
        elif before:
            _wait_in(item.contact, None)
    if updated:  # the sessions that were there already, in one statement (before the events: see below)
        writes.execute(_SESSION_UPDATE, updated)
    writes.insert(table_of(FlowRun), new_runs)
    writes.insert(table_of(FlowTimer), timers)
    # the runs and timers are in before the events are applied: an event may end the session (a contact the flow
    # blocks or stops), which reads them. Events that need no statement (the replies, queued to ``outbox``) are
    # applied first, and the replies go with the other writes.
    quiet = outbox is not None and all(
        apply.in_memory(item.sprint.events, routed=item.person is not None) for item in items
    )
    if not quiet:
        await writes.send(session)
    for item in items:
        await apply.apply_events(
            session,
            workspace,
            item.contact,
            item.sprint.events,
            flow_ids=flow_ids,
            run_flows={r.uuid: r.flow_uuid for r in item.session.runs},
            high_priority=high_priority,
            input_message=input_message,
            urns=item.person.urns if item.person is not None else None,
            channels=channels,
            outbox=outbox,
        )
    if outbox:
        writes.insert(table_of(Message), outbox)
    await writes.send(session)
    await flow_webhooks.record(session, workspace, _made(items, rows), flow_ids)
    await _bump_counters(session, deltas)
    await session.flush()
    return rows


def _run_flows(item: Sprinted) -> dict[str, str]:
    return {r.uuid: r.flow_uuid for r in item.session.runs}


def _made(items: Sequence[Sprinted], rows: Sequence[FlowSession]) -> list[flow_webhooks.Made]:
    return [
        flow_webhooks.Made(row.id, item.contact.id, item.sprint.events, _run_flows(item))
        for item, row in zip(items, rows, strict=True)
    ]


def _waiting_flow(es: engine.Session, flow_ids: Mapping[str, int]) -> int | None:
    waiting = es.waiting_run
    return flow_ids.get(waiting.flow_uuid) if waiting is not None else None


async def persist(
    session: AsyncSession,
    workspace: Workspace,
    contact: Contact,
    row: FlowSession | None,
    es: engine.Session,
    sprint: engine.Sprint,
    *,
    flow_ids: Mapping[str, int],
    start_id: int | None = None,
    high_priority: bool = True,
    input_message: Message | None = None,
    person: Person | None = None,
    channels: Sequence[Sender] | None = None,
    before: Mapping[str, tuple[str, datetime]] | None = None,
) -> FlowSession:
    """Save one sprint of ``contact``'s session (``row`` ``None`` for a new session): see the module docstring.
    ``person`` (its URN rows) and ``channels`` (the sending channels) route the sprint's messages without
    looking them up again."""
    (saved,) = await persist_many(
        session,
        workspace,
        [Sprinted(contact, row, es, sprint, person, before)],
        flow_ids=flow_ids,
        start_id=start_id,
        high_priority=high_priority,
        input_message=input_message,
        channels=channels,
    )
    return saved


def _trigger(
    flow: Flow, base: Mapping[str, Any] | None, params: Mapping[str, Any] | None, batch: bool
) -> dict[str, Any]:
    data: dict[str, Any] = dict(base) if base else {"type": "manual", "origin": "api"}
    data["flow"] = {"uuid": flow.uuid, "name": flow.name}
    data.setdefault("triggered_on", format_utc(clock.now()))
    if params is not None:
        data["params"] = dict(params)
    if batch:
        data["batch"] = True
    return data


async def _live_contacts(session: AsyncSession, workspace: Workspace, ids: Sequence[int]) -> list[Contact]:
    """The active contacts among ``ids`` (deleted, blocked, stopped and archived contacts start nothing)."""
    stmt = (
        scoped(Contact, workspace)
        .where(Contact.id.in_(list(ids)), Contact.is_active, Contact.status == "active")
        .order_by(Contact.id)
    )
    return list((await session.execute(stmt)).scalars())


async def start_contacts(
    session: AsyncSession,
    workspace: Workspace,
    flow: Flow,
    contact_ids: Sequence[int],
    *,
    trigger: dict[str, Any] | None = None,
    mode: str = "interrupt",
    start_id: int | None = None,
    params: dict[str, Any] | None = None,
) -> int:
    """Start ``flow`` for each of ``contact_ids`` (active contacts only) and return how many sessions began.

    ``trigger`` is the engine trigger JSON to start with (``flow`` and ``triggered_on`` are filled in; default a
    ``manual`` trigger of origin ``api``); ``params`` become ``@trigger.params``. ``mode``: ``interrupt`` ends
    each contact's waiting session first (background flows never interrupt), ``skip`` leaves contacts that wait
    in a flow alone, ``passive`` starts without touching the waiting session (unless the new one waits too).
    ``start_id`` links the new runs to their flow start. Flushes; the caller commits."""
    return await start_with_input(
        session, workspace, flow, contact_ids, trigger=trigger, mode=mode, start_id=start_id, params=params
    )


async def start_with_input(
    session: AsyncSession,
    workspace: Workspace,
    flow: Flow,
    contact_ids: Sequence[int],
    *,
    trigger: dict[str, Any] | None = None,
    mode: str = "interrupt",
    start_id: int | None = None,
    params: dict[str, Any] | None = None,
    input_message: Message | None = None,
    urns: Mapping[int, Sequence[Any]] | None = None,
) -> int:
    """:func:`start_contacts`, with the inbound message that triggered the start (``msg`` triggers), which the
    flow may label, and the URN rows of its sender in priority order when the caller read them (``urns``, by
    contact id: they are not read again)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if not flow.is_active or flow.workspace_id != workspace.id:
        return 0
    rows = await _live_contacts(session, workspace, list(dict.fromkeys(contact_ids)))
    if not rows:
        return 0
    waiting = {s.contact_id: s for s in await queries.waiting_sessions(session, workspace, [c.id for c in rows])}
    if mode == "skip":
        rows = [c for c in rows if c.id not in waiting]
    elif mode == "interrupt" and flow.type != "background" and waiting:
        await end_sessions(session, workspace, list(waiting.values()), "interrupted")
        waiting = {}
    if not rows:
        return 0
    loaded = await flow_assets.load(session, workspace, [flow])
    channels = {c.id: c for c in loaded.channels}
    found = await people(session, workspace, rows, fields=loaded.fields, channels=channels, urns=urns)
    batch = len(rows) > 1 and (trigger is None or trigger.get("type") == "manual")
    high_priority = len(rows) == 1 or (trigger is not None and trigger.get("type") == "msg")
    trigger_json = _trigger(flow, trigger, params, batch)
    parsed = Trigger.from_json(trigger_json)
    sprints: list[Sprinted] = []
    threaded = flow_webhooks.may_call(loaded.assets)
    hooks = await resthook_calls.prepare(session, workspace, loaded.assets)
    for contact in rows:
        person = found[contact.id]
        es, sprint = await flow_webhooks.sprint(
            threaded,
            engine.start,
            loaded.env,
            loaded.assets,
            person.contact,
            parsed,
            services(hooks, loaded.classifiers),
        )
        sprints.append(Sprinted(contact, None, es, sprint, person))
    saved = await persist_many(
        session,
        workspace,
        sprints,
        flow_ids=loaded.flow_ids,
        start_id=start_id,
        high_priority=high_priority,
        input_message=input_message,
        channels=loaded.channels,
    )
    if hooks is not None:
        await hooks.settle(session, [e for s in sprints for e in s.sprint.events])
    replaced = [waiting[s.contact.id] for s in sprints if s.session.status == "waiting" and s.contact.id in waiting]
    if replaced:  # a passive start whose new session waits: the older waiting session gives way
        await end_sessions(session, workspace, replaced, "interrupted")
        for item, row in zip(sprints, saved, strict=True):
            if row.status == "waiting":
                item.contact.current_flow_id = row.current_flow_id
    started = len(sprints)
    return started


def _resume_in_place(*args: Any) -> tuple[engine.Session, engine.Sprint]:
    """``engine.resume`` of a session read from its row's JSON just now, used for nothing else: no copy."""
    return engine.resume(*args, copy_session=False)


async def resume_session(
    session: AsyncSession,
    workspace: Workspace,
    row: FlowSession,
    contact: Contact,
    resume: Mapping[str, Any],
    *,
    input_message: Message | None = None,
    urns: Sequence[Any] | None = None,
) -> bool:
    """Resume the waiting session ``row`` with the engine resume JSON ``resume`` (``msg``, ``wait_timeout``,
    ``wait_expiration``). False, changing nothing, when the session no longer takes it (not waiting, or a
    resume its wait does not accept). ``urns``: the contact's URN rows in priority order, when the caller read
    them (an inbound message's sender), not read again."""
    if row.status != "waiting":
        return False
    es = engine.Session.from_json(jsonio.exact(row.state))
    before = {r.uuid: (r.status, r.modified_on) for r in es.runs}
    loaded = await flow_assets.load_uuids(session, workspace, sorted({r.flow_uuid for r in es.runs}))
    channels = {c.id: c for c in loaded.channels}
    known = {contact.id: urns} if urns is not None else None
    found = await people(session, workspace, [contact], fields=loaded.fields, channels=channels, urns=known)
    person = found[contact.id]
    hooks = await resthook_calls.prepare(session, workspace, loaded.assets)
    try:
        parsed = Resume.from_json(resume, default_time=clock.now())
        es, sprint = await flow_webhooks.sprint(
            flow_webhooks.may_call(loaded.assets),
            _resume_in_place,
            loaded.env,
            loaded.assets,
            person.contact,
            es,
            parsed,
            services(hooks, loaded.classifiers),
        )
    except engine.SessionError:
        return False
    await persist(
        session,
        workspace,
        contact,
        row,
        es,
        sprint,
        flow_ids=loaded.flow_ids,
        high_priority=True,
        input_message=input_message,
        person=person,
        channels=loaded.channels,
        before=before,
    )
    if hooks is not None:
        await hooks.settle(session, sprint.events)
    return True


async def end_sessions(session: AsyncSession, workspace: Workspace, rows: Sequence[FlowSession], status: str) -> int:
    """End sessions from outside the engine (``interrupted`` or ``expired``): their active and waiting runs end
    with ``status``, their timers are retired and their contacts wait in no flow. Returns how many ended."""
    now = clock.now()
    ended = 0
    deltas: Counter[tuple[int, str]] = Counter()
    for row in rows:
        if row.status != "waiting":
            continue
        es = engine.Session.from_json(jsonio.exact(row.state))
        for run in es.runs:
            if run.status in ("active", "waiting"):
                run.status = status
                run.exited_on = now
                run.modified_on = now
        es.status = status
        existing = {r.uuid: r for r in await queries.session_runs(session, workspace, row.id)}
        _save_runs(session, workspace, row, es, existing, {}, None, deltas)
        row.status = status
        row.state = es.to_json()
        row.current_flow_id = None
        row.modified_on = now
        row.ended_on = now
        retired = bulk.Writes()
        _retire_timers(retired, row, all_kinds=True)
        await retired.send(session)
        ended += 1
    await _bump_counters(session, deltas)
    contact_ids = sorted({r.contact_id for r in rows})
    if contact_ids:
        found = await session.execute(scoped(Contact, workspace).where(Contact.id.in_(contact_ids)))
        for contact in found.scalars():
            contact.current_flow_id = None
    await session.flush()
    return ended


async def interrupt_contacts(session: AsyncSession, workspace: Workspace, contact_ids: Sequence[int]) -> int:
    """Interrupt the waiting sessions of these contacts (a user's ``interrupt``, a contact blocked, stopped or
    deleted). Returns how many sessions were interrupted."""
    rows = await queries.waiting_sessions(session, workspace, list(dict.fromkeys(contact_ids)))
    return await end_sessions(session, workspace, rows, "interrupted")


async def contacts_in_flows(session: AsyncSession, workspace: Workspace, contact_ids: Sequence[int]) -> set[int]:
    """Which of these contacts wait in a flow."""
    if not contact_ids:
        return set()
    stmt = scoped(FlowSession, workspace, FlowSession.contact_id).where(
        FlowSession.contact_id.in_(list(contact_ids)), FlowSession.status == "waiting"
    )
    return set((await session.execute(stmt)).scalars())
