"""Flow work that comes due: flow starts to expand, and the timers of waiting sessions.

- **Flow starts** (``FLOW_STARTS``): the first due start of every workspace is claimed each round and moved one
  step (``domain/flows/starts.expand``: counting, then one batch of sessions per round), so a start to 100,000
  contacts never holds up another workspace's start of one.
- **Flow timers** (``FLOW_TIMERS``): due timers are claimed in batches per workspace and fired one by one, each
  in its own transaction: a wait timeout resumes the session with ``wait_timeout``, a wait expiration with
  ``wait_expiration`` (its waiting run ends ``expired``), a session expiration ends the session ``expired``.
  A timer whose sprint is not the session's current one, or whose session no longer waits, is ``skipped``.

A row whose handling raises is marked ``failed`` with the reason (``claims.run_isolated``); the others go on.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sauti.domain.flows import runner, starts
from sauti.kit import clock
from sauti.kit.timefmt import format_utc
from sauti.models import Contact, FlowSession, FlowStart, FlowTimer, Workspace
from sauti.models.flow import start_waiting, timer_waiting
from sauti.worker import claims

TIMER_BATCH = 100  # per workspace per round


async def _release_dead_starts(session: AsyncSession, dead: ColumnElement[bool]) -> int:
    """A dead worker's starts wait again: expansion resumes after the last contact it recorded."""
    result = await session.execute(
        update(FlowStart)
        .where(dead)
        .values(claimed_by=None, claimed_on=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _release_dead_timers(session: AsyncSession, dead: ColumnElement[bool]) -> int:
    """A dead worker's timers wait again (firing one twice is harmless: the second finds its sprint stale)."""
    result = await session.execute(
        update(FlowTimer)
        .where(dead, FlowTimer.status == "waiting")
        .values(claimed_by=None, claimed_on=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


FLOW_STARTS = claims.Kind(
    name="flow_starts",
    model=FlowStart,
    waiting=start_waiting(FlowStart),
    due=lambda now: FlowStart.created_on <= now,
    order=(FlowStart.created_on, FlowStart.id),
    partition=FlowStart.workspace_id,
    recover=_release_dead_starts,
)

FLOW_TIMERS = claims.Kind(
    name="flow_timers",
    model=FlowTimer,
    waiting=timer_waiting(FlowTimer),
    due=lambda now: FlowTimer.due_on <= now,
    order=(FlowTimer.due_on, FlowTimer.id),
    partition=FlowTimer.workspace_id,
    recover=_release_dead_timers,
)


async def expand_starts(sessionmaker: async_sessionmaker[AsyncSession], dialect: str, worker_id: str) -> int:
    """Move the first due start of every workspace one step; returns how much was done (0: nothing due)."""
    done = 0
    async for ids in claims.each_partition(sessionmaker, FLOW_STARTS, worker_id, 1, dialect):
        progress: list[int] = []

        async def handle(batch: Sequence[int], progress: list[int] = progress) -> None:
            async with sessionmaker() as session:
                found = await session.execute(
                    select(FlowStart).where(FlowStart.id.in_(list(batch)), FlowStart.claimed_by == worker_id)
                )
                for start in found.scalars():
                    start.claimed_on = clock.now()
                    progress.append(max(await starts.expand(session, start), 1))
                    start.claimed_by = None  # the next step is claimed afresh (by any worker)
                    start.claimed_on = None
                await session.commit()

        await claims.run_isolated(sessionmaker, FLOW_STARTS, worker_id, ids, handle)
        done += sum(progress) or len(ids)
    return done


async def fire(session: AsyncSession, timer: FlowTimer) -> str:
    """Fire one timer; returns what became of it (``fired`` or ``skipped``)."""
    row = await session.get(FlowSession, timer.session_id, with_for_update=True)
    workspace = await session.get(Workspace, timer.workspace_id)
    stale = (
        row is None
        or workspace is None
        or row.status != "waiting"
        or (timer.sprint_uuid is not None and timer.sprint_uuid != row.sprint_uuid)
    )
    outcome = "skipped"
    if not stale:
        assert row is not None and workspace is not None
        if timer.kind == "session_expiration":
            await runner.end_sessions(session, workspace, [row], "expired")
            outcome = "fired"
        else:
            contact = await session.get(Contact, row.contact_id)
            kind = "wait_timeout" if timer.kind == "wait_timeout" else "wait_expiration"
            event = "wait_timed_out" if kind == "wait_timeout" else "wait_expired"
            now = format_utc(clock.now())
            resume = {
                "type": kind,
                "event": {"uuid": clock.new_uuid(), "type": event, "created_on": now},
                "resumed_on": now,
            }
            if contact is not None and await runner.resume_session(session, workspace, row, contact, resume):
                outcome = "fired"
    timer.status = outcome
    timer.claimed_by = None
    timer.claimed_on = None
    timer.modified_on = clock.now()
    return outcome


async def fire_due(sessionmaker: async_sessionmaker[AsyncSession], dialect: str, worker_id: str) -> int:
    """Claim a batch of due timers per workspace and fire each in its own transaction; returns how many."""
    handled = 0
    async for ids in claims.each_partition(sessionmaker, FLOW_TIMERS, worker_id, TIMER_BATCH, dialect):

        async def one(batch: Sequence[int]) -> None:
            for timer_id in batch:
                async with sessionmaker() as session:
                    timer = await session.get(FlowTimer, timer_id)
                    if timer is None or timer.claimed_by != worker_id:
                        continue
                    await fire(session, timer)
                    await session.commit()

        for timer_id in ids:
            await claims.run_isolated(sessionmaker, FLOW_TIMERS, worker_id, [timer_id], one)
        handled += len(ids)
    return handled
