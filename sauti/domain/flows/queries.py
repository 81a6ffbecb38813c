"""Every select for flows, sessions, runs, triggers and starts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import Flow, FlowRun, FlowSession, FlowStart, FlowTrigger, Workspace


def listing(workspace: Workspace | int) -> Select[Flow]:
    """The workspace's flows that were not deleted (archived ones included)."""
    return scoped(Flow, workspace).where(Flow.is_active)


async def by_uuid(session: AsyncSession, workspace: Workspace | int, uuid: str) -> Flow | None:
    return (await session.execute(listing(workspace).where(Flow.uuid == uuid))).scalar_one_or_none()


async def any_by_uuid(session: AsyncSession, workspace: Workspace | int, uuid: str) -> Flow | None:
    """The workspace's flow with this UUID, deleted or not (a UUID names one flow of a workspace, ever)."""
    return (await session.execute(scoped(Flow, workspace).where(Flow.uuid == uuid))).scalar_one_or_none()


async def by_id(session: AsyncSession, workspace: Workspace | int, flow_id: int) -> Flow | None:
    return (await session.execute(listing(workspace).where(Flow.id == flow_id))).scalar_one_or_none()


async def by_ids(session: AsyncSession, workspace: Workspace | int, ids: Sequence[int]) -> dict[int, Flow]:
    if not ids:
        return {}
    rows = await session.execute(listing(workspace).where(Flow.id.in_(list(ids))))
    return {f.id: f for f in rows.scalars()}


async def by_name(session: AsyncSession, workspace: Workspace | int, name: str) -> Flow | None:
    stmt = listing(workspace).where(Flow.name == name).order_by(Flow.id).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def waiting_session(session: AsyncSession, workspace: Workspace | int, contact_id: int) -> FlowSession | None:
    """The contact's waiting session, if any (a contact has at most one)."""
    stmt = (
        scoped(FlowSession, workspace)
        .where(FlowSession.contact_id == contact_id, FlowSession.status == "waiting")
        .order_by(FlowSession.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def waiting_sessions(
    session: AsyncSession, workspace: Workspace | int, contact_ids: Sequence[int]
) -> list[FlowSession]:
    if not contact_ids:
        return []
    stmt = scoped(FlowSession, workspace).where(
        FlowSession.contact_id.in_(list(contact_ids)), FlowSession.status == "waiting"
    )
    return list((await session.execute(stmt)).scalars())


async def session_runs(session: AsyncSession, workspace: Workspace | int, session_id: int) -> list[FlowRun]:
    stmt = scoped(FlowRun, workspace).where(FlowRun.session_id == session_id).order_by(FlowRun.id)
    return list((await session.execute(stmt)).scalars())


def triggers(workspace: Workspace | int) -> Select[FlowTrigger]:
    return scoped(FlowTrigger, workspace).order_by(FlowTrigger.id)


async def trigger_by_uuid(session: AsyncSession, workspace: Workspace | int, uuid: str) -> FlowTrigger | None:
    stmt = scoped(FlowTrigger, workspace).where(FlowTrigger.uuid == uuid)
    return (await session.execute(stmt)).scalar_one_or_none()


async def start_by_uuid(session: AsyncSession, workspace: Workspace | int, uuid: str) -> FlowStart | None:
    stmt = scoped(FlowStart, workspace).where(FlowStart.uuid == uuid)
    return (await session.execute(stmt)).scalar_one_or_none()
