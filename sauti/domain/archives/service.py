"""Archives of old messages and runs: planning which periods are due, writing their files, and removing what
was archived from the live tables.

An archive covers one UTC day (``daily``) or one UTC month (``monthly``) of one type of record (DECISION: days
are UTC days, whatever the workspace's timezone, so an archive's period reads the same everywhere), keyed by the
record's ``created_on``:

- ``message``: every message of the workspace created that day;
- ``run``: every run created that day that has ended (DECISION: a run still active or waiting is not archived,
  so a conversation in progress is never cut from the live tables; a run of that day that ends later is not in
  any archive).

:func:`plan` adds a ``pending`` archive row for each complete day older than ``after_days`` (from the day of the
oldest record on) and for each complete month whose days are all archived; the unique key on (workspace, type,
period, start date) makes planning idempotent, so running it again, or on two workers at once, plans nothing
twice. :func:`write` writes one pending archive: a daily one from the live rows, a monthly one by rolling up the
month's daily files (the live rows may be gone by then), after which the daily archives are hidden from the
listing (``rollup_id``). Files are gzipped JSON Lines, one record per line in the shape the caller's
``render`` gives (the API's own), written with a fixed gzip header time so the same records give the same
bytes; ``hash`` is the MD5 hex digest of the gzipped file (what RapidPro exposes), ``size`` its length in bytes.
An archive with no records has no file (``path``, ``hash`` null).

With ``delete`` (``SAUTI_ARCHIVE_DELETE``, off by default) a daily archive's rows are removed from the live
tables in the same transaction that marks it written: exactly the rows whose lines are in the file.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import orjson
from sqlalchemy import delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.kit import clock
from sauti.models import Archive, FlowRun, Message, MessageLabel, Workspace

__all__ = ["BATCH", "Render", "plan", "write"]

Render = Callable[[AsyncSession, Workspace, Sequence[Any]], Awaitable[list[dict[str, Any]]]]
"""Turns a batch of rows (messages or runs) into their records, with a fixed number of queries."""

BATCH: Final = 500  # rows rendered and written at a time
MAX_PLANNED: Final = 1000  # days planned per workspace, type and round (a long backlog takes a few rounds)
FOLDER: Final = "archives"
ENDED: Final = ("completed", "interrupted", "expired", "failed")


def _model(archive_type: str) -> Any:
    return Message if archive_type == "message" else FlowRun


def _records(workspace: Workspace | int, archive_type: str) -> Any:
    """The select of a type's archivable rows."""
    model = _model(archive_type)
    stmt = scoped(model, workspace)
    if archive_type == "run":
        stmt = stmt.where(FlowRun.status.in_(ENDED))
    return stmt


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


async def _insert_pending(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(
        insert(Archive)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["workspace_id", "archive_type", "period", "start_date"])
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _row(workspace: Workspace, archive_type: str, period: str, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    return {
        "uuid": clock.new_uuid(),
        "workspace_id": workspace.id,
        "archive_type": archive_type,
        "period": period,
        "start_date": day,
        "status": "pending",
        "record_count": 0,
        "size": 0,
        "created_on": now,
        "modified_on": now,
    }


async def plan(session: AsyncSession, workspace: Workspace, after_days: int) -> int:
    """Add the pending archives that are due for the workspace; how many were added. Flushes."""
    now = clock.now()
    cutoff = now.date() - dt.timedelta(days=after_days)  # days before this one are complete and old enough
    added = 0
    for archive_type in ("message", "run"):
        model = _model(archive_type)
        oldest = (
            await session.execute(
                _records(workspace, archive_type)
                .with_only_columns(func.min(model.created_on))
                .where(model.created_on < _day_start(cutoff))
            )
        ).scalar()
        dailies = scoped(Archive, workspace).where(Archive.archive_type == archive_type, Archive.period == "daily")
        if oldest is not None:
            first = (oldest if oldest.tzinfo is None else oldest.astimezone(dt.UTC)).date()
            have = set(
                (
                    await session.execute(
                        dailies.with_only_columns(Archive.start_date).where(Archive.start_date >= first)
                    )
                ).scalars()
            )
            days = (first + dt.timedelta(days=n) for n in range((cutoff - first).days))
            missing = [d for d in days if d not in have][:MAX_PLANNED]
            added += await _insert_pending(session, [_row(workspace, archive_type, "daily", d, now) for d in missing])
        # a month is rolled up once each of its days (from the first archived day on) has a written daily archive
        by_month: dict[dt.date, list[tuple[dt.date, str, int | None]]] = {}
        for day, status, rollup in await session.execute(
            dailies.with_only_columns(Archive.start_date, Archive.status, Archive.rollup_id)
        ):
            by_month.setdefault(day.replace(day=1), []).append((day, status, rollup))
        if not by_month:
            continue
        monthlies = set(
            (
                await session.execute(
                    scoped(Archive, workspace, Archive.start_date).where(
                        Archive.archive_type == archive_type, Archive.period == "monthly"
                    )
                )
            ).scalars()
        )
        start = min(d for items in by_month.values() for d, _, _ in items)
        due = []
        for month, items in by_month.items():
            end = _next_month(month)
            if month in monthlies or end > cutoff:
                continue
            needed = (end - max(month, start)).days
            if sum(1 for _, status, _ in items if status == "ready") == needed:
                due.append(month)
        added += await _insert_pending(session, [_row(workspace, archive_type, "monthly", m, now) for m in due])
    await session.flush()
    return added


def _relative(workspace: Workspace, archive: Archive) -> str:
    name = f"{archive.archive_type}-{archive.period}-{archive.start_date.isoformat()}-{archive.uuid}.jsonl.gz"
    return f"{FOLDER}/{workspace.uuid}/{name}"


class _Writer:
    """A gzipped JSON Lines file written under a temporary name and moved in place when complete."""

    def __init__(self, data_dir: Path, relative: str) -> None:
        self.final = data_dir / relative
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.partial = self.final.with_name(self.final.name + ".partial")
        self._raw = self.partial.open("wb")
        self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
        self.count = 0

    def line(self, data: bytes) -> None:
        self._gz.write(data if data.endswith(b"\n") else data + b"\n")
        self.count += 1

    def records(self, records: Sequence[Mapping[str, Any]]) -> None:
        for record in records:
            self.line(orjson.dumps(record))

    def finish(self) -> tuple[int, str]:
        """Close and move the file in place; its size and MD5 hex digest."""
        self._gz.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self.partial, self.final)
        digest = hashlib.md5(usedforsecurity=False)
        with self.final.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                digest.update(chunk)
        return self.final.stat().st_size, digest.hexdigest()

    def abandon(self) -> None:
        self._gz.close()
        self._raw.close()
        self.partial.unlink(missing_ok=True)


async def _write_daily(
    session: AsyncSession, workspace: Workspace, archive: Archive, writer: _Writer, render: Render
) -> list[int]:
    model = _model(archive.archive_type)
    start = _day_start(archive.start_date)
    stmt = _records(workspace, archive.archive_type).where(
        model.created_on >= start, model.created_on < start + dt.timedelta(days=1)
    )
    ids: list[int] = []
    last = 0
    while True:
        batch = list((await session.execute(stmt.where(model.id > last).order_by(model.id).limit(BATCH))).scalars())
        if not batch:
            return ids
        writer.records(await render(session, workspace, batch))
        ids += [r.id for r in batch]
        last = batch[-1].id


async def _write_monthly(
    session: AsyncSession, workspace: Workspace, archive: Archive, writer: _Writer, data_dir: Path
) -> None:
    end = _next_month(archive.start_date)
    dailies = list(
        (
            await session.execute(
                scoped(Archive, workspace)
                .where(
                    Archive.archive_type == archive.archive_type,
                    Archive.period == "daily",
                    Archive.status == "ready",
                    Archive.start_date >= archive.start_date,
                    Archive.start_date < end,
                )
                .order_by(Archive.start_date)
            )
        ).scalars()
    )
    for daily in dailies:
        if daily.path is not None:
            with gzip.open(data_dir / daily.path, "rb") as f:
                for line in f:
                    writer.line(line)
        daily.rollup_id = archive.id
        daily.modified_on = clock.now()


async def _delete(session: AsyncSession, workspace: Workspace, archive_type: str, ids: list[int]) -> None:
    for n in range(0, len(ids), BATCH):
        chunk = ids[n : n + BATCH]
        if archive_type == "message":
            await session.execute(delete(MessageLabel).where(MessageLabel.message_id.in_(chunk)))
        model = _model(archive_type)
        await session.execute(
            delete(model)
            .where(model.workspace_id == workspace.id, model.id.in_(chunk))
            .execution_options(synchronize_session=False)
        )


async def write(
    session: AsyncSession,
    workspace: Workspace,
    archive: Archive,
    data_dir: Path,
    render: Mapping[str, Render],
    delete_rows: bool = False,
) -> Archive:
    """Write a pending archive's file and mark it ready (and, for a daily one with ``delete_rows``, remove its
    rows from the live tables). Flushes; the caller commits. A failure leaves no file behind."""
    relative = _relative(workspace, archive)
    writer = _Writer(data_dir, relative)
    ids: list[int] = []
    try:
        if archive.period == "daily":
            ids = await _write_daily(session, workspace, archive, writer, render[archive.archive_type])
        else:
            await _write_monthly(session, workspace, archive, writer, data_dir)
        count = writer.count
        size, digest = writer.finish()
    except BaseException:
        writer.abandon()
        raise
    if count == 0:
        writer.final.unlink(missing_ok=True)
        archive.path, archive.size, archive.hash = None, 0, None
    else:
        archive.path, archive.size, archive.hash = relative, size, digest
    archive.record_count = count
    archive.status = "ready"
    archive.claimed_by = None
    archive.failure = None
    archive.modified_on = clock.now()
    if delete_rows and ids:
        await _delete(session, workspace, archive.archive_type, ids)
        archive.deleted_on = archive.modified_on
    await session.flush()
    return archive


async def release(session: AsyncSession, dead: Any) -> int:
    """A dead worker's archives wait again (its transaction never committed; a partial file is overwritten)."""
    result = await session.execute(
        update(Archive)
        .where(dead, Archive.status == "pending")
        .values(claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
