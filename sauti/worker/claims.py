"""The one way due work is claimed: rows with a due time, taken in batches by a worker, never twice.

A *kind* of work (sending messages, expanding broadcasts, and later flow timers, campaign fires, webhook
deliveries) is a table whose rows wait for a worker. It says which of its rows are waiting (``waiting``: the
predicate of its partial index, which always includes ``claimed_by IS NULL``), which of those are due by now
(``due``), in what order they go (``order``, which the index serves), which column shares the work out fairly
(``partition``: a channel, a workspace), and in which *lanes* it is taken (replies before bulk). This module
holds everything else, once:

- :func:`partitions` finds the partition values that have waiting rows by walking the partial index (a loose
  index scan: one probe per value, whatever the backlog);
- :func:`claim` takes up to ``limit`` due rows of one partition, lane after lane, and marks them with the
  worker's id in the same statement (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers take
  different rows; SQLite has a single writer, so the statement alone is enough);
- :func:`release` gives back claims a worker did not finish, :func:`fail` marks rows that could not be
  processed as failed with a reason, and :func:`run_isolated` turns a handler error into exactly that, row by
  row, so one bad row never stops the others;
- recovery of a dead worker's claims is per kind (``recover``) and run by ``worker/recovery.py``.

A claim costs what its batch costs: every statement here is a range of the kind's partial index.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sauti.kit import clock
from sauti.worker.failures import describe

log = logging.getLogger("sauti.worker")


@dataclass(frozen=True)
class Kind:
    """A kind of due work: see the module docstring. ``failed`` holds the column values that mark a row failed
    (the reason goes to ``failure``); ``recover`` frees the claims of dead workers (the condition selects them)
    and returns how many rows it touched."""

    name: str
    model: Any
    waiting: ColumnElement[bool]
    due: Callable[[datetime], ColumnElement[bool]]
    order: tuple[Any, ...]
    partition: Any
    lanes: tuple[ColumnElement[bool], ...] = field(default_factory=lambda: (true(),))
    failed: Mapping[str, Any] = field(default_factory=lambda: {"status": "failed"})
    recover: Callable[[AsyncSession, ColumnElement[bool]], Awaitable[int]] | None = None


async def partitions(session: AsyncSession, kind: Kind) -> list[Any]:
    """The partition values with waiting rows, smallest first, in one probe of the partial index per value."""
    column = kind.partition
    first = select(func.min(column).label("value")).where(kind.waiting)
    walk = first.cte("partitions", recursive=True)
    following = (
        select(select(func.min(column)).where(kind.waiting, column > walk.c.value).scalar_subquery())
        .select_from(walk)
        .where(walk.c.value.is_not(None))
    )
    walk = walk.union_all(following)
    rows = await session.execute(select(walk.c.value).where(walk.c.value.is_not(None)))
    return [value for (value,) in rows]


def pick(kind: Kind, partition: Any, lane: ColumnElement[bool], now: datetime, limit: int) -> Any:
    """The select of one lane's due rows of one partition, in order: one range of the partial index."""
    model = kind.model
    return (
        select(model.id)
        .where(kind.waiting, kind.partition == partition, lane, kind.due(now))
        .order_by(*kind.order)
        .limit(limit)
    )


async def any_due(session: AsyncSession, kind: Kind, partition: Any, lane: ColumnElement[bool]) -> bool:
    """Whether one lane of ``partition`` has a due row nobody claimed (one probe of the partial index)."""
    found = await session.execute(pick(kind, partition, lane, clock.now(), 1))
    return found.first() is not None


async def claim(
    session: AsyncSession,
    kind: Kind,
    worker_id: str,
    partition: Any,
    limit: int,
    dialect: str,
    lanes: Sequence[ColumnElement[bool]] | None = None,
) -> list[int]:
    """Claim up to ``limit`` due rows of ``partition`` for ``worker_id`` (lanes in order: the kind's, or
    ``lanes``), returning their ids in the order they should be handled. The caller commits."""
    model = kind.model
    now = clock.now()
    taken: list[int] = []
    for lane in kind.lanes if lanes is None else lanes:
        if len(taken) >= limit:
            break
        chosen = pick(kind, partition, lane, now, limit - len(taken))
        if dialect == "postgresql":
            chosen = chosen.with_for_update(skip_locked=True)
        rows = await session.execute(
            update(model)
            .where(model.id.in_(chosen.scalar_subquery()), model.claimed_by.is_(None))
            .values(claimed_by=worker_id)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
        ids = set(rows.scalars())
        if ids:  # RETURNING gives no order: read it back from the lane's own order
            ordered = await session.execute(select(model.id).where(model.id.in_(ids)).order_by(*kind.order))
            taken.extend(ordered.scalars())
    return taken


async def release(session: AsyncSession, kind: Kind, ids: Sequence[int], worker_id: str) -> None:
    """Give back claims this worker holds and did not finish (the rows wait again)."""
    if ids:
        model = kind.model
        await session.execute(
            update(model)
            .where(model.id.in_(list(ids)), model.claimed_by == worker_id)
            .values(claimed_by=None)
            .execution_options(synchronize_session=False)
        )


async def fail(
    sessionmaker: async_sessionmaker[AsyncSession], kind: Kind, ids: Sequence[int], worker_id: str, reason: str
) -> None:
    """Mark rows this worker holds as failed, saying why; a database that fails here too is logged, and the
    claims are recovered once this worker is gone."""
    model = kind.model
    values = {**kind.failed, "failure": reason, "claimed_by": None}
    if hasattr(model, "modified_on"):
        values["modified_on"] = clock.now()
    try:
        async with sessionmaker() as session:
            await session.execute(
                update(model)
                .where(model.id.in_(list(ids)), model.claimed_by == worker_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
    except Exception:
        log.exception("%s: could not mark %s failed", kind.name, list(ids))


async def each_partition(
    sessionmaker: async_sessionmaker[AsyncSession], kind: Kind, worker_id: str, limit: int, dialect: str
) -> AsyncIterator[list[int]]:
    """A round of ``kind``: for each partition with waiting rows, the ids of up to ``limit`` due rows claimed
    (and committed) for ``worker_id``; partitions with nothing due are passed over. Handle each batch (through
    :func:`run_isolated`) before asking for the next."""
    async with sessionmaker() as session:
        values = await partitions(session, kind)
    for value in values:
        async with sessionmaker() as session:
            ids = await claim(session, kind, worker_id, value, limit, dialect)
            await session.commit()
        if ids:
            yield list(ids)


async def run_isolated(
    sessionmaker: async_sessionmaker[AsyncSession],
    kind: Kind,
    worker_id: str,
    ids: Sequence[int],
    handle: Callable[[Sequence[int]], Awaitable[None]],
) -> None:
    """Handle a claimed batch; if the batch fails, handle its rows one by one, and mark each row that still
    fails as failed with the reason. Nothing a row does stops the loop."""
    try:
        await handle(ids)
        return
    except Exception as exc:
        if len(ids) == 1:
            log.exception("%s: row %s could not be processed; marked failed", kind.name, ids[0])
            await fail(sessionmaker, kind, ids, worker_id, describe(exc))
            return
        log.exception("%s: a batch of %d failed; handling its rows one by one", kind.name, len(ids))
    for one in ids:
        try:
            await handle([one])
        except Exception as exc:
            log.exception("%s: row %s could not be processed; marked failed", kind.name, one)
            await fail(sessionmaker, kind, [one], worker_id, describe(exc))


def claimed_by_dead(model: Any, dead: Sequence[str], live: Any) -> ColumnElement[bool]:
    """Rows claimed by a dead worker, or by a worker that no longer has a row at all."""
    orphaned = and_(model.claimed_by.is_not(None), model.claimed_by.not_in(live))
    return orphaned | model.claimed_by.in_(list(dead)) if dead else orphaned
