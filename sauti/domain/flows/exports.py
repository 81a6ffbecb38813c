"""Exporting flows (and campaigns) with what they depend on, in the export format RapidPro/TextIt read (version 13).

``dependencies`` says how far to follow:

- ``none``: only the flows and campaigns named;
- ``flows``: and the flows they enter or start (``enter_flow``, ``start_session``), transitively, with the
  triggers that start any of those flows;
- ``all``: and the campaigns using those flows (and their flows, transitively), the fields and groups the
  flows, triggers and campaigns use.

Flows are exported at the engine's current spec version, as saved; items are in a stable order (flows and
triggers as created, fields by key, groups by name).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import BadParameter
from sauti.domain.flows import campaign_hooks, dependencies, queries
from sauti.domain.scope import scoped
from sauti.models import Channel, ContactField, ContactGroup, Flow, FlowTrigger, Workspace

EXPORT_VERSION: Final = "13"
DEPENDENCY_MODES: Final = ("none", "flows", "all")
TRIGGER_CODES: Final = {"keyword": "K", "catch_all": "C"}
MATCH_CODES: Final = {"first_word": "F", "only_word": "O"}


async def _flows_by_uuid(session: AsyncSession, workspace: Workspace, uuids: Sequence[str]) -> dict[int, Flow]:
    found = await queries.by_uuids(session, workspace, uuids)
    return {f.id: f for f in found.values()}


async def _follow_flows(session: AsyncSession, workspace: Workspace, flows: dict[int, Flow]) -> None:
    """Add, in place, every flow the flows enter or start, until nothing new turns up."""
    todo = set(flows)
    while todo:
        rows = await dependencies.of_flows(session, workspace, todo)
        wanted = [r.identity for r in rows if r.type == "flow"]
        found = await queries.by_uuids(session, workspace, wanted)
        todo = {f.id for f in found.values() if f.id not in flows}
        flows.update({f.id: f for f in found.values() if f.id in todo})


def _ref(uuid: str, name: str) -> dict[str, str]:
    return {"uuid": uuid, "name": name}


async def export(
    session: AsyncSession,
    workspace: Workspace,
    *,
    flow_uuids: Sequence[str] = (),
    campaign_uuids: Sequence[str] = (),
    dependencies_mode: str = "all",
    site: str = "",
) -> dict[str, Any]:
    """The export document of the named flows and campaigns (unknown UUIDs are left out)."""
    if dependencies_mode not in DEPENDENCY_MODES:
        raise BadParameter("dependencies", "invalid_choice", value=dependencies_mode, choices=DEPENDENCY_MODES)
    flows = await _flows_by_uuid(session, workspace, flow_uuids)
    follow = dependencies_mode != "none"
    campaigns = await campaign_hooks.export_campaigns(
        session, workspace, campaign_uuids=campaign_uuids, using_flow_ids=()
    )
    if follow:
        flows.update(await queries.by_ids(session, workspace, sorted(campaigns.flow_ids - set(flows))))
        await _follow_flows(session, workspace, flows)
    if dependencies_mode == "all":
        while True:
            using = await campaign_hooks.export_campaigns(
                session, workspace, campaign_uuids=campaign_uuids, using_flow_ids=set(flows)
            )
            new = using.flow_ids - set(flows)
            campaigns = using
            if not new:
                break
            flows.update(await queries.by_ids(session, workspace, sorted(new)))
            await _follow_flows(session, workspace, flows)

    ordered = sorted(flows.values(), key=lambda f: (f.created_on, f.id))
    triggers: list[FlowTrigger] = []
    if follow and flows:
        stmt = queries.triggers(workspace).where(
            FlowTrigger.flow_id.in_(list(flows)), FlowTrigger.is_archived.is_(False)
        )
        triggers = list((await session.execute(stmt)).scalars())

    field_items: list[dict[str, Any]] = []
    group_items: list[dict[str, Any]] = []
    if dependencies_mode == "all":
        rows = await dependencies.of_flows(session, workspace, set(flows))
        keys = {r.identity for r in rows if r.type == "field"} | campaigns.field_keys
        group_uuids = {r.identity for r in rows if r.type == "group"}
        group_ids = set(campaigns.group_ids)
        for t in triggers:
            group_ids.update(t.include_group_ids or [])
            group_ids.update(t.exclude_group_ids or [])
        field_items = await _fields(session, workspace, keys)
        group_items = await _groups(session, workspace, group_uuids, group_ids)

    return {
        "version": EXPORT_VERSION,
        "site": site,
        "flows": [dict(f.definition) for f in ordered],
        "campaigns": campaigns.campaigns,
        "triggers": await _triggers(session, workspace, triggers, flows),
        "fields": field_items,
        "groups": group_items,
    }


async def _fields(session: AsyncSession, workspace: Workspace, keys: set[str]) -> list[dict[str, Any]]:
    if not keys:
        return []
    rows = await session.execute(
        scoped(ContactField, workspace)
        .where(ContactField.key.in_(sorted(keys)), ContactField.is_active, ContactField.is_system.is_(False))
        .order_by(ContactField.key)
    )
    return [{"key": f.key, "name": f.name, "type": f.value_type} for f in rows.scalars()]


async def _groups(session: AsyncSession, workspace: Workspace, uuids: set[str], ids: set[int]) -> list[dict[str, Any]]:
    if not uuids and not ids:
        return []
    rows = await session.execute(
        scoped(ContactGroup, workspace)
        .where(
            ContactGroup.is_active,
            ContactGroup.is_system.is_(False),
            ContactGroup.uuid.in_(sorted(uuids)) | ContactGroup.id.in_(sorted(ids)),
        )
        .order_by(ContactGroup.name, ContactGroup.id)
    )
    return [{"uuid": g.uuid, "name": g.name, "query": g.query} for g in rows.scalars()]


async def _triggers(
    session: AsyncSession, workspace: Workspace, triggers: Sequence[FlowTrigger], flows: dict[int, Flow]
) -> list[dict[str, Any]]:
    if not triggers:
        return []
    group_ids = {i for t in triggers for i in [*(t.include_group_ids or []), *(t.exclude_group_ids or [])]}
    groups: dict[int, Any] = {}
    if group_ids:
        rows = await session.execute(
            scoped(ContactGroup, workspace, ContactGroup.id, ContactGroup.uuid, ContactGroup.name).where(
                ContactGroup.id.in_(sorted(group_ids))
            )
        )
        groups = {g.id: g for g in rows}
    channel_ids = {t.channel_id for t in triggers if t.channel_id is not None}
    channels: dict[int, Any] = {}
    if channel_ids:
        rows2 = await session.execute(
            select(Channel.id, Channel.uuid, Channel.name).where(
                Channel.workspace_id == workspace.id, Channel.id.in_(sorted(channel_ids))
            )
        )
        channels = {c.id: c for c in rows2}
    out = []
    for t in triggers:
        flow = flows[t.flow_id]
        channel = channels.get(t.channel_id) if t.channel_id is not None else None
        out.append(
            {
                "trigger_type": TRIGGER_CODES[t.trigger_type],
                "keywords": list(t.keywords or []),
                "match_type": MATCH_CODES.get(t.match_type) if t.trigger_type == "keyword" else None,
                "flow": _ref(flow.uuid, flow.name),
                "groups": [_ref(groups[i].uuid, groups[i].name) for i in t.include_group_ids or [] if i in groups],
                "exclude_groups": [
                    _ref(groups[i].uuid, groups[i].name) for i in t.exclude_group_ids or [] if i in groups
                ],
                "channel": _ref(channel.uuid, channel.name) if channel is not None else None,
            }
        )
    return out
