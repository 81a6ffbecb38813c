"""Flows, sessions and runs for the API tests: flows saved through the domain, runs written as the runtime
writes them (one row per flow entered, with its path and results)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sauti.domain.flows.definitions import save_flow
from sauti.kit import clock
from sauti.models import Contact, Flow, FlowRun, FlowSession, Workspace

EXPORT = Path(__file__).resolve().parents[2] / "data" / "registration_export.json"
Db = async_sessionmaker[AsyncSession]


def export() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXPORT.read_text())
    return data


def registration() -> dict[str, Any]:
    flow: dict[str, Any] = export()["flows"][0]
    return flow


def variant(name: str, uuid: str, **changes: Any) -> dict[str, Any]:
    """The registration flow under another name and UUID (same nodes)."""
    flow = copy.deepcopy(registration())
    flow.update(name=name, uuid=uuid, **changes)
    return flow


async def add_flow(db: Db, workspace_id: int, definition: dict[str, Any], **columns: Any) -> Flow:
    async with db() as session:
        ws = await session.get(Workspace, workspace_id)
        assert ws is not None
        flow = await save_flow(session, ws, definition)
        for name, value in columns.items():
            setattr(flow, name, value)
        await session.commit()
        return flow


async def contact_id(db: Db, uuid: str) -> int:
    async with db() as session:
        return int((await session.execute(select(Contact.id).where(Contact.uuid == uuid))).scalar_one())


async def add_run(
    db: Db,
    workspace_id: int,
    flow: Flow,
    contact: int,
    *,
    status: str = "completed",
    responded: bool = True,
    at: datetime | None = None,
    results: dict[str, Any] | None = None,
    path_nodes: tuple[str, ...] = ("0c6b8f1d-4e2a-4b7c-9d31-5a8e2f7c0b01", "0c6b8f1d-4e2a-4b7c-9d31-5a8e2f7c0b02"),
    start_id: int | None = None,
) -> FlowRun:
    """A run of ``flow`` for the contact, in its own session, as the runtime stores them."""
    when = at or clock.now()
    ended = status not in ("active", "waiting")
    async with db() as session:
        fs = FlowSession(
            uuid=clock.new_uuid(),
            workspace_id=workspace_id,
            contact_id=contact,
            status="completed" if ended else "waiting",
            state={},
            current_flow_id=None if ended else flow.id,
            created_on=when,
            modified_on=when,
        )
        session.add(fs)
        await session.flush()
        run = FlowRun(
            uuid=clock.new_uuid(),
            workspace_id=workspace_id,
            flow_id=flow.id,
            contact_id=contact,
            session_id=fs.id,
            start_id=start_id,
            status=status,
            responded=responded,
            path=[
                {
                    "uuid": clock.new_uuid(),
                    "node_uuid": node,
                    "arrived_on": (when + timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
                }
                for i, node in enumerate(path_nodes)
            ],
            results=results or {},
            current_node_uuid=path_nodes[-1] if path_nodes else None,
            created_on=when,
            modified_on=when,
            exited_on=when if ended else None,
        )
        session.add(run)
        await session.commit()
        return run
