"""Recovering the claims of workers that died (their heartbeat went stale), for every kind of due work.

Each kind frees its own rows (``Kind.recover``): a claimed row that was never handled waits again. For the
outbox, a message whose provider call was in flight when its worker died (status ``sending``) is in doubt: the
provider may have it. DECISION: it is marked ``wired`` and NOT sent again (no duplicate to the contact); a
channel log says so, and a provider's status callback still moves it on. This is the at-most-once choice for
the in-flight message. A message is marked ``sending`` in a wave just before its call; on a channel sending at
its TPS limit, a marked message may still be waiting for its rate slot (at most a tenth of a second's worth of
the channel's messages): if the worker dies then, that message is in doubt too, and is not sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sauti.kit import clock
from sauti.models import Worker
from sauti.worker import claims

IN_DOUBT = "worker stopped while the provider call was in flight; not sent again to avoid a duplicate"


def kinds() -> Sequence[claims.Kind]:
    from sauti.worker.archives import ARCHIVES
    from sauti.worker.campaigns import EVENTS, FIRES
    from sauti.worker.flows import FLOW_STARTS, FLOW_TIMERS
    from sauti.worker.outbox import OUTBOX
    from sauti.worker.scheduler import BROADCASTS
    from sauti.worker.webhooks import WEBHOOKS

    return (OUTBOX, BROADCASTS, WEBHOOKS, FLOW_STARTS, FLOW_TIMERS, EVENTS, FIRES, ARCHIVES)


async def recover(sessionmaker: async_sessionmaker[AsyncSession], own_id: str, stale_after: float) -> int:
    """Free the claims of dead workers, of every kind; returns how many rows were recovered."""
    cutoff = clock.now() - timedelta(seconds=stale_after)
    async with sessionmaker() as session:
        dead = list(
            (
                await session.execute(select(Worker.id).where(Worker.heartbeat_on < cutoff, Worker.id != own_id))
            ).scalars()
        )
        live = select(Worker.id)
        total = 0
        for kind in kinds():
            if kind.recover is not None:
                total += await kind.recover(session, claims.claimed_by_dead(kind.model, dead, live))
        if dead:
            await session.execute(delete(Worker).where(Worker.id.in_(dead)))
        await session.commit()
        return total
