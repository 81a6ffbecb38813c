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
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.flows import apply, queries
from sauti.domain.flows import assets as flow_assets
from sauti.domain.flows.contacts import engine_contacts
from sauti.domain.scope import scoped
from sauti.engine import session as engine
from sauti.engine.contact import Contact as EngineContact
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


def services() -> Services:
    """The engine's services: Sauti's clock and UUIDs (swappable in tests), real randomness; no webhook
    service yet, so a webhook action records an error event and routes to its failure category."""
    return Services(now=clock.now, new_uuid=clock.new_uuid, random=_random, webhook=None)


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


async def _retire_timers(session: AsyncSession, row: FlowSession, *, all_kinds: bool) -> None:
    """The session's waiting timers are not needed any more (a new sprint, or the session ended)."""
    stmt = update(FlowTimer).where(FlowTimer.session_id == row.id, FlowTimer.status == "waiting")
    if not all_kinds:
        stmt = stmt.where(FlowTimer.kind != "session_expiration")
    await session.execute(
        stmt.values(status="skipped", modified_on=clock.now()).execution_options(synchronize_session=False)
    )


def _timer(row: FlowSession, kind: str, due_on: datetime, sprint_uuid: str | None) -> FlowTimer:
    now = clock.now()
    return FlowTimer(
        workspace_id=row.workspace_id,
        session_id=row.id,
        kind=kind,
        sprint_uuid=sprint_uuid,
        due_on=due_on,
        status="waiting",
        created_on=now,
        modified_on=now,
    )


def _schedule(session: AsyncSession, row: FlowSession, sprint: engine.Sprint, *, first_wait: bool) -> None:
    wait = next((e for e in reversed(sprint.events) if e.type == "msg_wait"), None)
    now = clock.now()
    expires_on = parse_iso(str(wait.data.get("expires_on"))) if wait is not None else None
    if expires_on is not None:
        session.add(_timer(row, "wait_expiration", expires_on, sprint.uuid))
    timeout = wait.data.get("timeout_seconds") if wait is not None else None
    if isinstance(timeout, int) and timeout > 0:
        due = now + timedelta(seconds=timeout)
        if expires_on is None or due < expires_on:
            session.add(_timer(row, "wait_timeout", due, sprint.uuid))
    if first_wait:
        session.add(_timer(row, "session_expiration", row.created_on + SESSION_EXPIRES_AFTER, None))


async def _save_runs(
    session: AsyncSession,
    workspace: Workspace,
    row: FlowSession,
    es: engine.Session,
    existing: Mapping[str, FlowRun],
    flow_ids: Mapping[str, int],
    start_id: int | None,
) -> None:
    deltas: Counter[tuple[int, str]] = Counter()
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
    await _bump_counters(session, deltas)


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
) -> FlowSession:
    """Save one sprint of ``contact``'s session (``row`` ``None`` for a new session): see the module docstring."""
    now = clock.now()
    new = row is None
    existing: dict[str, FlowRun] = {}
    if row is None:
        row = FlowSession(
            uuid=es.uuid, workspace_id=workspace.id, contact_id=contact.id, created_on=es.created_on, state={}
        )
        was_waiting = False
    else:
        existing = {r.uuid: r for r in await queries.session_runs(session, workspace, row.id)}
        was_waiting = row.status == "waiting"
    waiting_run = es.waiting_run
    row.status = es.status
    row.state = es.to_json()
    row.sprint_uuid = sprint.uuid
    row.current_flow_id = flow_ids.get(waiting_run.flow_uuid) if waiting_run is not None else None
    row.modified_on = now
    row.ended_on = now if es.status in ENDED else None
    if new:
        session.add(row)
        await session.flush()
    else:
        await _retire_timers(session, row, all_kinds=es.status != "waiting")
    await _save_runs(session, workspace, row, es, existing, flow_ids, start_id)
    if es.status == "waiting":
        contact.current_flow_id = row.current_flow_id
        _schedule(session, row, sprint, first_wait=new)
    elif was_waiting:
        contact.current_flow_id = None
    await apply.apply_events(
        session,
        workspace,
        contact,
        sprint.events,
        flow_ids=flow_ids,
        run_flows={r.uuid: r.flow_uuid for r in es.runs},
        high_priority=high_priority,
        input_message=input_message,
    )
    await session.flush()
    return row


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
    people = await engine_contacts(session, workspace, rows)
    batch = len(rows) > 1 and (trigger is None or trigger.get("type") == "manual")
    high_priority = len(rows) == 1 or (trigger is not None and trigger.get("type") == "msg")
    trigger_json = _trigger(flow, trigger, params, batch)
    parsed = Trigger.from_json(trigger_json)
    started = 0
    for contact in rows:
        es, sprint = engine.start(loaded.env, loaded.assets, people[contact.id], parsed, services())
        await persist(
            session,
            workspace,
            contact,
            None,
            es,
            sprint,
            flow_ids=loaded.flow_ids,
            start_id=start_id,
            high_priority=high_priority,
        )
        if es.status == "waiting" and contact.id in waiting:
            await end_sessions(session, workspace, [waiting[contact.id]], "interrupted")
        started += 1
    return started


async def resume_session(
    session: AsyncSession,
    workspace: Workspace,
    row: FlowSession,
    contact: Contact,
    resume: Mapping[str, Any],
    *,
    input_message: Message | None = None,
) -> bool:
    """Resume the waiting session ``row`` with the engine resume JSON ``resume`` (``msg``, ``wait_timeout``,
    ``wait_expiration``). False, changing nothing, when the session no longer takes it (not waiting, or a
    resume its wait does not accept)."""
    if row.status != "waiting":
        return False
    es = engine.Session.from_json(row.state)
    uuids = sorted({r.flow_uuid for r in es.runs})
    flows = list((await session.execute(queries.listing(workspace).where(Flow.uuid.in_(uuids)))).scalars())
    loaded = await flow_assets.load(session, workspace, flows)
    person: EngineContact = (await engine_contacts(session, workspace, [contact]))[contact.id]
    try:
        parsed = Resume.from_json(resume, default_time=clock.now())
        es, sprint = engine.resume(loaded.env, loaded.assets, person, es, parsed, services())
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
    )
    return True


async def end_sessions(session: AsyncSession, workspace: Workspace, rows: Sequence[FlowSession], status: str) -> int:
    """End sessions from outside the engine (``interrupted`` or ``expired``): their active and waiting runs end
    with ``status``, their timers are retired and their contacts wait in no flow. Returns how many ended."""
    now = clock.now()
    ended = 0
    for row in rows:
        if row.status != "waiting":
            continue
        es = engine.Session.from_json(row.state)
        for run in es.runs:
            if run.status in ("active", "waiting"):
                run.status = status
                run.exited_on = now
                run.modified_on = now
        es.status = status
        existing = {r.uuid: r for r in await queries.session_runs(session, workspace, row.id)}
        await _save_runs(session, workspace, row, es, existing, {}, None)
        row.status = status
        row.state = es.to_json()
        row.current_flow_id = None
        row.modified_on = now
        row.ended_on = now
        await _retire_timers(session, row, all_kinds=True)
        ended += 1
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
