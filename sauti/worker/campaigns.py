"""Campaign work, two kinds of due rows (``worker/claims.py``):

- ``campaign_events``: an event whose schedule changed waits (status ``scheduling``) until a worker writes the
  fires of its campaign's whole group in bulk (``domain/campaigns/fires.schedule``), one event per workspace per
  round, in one transaction; the event is then ``ready``.
- ``campaign_fires``: fires whose time has come are claimed in batches per workspace and carried out
  (``fires.carry_out``): stale ones skipped, message events queued as one broadcast per event and batch, flow
  events started in their start mode. A batch that fails is retried row by row; a row that still fails is marked
  failed with the reason, and the loop goes on.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sauti.domain.campaigns import fires
from sauti.models import CampaignEvent, CampaignFire
from sauti.models.campaign import event_waiting, fire_waiting
from sauti.worker import claims

FIRE_BATCH = 5000  # fires per workspace per round, carried out in one transaction


async def _release_dead_events(session: AsyncSession, dead: ColumnElement[bool]) -> int:
    """A dead worker's event waits again: scheduling starts over (it drops the event's pending fires first)."""
    result = await session.execute(
        update(CampaignEvent).where(dead).values(claimed_by=None).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _release_dead_fires(session: AsyncSession, dead: ColumnElement[bool]) -> int:
    """A dead worker's fires wait again. Its transaction never committed, so none of them was carried out."""
    result = await session.execute(
        update(CampaignFire)
        .where(dead, CampaignFire.status == "pending")
        .values(claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


EVENTS = claims.Kind(
    name="campaign_events",
    model=CampaignEvent,
    waiting=event_waiting(CampaignEvent),
    due=lambda now: true(),
    order=(CampaignEvent.modified_on, CampaignEvent.id),
    partition=CampaignEvent.workspace_id,
    recover=_release_dead_events,
)

FIRES = claims.Kind(
    name="campaign_fires",
    model=CampaignFire,
    waiting=fire_waiting(CampaignFire),
    due=lambda now: CampaignFire.fire_on <= now,
    order=(CampaignFire.fire_on, CampaignFire.id),
    partition=CampaignFire.workspace_id,
    recover=_release_dead_fires,
)


async def schedule_events(sessionmaker: async_sessionmaker[AsyncSession], dialect: str, worker_id: str) -> int:
    """Schedule the first waiting event of every workspace that has one; returns how many were scheduled."""
    done = 0
    async for ids in claims.each_partition(sessionmaker, EVENTS, worker_id, 1, dialect):

        async def handle(batch: Sequence[int]) -> None:
            async with sessionmaker() as session:
                found = await session.execute(
                    select(CampaignEvent).where(
                        CampaignEvent.id.in_(list(batch)), CampaignEvent.claimed_by == worker_id
                    )
                )
                for event in found.scalars():
                    await fires.schedule(session, event)
                await session.commit()

        await claims.run_isolated(sessionmaker, EVENTS, worker_id, ids, handle)
        done += len(ids)
    return done


async def fire_due(sessionmaker: async_sessionmaker[AsyncSession], dialect: str, worker_id: str) -> int:
    """Carry out a batch of due fires per workspace; returns how many fires were handled."""
    done = 0
    async for ids in claims.each_partition(sessionmaker, FIRES, worker_id, FIRE_BATCH, dialect):

        async def handle(batch: Sequence[int]) -> None:
            async with sessionmaker() as session:
                rows = await session.execute(
                    select(
                        CampaignFire.id, CampaignFire.event_id, CampaignFire.contact_id, CampaignFire.fire_version
                    ).where(CampaignFire.id.in_(list(batch)), CampaignFire.claimed_by == worker_id)
                )
                due = [fires.DueFire(*row) for row in rows]
                await fires.carry_out(session, due, send=fires.send_message, start=fires.start_flow)
                await session.commit()

        await claims.run_isolated(sessionmaker, FIRES, worker_id, ids, handle)
        done += len(ids)
    return done
