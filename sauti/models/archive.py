"""Archives: gzipped JSON Lines files of a workspace's old messages or runs, one file per day or month.

The row is the job: the archive round plans one ``pending`` row per (type, period, start date) that is due (the
unique key makes planning idempotent: a period is archived once), and a worker claims pending rows through
``worker/claims.py`` and writes their files (``archive_waiting``). A written archive is ``ready`` with its
record count, size and MD5 hex ``hash`` of the gzipped file; ``path`` is relative to the data dir (``None``
for an empty archive, which has no file). A daily archive rolled into a monthly one points at it
(``rollup_id``) and is no longer listed. ``deleted_on`` is set once the archived rows were removed from the
live tables (``SAUTI_ARCHIVE_DELETE``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    column,
)
from sqlalchemy.orm import Mapped, mapped_column

from sauti.db.base import Base, UTCDateTime
from sauti.models.message import _columns, _constant
from sauti.models.types import BigID


def archive_waiting(table: Any = None) -> ColumnElement[bool]:
    """Archives whose file is still to be written: the predicate of their partial index, and of every claim."""
    status, claimed_by = _columns(table, "status", "claimed_by")
    return and_(status == _constant("pending"), claimed_by.is_(None))


class Archive(Base):
    __tablename__ = "archives"
    __table_args__ = (
        UniqueConstraint("workspace_id", "archive_type", "period", "start_date", name="uq_archives_period"),
        Index("ix_archives_ws_start", "workspace_id", "start_date", "id"),
        Index(
            "ix_archives_waiting",
            "workspace_id",
            "start_date",
            "id",
            postgresql_where=archive_waiting(),
            sqlite_where=archive_waiting(),
        ),
        Index(
            "ix_archives_claims",
            "claimed_by",
            postgresql_where=column("claimed_by").is_not(None),
            sqlite_where=column("claimed_by").is_not(None),
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    archive_type: Mapped[str] = mapped_column(String(8))  # message | run
    period: Mapped[str] = mapped_column(String(8))  # daily | monthly
    start_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending | ready | failed
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str | None] = mapped_column(String(32), nullable=True)  # MD5 hex of the gzipped file
    path: Mapped[str | None] = mapped_column(String(512), nullable=True)  # under the data dir
    rollup_id: Mapped[int | None] = mapped_column(ForeignKey("archives.id", ondelete="SET NULL"), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)
    deleted_on: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_on: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_on: Mapped[datetime] = mapped_column(UTCDateTime)
