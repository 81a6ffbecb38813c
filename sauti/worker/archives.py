"""Archives, a kind of due work (``worker/claims.py``): an archive row is the job of writing its file.

DECISION: a due kind rather than a bare periodic round. A round has two steps: every ``archive_plan_every``
seconds (an hour by default; always when ``plan`` is forced, as ``sauti archive run`` does) the worker plans the
archives that became due in each workspace (``domain/archives/service.plan``: pending rows, idempotent through
their unique key), and on every round it claims pending archives, one per workspace, and writes them. So two
workers never write the same file, a dead worker's claim is recovered like any other, and an archive that fails
is marked failed with the reason while the loop goes on.

The records are rendered by the API v2 dialect's own code (``api/rapidpro/archives.RECORDS``: what
``messages.json`` and ``runs.json`` render), since an archive's lines are in that API's shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sauti.domain.archives import service
from sauti.models import Archive, Workspace
from sauti.models.archive import archive_waiting
from sauti.settings import Settings
from sauti.worker import claims


class _WorkerLike(Protocol):
    id: str
    dialect: str
    settings: Settings


ARCHIVES = claims.Kind(
    name="archives",
    model=Archive,
    waiting=archive_waiting(Archive),
    due=lambda now: true(),
    order=(Archive.start_date, Archive.id),
    partition=Archive.workspace_id,
    recover=service.release,
)


async def plan_all(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Plan the due archives of every workspace, one transaction each; how many were planned."""
    async with sessionmaker() as session:
        ids = list((await session.execute(select(Workspace.id).order_by(Workspace.id))).scalars())
    planned = 0
    for ws_id in ids:
        async with sessionmaker() as session:
            ws = await session.get(Workspace, ws_id)
            if ws is None:
                continue
            planned += await service.plan(session, ws, settings.archive_after_days)
            await session.commit()
    return planned


async def write_due(
    sessionmaker: async_sessionmaker[AsyncSession], dialect: str, worker_id: str, settings: Settings
) -> int:
    """Claim one pending archive per workspace and write it; returns how many were handled."""
    from sauti.api.rapidpro.archives import RECORDS

    done = 0
    async for ids in claims.each_partition(sessionmaker, ARCHIVES, worker_id, 1, dialect):

        async def handle(batch: Sequence[int]) -> None:
            async with sessionmaker() as session:
                for archive in await _claimed(session, batch, worker_id):
                    ws = await session.get(Workspace, archive.workspace_id)
                    assert ws is not None
                    await service.write(
                        session, ws, archive, Path(settings.data_dir), RECORDS, delete_rows=settings.archive_delete
                    )
                await session.commit()

        await claims.run_isolated(sessionmaker, ARCHIVES, worker_id, ids, handle)
        done += len(ids)
    return done


async def _claimed(session: AsyncSession, ids: Sequence[int], worker_id: str) -> list[Archive]:
    stmt = select(Archive).where(Archive.id.in_(list(ids)), Archive.claimed_by == worker_id)
    return list((await session.execute(stmt)).scalars())


async def run_round(
    sessionmaker: async_sessionmaker[AsyncSession], dialect: str, worker_id: str, settings: Settings, plan: bool
) -> int:
    """One round: plan when asked, then write what is pending. Returns the work done (0: idle)."""
    planned = await plan_all(sessionmaker, settings) if plan else 0
    return planned + await write_due(sessionmaker, dialect, worker_id, settings)


async def run_now(sessionmaker: async_sessionmaker[AsyncSession], worker: _WorkerLike, workspace_id: int) -> int:
    """Plan and write one workspace's due archives until none is left (``sauti archive run``); how many were
    written. ``worker`` is a live worker (its heartbeat keeps its claims from being recovered meanwhile)."""
    async with sessionmaker() as session:
        ws = await session.get(Workspace, workspace_id)
        assert ws is not None
        await service.plan(session, ws, worker.settings.archive_after_days)
        await session.commit()
    written = 0
    while True:
        async with sessionmaker() as session:
            ids = await claims.claim(session, ARCHIVES, worker.id, workspace_id, 1, worker.dialect)
            await session.commit()
        if not ids:
            # writing dailies may complete a month: plan again, and stop once nothing more is due
            async with sessionmaker() as session:
                ws = await session.get(Workspace, workspace_id)
                assert ws is not None
                planned = await service.plan(session, ws, worker.settings.archive_after_days)
                await session.commit()
            if not planned:
                return written
            continue
        from sauti.api.rapidpro.archives import RECORDS

        async def handle(batch: Sequence[int]) -> None:
            async with sessionmaker() as session:
                for archive in await _claimed(session, batch, worker.id):
                    found = await session.get(Workspace, archive.workspace_id)
                    assert found is not None
                    await service.write(
                        session,
                        found,
                        archive,
                        Path(worker.settings.data_dir),
                        RECORDS,
                        delete_rows=worker.settings.archive_delete,
                    )
                await session.commit()

        await claims.run_isolated(sessionmaker, ARCHIVES, worker.id, ids, handle)
        written += len(ids)
