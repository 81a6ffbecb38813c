"""Recording a flow start as a pending row, until flows-core's ``starts.create_start`` lands (same signature).

The row is the job: the flow-start worker resolves its recipients and starts them in batches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.kit import clock
from sauti.models import Contact, ContactGroup, Flow, FlowStart, Workspace


async def create_start(
    session: AsyncSession,
    workspace: Workspace,
    *,
    flow: Flow,
    contacts: Sequence[Contact],
    groups: Sequence[ContactGroup],
    urns: Sequence[str],
    params: Mapping[str, Any],
    restart_participants: bool,
    exclude_active: bool,
    start_type: str,
    created_by_id: int | None,
) -> FlowStart:
    """A pending start of ``flow`` (progress unknown, no runs yet). Flushes; the caller commits."""
    now = clock.now()
    start = FlowStart(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        flow_id=flow.id,
        start_type=start_type,
        status="pending",
        contact_ids=[c.id for c in contacts],
        group_ids=[g.id for g in groups],
        urns=list(urns),
        urn_contact_ids=[],
        restart_participants=restart_participants,
        exclude_active=exclude_active,
        params=dict(params),
        contact_count=-1,
        run_count=0,
        expand_cursor=0,
        created_by_id=created_by_id,
        created_on=now,
        modified_on=now,
    )
    session.add(start)
    await session.flush()
    return start
