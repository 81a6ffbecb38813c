"""Recovering the claims of workers that died (their heartbeat went stale).

A claimed message that was never attempted goes back to the queue. A message whose provider call was in
flight when its worker died (status ``sending``) is in doubt: the provider may have it. DECISION: it is marked
``wired`` and NOT sent again (no duplicate to the contact); a channel log says so, and a provider's status
callback still moves it on. This is the at-most-once choice for the single in-flight message.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sauti.domain.channels import logs
from sauti.kit import clock
from sauti.models import Channel, Message, Worker

IN_DOUBT = "worker stopped while the provider call was in flight; not sent again to avoid a duplicate"


async def recover(sessionmaker: async_sessionmaker[AsyncSession], own_id: str, stale_after: float) -> int:
    """Free the claims of dead workers; returns how many messages were recovered."""
    cutoff = clock.now() - timedelta(seconds=stale_after)
    async with sessionmaker() as session:
        dead = list(
            (
                await session.execute(select(Worker.id).where(Worker.heartbeat_on < cutoff, Worker.id != own_id))
            ).scalars()
        )
        live = select(Worker.id)
        orphaned = and_(Message.claimed_by.is_not(None), Message.claimed_by.not_in(live))
        claimed = Message.claimed_by.in_(dead) if dead else None
        cond = orphaned if claimed is None else (orphaned | claimed)
        doubtful = list((await session.execute(select(Message).where(cond, Message.status == "sending"))).scalars())
        now = clock.now()
        for message in doubtful:
            message.status = "wired"
            message.sent_on = message.sent_on or now
            message.modified_on = now
            message.claimed_by = None
            channel = await session.get(Channel, message.channel_id) if message.channel_id else None
            logs.record(session, channel, "msg_send", [], [{"code": "in_doubt", "message": IN_DOUBT}], message.id)
        freed = await session.execute(
            update(Message).where(cond, Message.status.in_(("queued", "errored"))).values(claimed_by=None)
        )
        if dead:
            await session.execute(delete(Worker).where(Worker.id.in_(dead)))
        await session.commit()
        return len(doubtful) + int(freed.rowcount or 0)  # type: ignore[attr-defined]
