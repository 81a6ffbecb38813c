"""The one tenant filter every query starts from.

Every select of a workspace-owned table goes through :func:`scoped`, so no query can forget the workspace. Tables
without their own ``workspace_id`` (values, memberships, notes) are only ever reached through rows that were
selected here.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, overload

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute

from sauti.models import Workspace


class WorkspaceOwned(Protocol):
    workspace_id: InstrumentedAttribute[int]


T = TypeVar("T")


@overload
def scoped(model: type[T], workspace: Workspace | int) -> Select[T]: ...


@overload
def scoped(model: type[T], workspace: Workspace | int, *columns: Any) -> Select[Any]: ...


def scoped(model: type[T], workspace: Workspace | int, *columns: Any) -> Select[Any]:
    """``SELECT model (or the given columns) FROM model WHERE model.workspace_id = <workspace>``."""
    ws_id = workspace if isinstance(workspace, int) else workspace.id
    stmt = select(*columns) if columns else select(model)
    return stmt.where(model.workspace_id == ws_id)  # type: ignore[attr-defined]


def scoped_by_value(model: type[T], workspace: Workspace | int) -> Select[T]:
    """:func:`scoped`, with the workspace's condition written so that the database chooses no index for it
    (``workspace_id + 0``): for a select whose other conditions name the rows better (the members of a small
    group, looked up by id), where SQLite's planner would otherwise walk an index that starts with the
    workspace. The same rows."""
    ws_id = workspace if isinstance(workspace, int) else workspace.id
    return select(model).where((model.workspace_id + 0) == ws_id)  # type: ignore[attr-defined]


def owned_by(model: type[T], workspace: Workspace | int) -> Any:
    """The bare workspace condition, for UPDATE/DELETE statements and joins."""
    ws_id = workspace if isinstance(workspace, int) else workspace.id
    return model.workspace_id == ws_id  # type: ignore[attr-defined]
