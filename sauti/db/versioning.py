"""The workspace's assets version: moved in the same transaction as every write to what the flow engine reads.

What a sprint runs with (flows as read, fields, groups, labels, sending channels, globals, triggers) is kept per
process in memory (``domain/flows/assets.py``), labelled with the ``workspaces.assets_version`` it was read
under. Every ORM flush that inserts, deletes or changes one of those rows moves the version of its workspace
(one UPDATE per flush, before the flush's own statements): a process that reads the workspace row later sees a
new number and reads the assets again. Columns that change all the time and that no sprint reads (a group's
member count, a channel's last seen time, a flow's run counters) do not move it.

The bump goes through the ORM's flush, so rows written with Core statements are not seen: the Core writes to
these tables are the counters above (group member counts, flow run counters), a dead worker's claims released,
and campaign events rescheduled in bulk, which move the version by hand (:func:`move`). A session whose
transaction moved a version is marked (:func:`moved`) until it commits or rolls back: what it reads then
includes its own uncommitted writes, which must not be kept for other sessions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import event, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from sauti.models import (
    Campaign,
    CampaignEvent,
    Channel,
    Classifier,
    ContactField,
    ContactGroup,
    Flow,
    FlowTrigger,
    Global,
    Label,
    WebHook,
    Workspace,
)

__all__ = ["TRACKED", "Kept", "moved"]

T = TypeVar("T")

_FLOW_COUNTERS: Final = frozenset(
    f"runs_{s}" for s in ("active", "waiting", "completed", "interrupted", "expired", "failed")
)
# each tracked model, with the columns whose change alone does not move the version
TRACKED: Final[dict[type[Any], frozenset[str]]] = {
    Flow: _FLOW_COUNTERS | {"modified_on"},
    FlowTrigger: frozenset(),
    ContactField: frozenset(),
    ContactGroup: frozenset({"member_count", "status", "modified_on"}),
    Label: frozenset(),
    Channel: frozenset({"last_seen", "modified_on"}),
    Global: frozenset(),
    WebHook: frozenset(),
    Classifier: frozenset(),
    Campaign: frozenset({"modified_on"}),
    CampaignEvent: frozenset({"status", "claimed_by", "failure", "modified_on"}),
}
_KEY: Final = "sauti.assets_moved"


def _changed(obj: Any, ignored: frozenset[str]) -> bool:
    state = inspect(obj)
    for attr in state.attrs:
        if attr.key not in ignored and attr.history.has_changes():
            return True
    return False


def _move(session: Session, workspaces: set[int]) -> None:
    session.info[_KEY] = True
    session.connection().execute(
        update(Workspace)
        .where(Workspace.id.in_(sorted(workspaces)))
        .values(assets_version=Workspace.assets_version + 1)
        .execution_options(synchronize_session=False)
    )
    for obj in session.identity_map.values():  # the session's own workspace rows follow, as if read again
        if type(obj) is Workspace and obj.id in workspaces:
            set_committed_value(obj, "assets_version", (obj.__dict__.get("assets_version") or 0) + 1)


async def move(session: AsyncSession, workspace_ids: Iterable[int]) -> None:
    """Move these workspaces' versions by hand: for a Core statement that writes a tracked table's columns
    that sprints or kept things read (a campaign's events rescheduled in bulk)."""
    ids = set(workspace_ids)
    if ids:
        await session.run_sync(lambda sync: _move(sync, ids))


def _before_flush(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    workspaces: set[int] = set()
    for obj in (*session.new, *session.deleted):
        if type(obj) in TRACKED and obj.workspace_id is not None:
            workspaces.add(obj.workspace_id)
    for obj in session.dirty:
        ignored = TRACKED.get(type(obj))
        if ignored is not None and obj.workspace_id not in workspaces and _changed(obj, ignored):
            workspaces.add(obj.workspace_id)
    if workspaces:
        _move(session, workspaces)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (a savepoint's end changes nothing here)
        session.info.pop(_KEY, None)


def moved(session: Session) -> bool:
    """True while ``session``'s transaction has moved a workspace's assets version (not committed yet)."""
    return bool(session.info.get(_KEY))


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "after_transaction_end", _ended)


def keeps(session: Any) -> bool:
    """Whether what ``session`` (async or not) reads may be kept for other sessions: not while its own
    transaction moved a version, since it then reads its own uncommitted writes."""
    sync = getattr(session, "sync_session", session)
    return not (isinstance(sync, Session) and moved(sync))


def place(session: Any, workspace: Workspace) -> tuple[str, str]:
    """Where a workspace's kept things belong: its database and its UUID (ids and versions repeat across
    databases: tests make one per case, and a process may serve more than one)."""
    sync = getattr(session, "sync_session", session)
    return str(sync.get_bind().url), workspace.uuid


def _held(session: Any, workspace_id: int) -> Workspace | None:
    """The workspace's row when the session holds it with its assets version loaded (as it does when it read
    the workspace: the request's or job's own), taken from the identity map as ``session.get`` would; else
    ``None``, for ``session.get`` to find or load it. An asyncio session's ``get`` costs a trip through a
    greenlet even when the row is there, and an inbound message asks three times."""
    sync = getattr(session, "sync_session", session)
    if not isinstance(sync, Session):
        return None
    found = sync.identity_map.get(identity_key(Workspace, workspace_id))
    if isinstance(found, Workspace) and "assets_version" in inspect(found).dict:
        return found
    return None


class Kept(Generic[T]):
    """Something read of a workspace, kept per process under the workspace's assets version: read again when
    the version moved. What is kept must be plain values (never ORM rows, which belong to one session)."""

    def __init__(self, keep: int = 1024) -> None:
        self._by_workspace: dict[tuple[str, str], tuple[int, T]] = {}
        self._keep = keep

    async def get(self, session: AsyncSession, workspace_id: int, read: Callable[[], Awaitable[T]]) -> T:
        workspace = _held(session, workspace_id)
        if workspace is None:
            workspace = await session.get(Workspace, workspace_id)
        if workspace is None:
            return await read()
        version = workspace.assets_version
        keep = keeps(session)
        key = place(session, workspace)
        found = self._by_workspace.get(key)
        if keep and found is not None and found[0] == version:
            return found[1]
        value = await read()
        if keep:
            if len(self._by_workspace) >= self._keep:
                self._by_workspace.clear()
            self._by_workspace[key] = (version, value)
        return value
