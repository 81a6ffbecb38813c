"""What saved flows depend on: written with each save, read by field usages and definition exports.

:func:`record` replaces a flow's rows with the dependencies the engine's inspection found (one per type and
UUID or key, in definition order). :func:`field_usage` counts, per field key, the flows that are not deleted and
use it; :func:`of_flows` lists the rows of some flows.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import plain
from sauti.engine.definition import FlowInfo
from sauti.models import Flow, FlowDependency, Workspace

MAX_TYPE = 16
MAX_IDENTITY = 255


async def record(session: AsyncSession, flow: Flow, info: FlowInfo) -> None:
    """Replace ``flow``'s dependency rows with those of ``info`` (the inspection of its saved definition). The
    resthooks its ``call_resthook`` actions name are created when the workspace lacks them (as RapidPro does)."""
    await session.execute(delete(FlowDependency).where(FlowDependency.flow_id == flow.id))
    seen: set[tuple[str, str]] = set()
    for dep in info.dependencies:
        key = (dep.type[:MAX_TYPE], dep.identity[:MAX_IDENTITY])
        if not key[1] or key in seen:
            continue
        seen.add(key)
        session.add(
            FlowDependency(
                workspace_id=flow.workspace_id,
                flow_id=flow.id,
                type=key[0],
                identity=key[1],
                name=(dep.name or "")[:MAX_IDENTITY],
            )
        )
    slugs = [dep.identity for dep in info.dependencies if dep.type == "resthook"]
    if slugs:
        from sauti.domain.resthooks import service as resthooks

        await resthooks.ensure(session, flow.workspace_id, slugs)
    await session.flush()


_FIELD_USAGE = (
    select(FlowDependency.identity, func.count(func.distinct(FlowDependency.flow_id)).label("n"))
    .join(Flow, Flow.id == FlowDependency.flow_id)
    .where(FlowDependency.workspace_id == bindparam("ws"), FlowDependency.type == "field", Flow.is_active)
    .group_by(FlowDependency.identity)
)  # built once: every field listing asks


async def field_usage(session: AsyncSession, workspace: Workspace) -> dict[str, int]:
    """Field key -> how many flows (not deleted) use it. One query."""
    rows = await plain.rows(session, _FIELD_USAGE, {"ws": workspace.id})
    return {row.identity: int(row.n) for row in rows.all()}


async def of_flows(session: AsyncSession, workspace: Workspace, flow_ids: Collection[int]) -> Sequence[Any]:
    """The dependency rows (flow_id, type, identity, name) of the given flows, in the order they were found."""
    if not flow_ids:
        return []
    rows = await session.execute(
        select(FlowDependency.flow_id, FlowDependency.type, FlowDependency.identity, FlowDependency.name)
        .where(FlowDependency.workspace_id == workspace.id, FlowDependency.flow_id.in_(list(flow_ids)))
        .order_by(FlowDependency.id)
    )
    return list(rows.all())
