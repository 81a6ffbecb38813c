"""Archiving a flow and restoring it.

An archived flow is still listed (``flows.json?archived=true``) and keeps its runs, but no trigger starts it
(``inbound.py`` skips archived flows) and nobody stays in it: archiving interrupts every waiting session with a
run of the flow still active or waiting (DECISION: a session whose waiting run is a subflow of the archived flow,
or whose parent run is in it, is interrupted too, since it would come back to the archived flow). Restoring
only clears the flag: the interrupted sessions stay ended.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.flows import queries, runner
from sauti.domain.scope import scoped
from sauti.kit import clock
from sauti.models import Flow, FlowRun, FlowSession, Workspace

__all__ = ["archive", "listing", "restore"]


async def archive(session: AsyncSession, workspace: Workspace, flow: Flow) -> int:
    """Archive ``flow`` and interrupt the waiting sessions in it; how many were interrupted. Archiving an
    archived flow changes nothing (0). Flushes; the caller commits."""
    if flow.workspace_id != workspace.id or flow.is_archived:
        return 0
    flow.is_archived = True
    flow.modified_on = clock.now()
    in_flow = select(FlowRun.session_id).where(
        FlowRun.workspace_id == workspace.id, FlowRun.flow_id == flow.id, FlowRun.status.in_(("active", "waiting"))
    )
    stmt = (
        scoped(FlowSession, workspace)
        .where(FlowSession.status == "waiting", FlowSession.id.in_(in_flow))
        .order_by(FlowSession.id)
        .with_for_update()
    )
    rows = list((await session.execute(stmt)).scalars())
    ended = await runner.end_sessions(session, workspace, rows, "interrupted")
    await session.flush()
    return ended


async def restore(session: AsyncSession, workspace: Workspace, flow: Flow) -> bool:
    """Make an archived flow usable again; False when it was not archived. Flushes."""
    if flow.workspace_id != workspace.id or not flow.is_archived:
        return False
    flow.is_archived = False
    flow.modified_on = clock.now()
    await session.flush()
    return True


async def listing(session: AsyncSession, workspace: Workspace) -> list[Flow]:
    """Every flow of the workspace (archived ones too), by name."""
    return list((await session.execute(queries.listing(workspace).order_by(Flow.name, Flow.id))).scalars())
