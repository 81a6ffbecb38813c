"""Campaigns out of and into a workspace, in the definitions export shape (RapidPro's ``definitions.json`` and
import files):

``{"uuid", "name", "group": {"uuid", "name"}, "events": [{"uuid", "offset", "unit": "M|H|D|W", "event_type":
"M|F", "delivery_hour", "relative_to": {"key", "label"}, "start_mode": "I|S|P", "flow": {"uuid", "name"}`` (flow
events) ``| "message": {lang: text}, "base_language"`` (message events) ``}]}``.

DECISION: importing a campaign that already exists (same UUID, else same name, in the workspace) makes it what
the file says: its group, and its events (matched by UUID; those the file lacks are deleted). A group the file
names that the workspace lacks is created (a manual group, by name); so is a field (a datetime field, by key and
label). A flow must already exist (by UUID, else by name): a file's flows are imported before its campaigns.
An event whose schedule changed (or a campaign whose group changed) is rescheduled by the worker, as through the
API.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.campaigns import queries, service
from sauti.domain.campaigns.timing import UNITS
from sauti.domain.errors import Invalid
from sauti.domain.fields import service as fields
from sauti.domain.flows import queries as flow_queries
from sauti.domain.groups import service as groups
from sauti.domain.groups.queries import by_reference as group_by_reference
from sauti.kit import clock
from sauti.models import Campaign, CampaignEvent, ContactField, ContactGroup, Flow, Workspace

MODES = {letter: word for word, letter in service.START_MODES.items()}


@dataclass
class Collected:
    """Export items, and what they need beside them: the flows their events start, their groups, and the
    (non-system) fields their events are relative to."""

    items: list[dict[str, Any]] = dataclass_field(default_factory=list)
    flow_ids: set[int] = dataclass_field(default_factory=set)
    group_ids: set[int] = dataclass_field(default_factory=set)
    field_keys: set[str] = dataclass_field(default_factory=set)


async def collect(
    session: AsyncSession, workspace: Workspace, uuids: Sequence[str], using_flow_ids: Collection[int] = ()
) -> Collected:
    """The live campaigns with these UUIDs (unknown ones are left out) and those with an active event starting
    one of ``using_flow_ids``, oldest first, each with its active events, in a fixed number of queries."""
    out = Collected()
    wanted: ColumnElement[bool] = Campaign.uuid.in_(list(uuids))
    if using_flow_ids:
        starting = queries.live_events(workspace).with_only_columns(CampaignEvent.campaign_id)
        starting = starting.where(CampaignEvent.flow_id.in_(list(using_flow_ids)))
        wanted = wanted | Campaign.id.in_(starting.scalar_subquery())
    elif not uuids:
        return out
    found = list(
        (
            await session.execute(
                queries.live_campaigns(workspace).where(wanted).order_by(Campaign.created_on, Campaign.id)
            )
        ).scalars()
    )
    if not found:
        return out
    group_of = await queries.groups_of(session, found)
    events = list(
        (
            await session.execute(
                queries.live_events(workspace)
                .where(CampaignEvent.campaign_id.in_([c.id for c in found]))
                .order_by(CampaignEvent.created_on, CampaignEvent.id)
            )
        ).scalars()
    )
    field_of = await queries.fields_of(session, events)
    flow_of = await flow_queries.by_ids(session, workspace, [e.flow_id for e in events if e.flow_id is not None])
    for campaign in found:
        group = group_of[campaign.group_id]
        out.group_ids.add(group.id)
        items = []
        for e in events:
            if e.campaign_id != campaign.id:
                continue
            field = field_of[e.field_id]
            if not field.is_system:
                out.field_keys.add(field.key)
            item: dict[str, Any] = {
                "uuid": e.uuid,
                "offset": e.offset,
                "unit": e.unit,
                "event_type": e.event_type,
                "delivery_hour": e.delivery_hour,
                "relative_to": {"label": field.name, "key": field.key},
                "start_mode": e.start_mode,
            }
            if e.event_type == "F" and e.flow_id is not None:
                flow = flow_of[e.flow_id]
                out.flow_ids.add(flow.id)
                item["flow"] = {"uuid": flow.uuid, "name": flow.name}
            else:
                item["message"] = {lang: t.get("text", "") for lang, t in (e.translations or {}).items()}
                item["base_language"] = e.base_language
            items.append(item)
        out.items.append(
            {
                "uuid": campaign.uuid,
                "name": campaign.name,
                "group": {"uuid": group.uuid, "name": group.name},
                "events": items,
            }
        )
    return out


async def export_campaigns(session: AsyncSession, workspace: Workspace, uuids: Sequence[str]) -> list[dict[str, Any]]:
    """The live campaigns with these UUIDs as export items (see :func:`collect`)."""
    return (await collect(session, workspace, uuids)).items


def _bad(index: int, what: str) -> Invalid:
    return Invalid.field("campaigns", "invalid_choice", item=index, value=what, choices=("the export shape",))


async def _group(session: AsyncSession, workspace: Workspace, ref: Mapping[str, Any]) -> ContactGroup:
    for key in ("uuid", "name"):
        value = ref.get(key)
        if isinstance(value, str) and value:
            found = await group_by_reference(session, workspace, value)
            if found is not None:
                return found
    return await groups.create(session, workspace, name=str(ref.get("name") or ""))


async def _field(session: AsyncSession, workspace: Workspace, ref: Mapping[str, Any]) -> ContactField:
    key = str(ref.get("key") or "")
    found = await queries.datetime_field(session, workspace, key)
    if found is not None:
        return found
    return await fields.create(session, workspace, name=str(ref.get("label") or key), value_type="datetime")


async def _flow(session: AsyncSession, workspace: Workspace, ref: Mapping[str, Any]) -> Flow:
    flow = await flow_queries.by_uuid(session, workspace, str(ref.get("uuid") or ""))
    if flow is None and ref.get("name"):
        flow = await flow_queries.by_name(session, workspace, str(ref["name"]))
    if flow is None:
        raise Invalid.field("flow", "no_such_object", ref=str(ref.get("uuid") or ref.get("name") or ""))
    return flow


async def _existing(session: AsyncSession, workspace: Workspace, item: Mapping[str, Any]) -> Campaign | None:
    uuid, name = item.get("uuid"), item.get("name")
    if isinstance(uuid, str):
        found = await queries.campaign_by_uuid(session, workspace, uuid)
        if found is not None:
            return found
    if isinstance(name, str):
        rows = await session.execute(
            queries.live_campaigns(workspace).where(Campaign.name == name).order_by(Campaign.id).limit(1)
        )
        return rows.scalars().first()
    return None


async def import_campaigns(
    session: AsyncSession, workspace: Workspace, items: Sequence[Mapping[str, Any]]
) -> list[Campaign]:
    """Create or update the campaigns of an import (see the module docstring); returns them in file order."""
    out: list[Campaign] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("events", []), list):
            raise _bad(index, "campaign")
        group = await _group(session, workspace, item.get("group") or {})
        campaign = await _existing(session, workspace, item)
        if campaign is None:
            campaign = await service.create_campaign(
                session, workspace, name=str(item.get("name") or ""), group=group.uuid
            )
            wanted_uuid = item.get("uuid")
            taken = (
                isinstance(wanted_uuid, str)
                and (await session.execute(select(Campaign.id).where(Campaign.uuid == wanted_uuid))).first()
            )
            if isinstance(wanted_uuid, str) and not taken:
                campaign.uuid = wanted_uuid  # the file's UUID is kept where it is free
        else:
            campaign = await service.update_campaign(
                session, workspace, campaign.uuid, name=campaign.name, group=group.uuid
            )
        await _import_events(session, workspace, campaign, item.get("events") or [])
        out.append(campaign)
    await session.flush()
    return out


async def _import_events(session: AsyncSession, workspace: Workspace, campaign: Campaign, items: Sequence[Any]) -> None:
    current = {e.uuid: e for e in await service.events_of(session, workspace, campaign)}
    kept: set[str] = set()
    for item in items:
        if not isinstance(item, Mapping):
            raise Invalid.field("events", "invalid_choice", value=str(item), choices=("an event object",))
        field = await _field(session, workspace, item.get("relative_to") or {})
        unit = UNITS.get(str(item.get("unit")), str(item.get("unit")))
        is_flow = item.get("event_type") == "F" or "flow" in item
        data = service.EventInput(
            campaign=campaign.uuid,
            relative_to=field.key,
            offset=int(item.get("offset") or 0),
            unit=unit,
            delivery_hour=int(item.get("delivery_hour", -1)),
            message=None if is_flow else _message(item),
            flow=(await _flow(session, workspace, item.get("flow") or {})).uuid if is_flow else None,
            start_mode=MODES.get(str(item.get("start_mode") or "I"), "interrupt"),
        )
        uuid = item.get("uuid")
        event = current.get(uuid) if isinstance(uuid, str) else None
        if event is None:
            event = await service.create_event(session, workspace, data)
            taken = (
                isinstance(uuid, str)
                and (
                    await session.execute(
                        select(CampaignEvent.id).where(CampaignEvent.uuid == uuid)  # UUIDs are unique everywhere
                    )
                ).first()
            )
            if isinstance(uuid, str) and not taken:
                event.uuid = uuid
        else:
            was_scheduling = event.status == "scheduling"
            if was_scheduling:
                event.status = "ready"  # an import rewrites it whatever a worker was doing: scheduled again below
            event = await service.update_event(session, workspace, event.uuid, data)
            if was_scheduling and event.status != "scheduling":
                service.reschedule(event)
        kept.add(event.uuid)
    for uuid in current:
        if uuid not in kept:
            await service.delete_event(session, workspace, uuid)
    campaign.modified_on = clock.now()


def _message(item: Mapping[str, Any]) -> dict[str, str]:
    """An export's message is ``{lang: text}``; older exports put the base language's text alone."""
    message = item.get("message")
    if isinstance(message, Mapping):
        return {str(k): str(v) for k, v in message.items()}
    return {str(item.get("base_language") or "eng"): str(message or "")}
