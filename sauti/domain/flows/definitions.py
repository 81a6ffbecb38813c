"""Saving a flow definition: read and migrate it through the engine, keep what the API lists about it.

A definition is checked once, here, so the runtime never meets a definition the engine cannot read. What
``flows.json`` shows is computed at save from the engine's inspection: ``results`` (one entry per result key,
in definition order), ``parent_refs``, ``expires`` (the flow's ``expire_after_minutes`` or the type's default;
0 for flow types that never wait) and the API's word for the type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import Invalid
from sauti.domain.flows import dependencies, queries
from sauti.engine.definition import DefinitionError, inspect_flow, read_flow
from sauti.engine.definition import Flow as Definition
from sauti.kit import clock
from sauti.models import Flow, Workspace

API_TYPES: Final[Mapping[str, str]] = {
    "messaging": "message",
    "messaging_background": "background",
    "messaging_offline": "survey",
    "voice": "voice",
}
"""The engine's flow types in the API's words."""

ENGINE_TYPES: Final[Mapping[str, str]] = {v: k for k, v in API_TYPES.items()}


def read(definition: object) -> Definition:
    """The engine's reading of ``definition`` (migrated to the current spec); ``Invalid`` (``flow_invalid``,
    with the broken rule as its message) when the engine refuses it."""
    if not isinstance(definition, Mapping):
        raise Invalid.field("definition", "flow_invalid", message="flow definition must be a JSON object")
    try:
        return read_flow(definition)
    except DefinitionError as exc:
        raise Invalid.field("definition", "flow_invalid", message=str(exc)) from None


def expires_of(flow: Definition) -> int:
    """Minutes a waiting run of ``flow`` may sit before it expires (0: the flow never waits for messages)."""
    if flow.type in ("messaging", "voice"):
        return flow.expires_after_minutes
    return 0


async def save_flow(
    session: AsyncSession,
    workspace: Workspace,
    definition: dict[str, Any],
    *,
    labels: Sequence[Mapping[str, str]] | None = None,
    ignore_triggers: bool | None = None,
) -> Flow:
    """Create the flow of ``definition``, or update the workspace's flow with its UUID (a deleted flow of that
    UUID comes back to life). ``labels`` (``[{uuid, name}]``) and ``ignore_triggers`` are kept when not given.
    Flushes; the caller commits."""
    flow = read(definition)
    info = inspect_flow(flow)
    now = clock.now()
    row = await queries.any_by_uuid(session, workspace, flow.uuid)
    if row is None:
        row = Flow(uuid=flow.uuid, workspace_id=workspace.id, created_on=now, labels=[], ignore_triggers=False)
        row.is_archived = False
        for status in ("active", "waiting", "completed", "interrupted", "expired", "failed"):
            setattr(row, f"runs_{status}", 0)
        session.add(row)
    row.is_active = True
    row.name = flow.name
    row.type = API_TYPES[flow.type]
    row.spec_version = flow.spec_version
    row.revision = flow.revision
    row.definition = flow.to_json()
    row.expires = expires_of(flow)
    row.results = [r.to_json() for r in info.results]
    row.parent_refs = list(info.parent_refs)
    if labels is not None:
        row.labels = [{"uuid": str(label["uuid"]), "name": str(label["name"])} for label in labels]
    if ignore_triggers is not None:
        row.ignore_triggers = ignore_triggers
    row.modified_on = now
    await session.flush()
    await dependencies.record(session, row, info)
    return row


def definition_of(row: Flow) -> Definition:
    """The engine's reading of a saved flow (saved definitions were checked when they were saved)."""
    return read_flow(row.definition)
