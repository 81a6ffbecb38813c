"""Every select for campaigns and their events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import plain
from sauti.domain.scope import scoped
from sauti.models import Campaign, CampaignEvent, ContactField, ContactGroup, Workspace


def live_campaigns(workspace: Workspace) -> Select[Campaign]:
    """Campaigns the API shows and events may be added to: active and not archived."""
    return scoped(Campaign, workspace).where(Campaign.is_active, ~Campaign.is_archived)


@dataclass(frozen=True)
class CampaignFilter:
    uuid: str | None = None


def select_campaigns(workspace: Workspace, f: CampaignFilter) -> Select[Campaign]:
    stmt = live_campaigns(workspace)
    if f.uuid is not None:
        stmt = stmt.where(Campaign.uuid == f.uuid)
    return stmt


@dataclass(frozen=True)
class EventFilter:
    """``campaign`` is a campaign's UUID or its exact name, among all the workspace's campaigns (archived too);
    one that names nothing lists nothing."""

    uuid: str | None = None
    campaign: str | None = None


def live_events(workspace: Workspace) -> Select[CampaignEvent]:
    return scoped(CampaignEvent, workspace).where(CampaignEvent.is_active)


def select_events(workspace: Workspace, f: EventFilter) -> Select[CampaignEvent]:
    stmt = live_events(workspace)
    if f.uuid is not None:
        stmt = stmt.where(CampaignEvent.uuid == f.uuid)
    if f.campaign is not None:
        named = scoped(Campaign, workspace, Campaign.id).where(
            Campaign.is_active, (Campaign.uuid == f.campaign) | (Campaign.name == f.campaign)
        )
        stmt = stmt.where(CampaignEvent.campaign_id.in_(named.scalar_subquery()))
    return stmt


async def campaign_by_uuid(session: AsyncSession, workspace: Workspace, uuid: str) -> Campaign | None:
    found: Campaign | None = (
        await session.execute(live_campaigns(workspace).where(Campaign.uuid == uuid))
    ).scalar_one_or_none()
    return found


async def archived_by_uuid(session: AsyncSession, workspace: Workspace, uuid: str) -> Campaign | None:
    found: Campaign | None = (
        await session.execute(
            scoped(Campaign, workspace).where(Campaign.is_active, Campaign.is_archived, Campaign.uuid == uuid)
        )
    ).scalar_one_or_none()
    return found


async def event_by_uuid(session: AsyncSession, workspace: Workspace, uuid: str) -> CampaignEvent | None:
    found: CampaignEvent | None = (
        await session.execute(live_events(workspace).where(CampaignEvent.uuid == uuid))
    ).scalar_one_or_none()
    return found


async def name_taken(session: AsyncSession, workspace: Workspace, name: str, exclude_id: int | None = None) -> bool:
    """Names are unique among the workspace's active campaigns, case-insensitively."""
    stmt = scoped(Campaign, workspace, Campaign.id).where(Campaign.is_active, func.lower(Campaign.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(Campaign.id != exclude_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def datetime_field(session: AsyncSession, workspace: Workspace, key: str) -> ContactField | None:
    """An active field an event may be relative to by key, the system fields created_on and last_seen_on
    included (whatever its type: the caller says when it is not a datetime field)."""
    found: ContactField | None = (
        await session.execute(scoped(ContactField, workspace).where(ContactField.is_active, ContactField.key == key))
    ).scalar_one_or_none()
    return found


async def groups_of(session: AsyncSession, campaigns: Iterable[Campaign]) -> dict[int, ContactGroup]:
    ids = {c.group_id for c in campaigns}
    if not ids:
        return {}
    rows = await session.execute(select(ContactGroup).where(ContactGroup.id.in_(ids)))
    return {g.id: g for g in rows.scalars()}


async def campaigns_of(session: AsyncSession, events: Iterable[CampaignEvent]) -> dict[int, Campaign]:
    ids = {e.campaign_id for e in events}
    if not ids:
        return {}
    rows = await session.execute(select(Campaign).where(Campaign.id.in_(ids)))
    return {c.id: c for c in rows.scalars()}


async def fields_of(session: AsyncSession, events: Iterable[CampaignEvent]) -> dict[int, ContactField]:
    ids = {e.field_id for e in events}
    if not ids:
        return {}
    rows = await session.execute(select(ContactField).where(ContactField.id.in_(ids)))
    return {f.id: f for f in rows.scalars()}


# built once (building it cost more than running it): every field listing asks
_FIELD_USAGE = (
    select(CampaignEvent.field_id, func.count().label("n"))
    .join(Campaign, Campaign.id == CampaignEvent.campaign_id)
    .where(CampaignEvent.workspace_id == bindparam("ws"), CampaignEvent.is_active, Campaign.is_active)
    .group_by(CampaignEvent.field_id)
)
_FIELD_USAGE_OF = _FIELD_USAGE.where(CampaignEvent.field_id.in_(bindparam("fields", expanding=True)))


async def field_usage(
    session: AsyncSession, workspace: Workspace, field_ids: Sequence[int] | None = None
) -> dict[int, int]:
    """How many active events of active campaigns use each field (by field id)."""
    if field_ids is None:
        rows = await plain.rows(session, _FIELD_USAGE, {"ws": workspace.id})
    elif not field_ids:
        return {}
    else:
        rows = await plain.rows(session, _FIELD_USAGE_OF, {"ws": workspace.id, "fields": list(field_ids)})
    return {row.field_id: int(row.n) for row in rows.all()}


async def live_on_group(session: AsyncSession, workspace: Workspace, group_id: int) -> bool:
    """Whether a live (active, not archived) campaign is on the group."""
    stmt = live_campaigns(workspace).with_only_columns(Campaign.id).where(Campaign.group_id == group_id).limit(1)
    return (await session.execute(stmt)).first() is not None


async def listed(session: AsyncSession, workspace: Workspace, *, archived: bool = False) -> list[Campaign]:
    """The workspace's active campaigns, live or archived, oldest first."""
    stmt = scoped(Campaign, workspace).where(Campaign.is_active, Campaign.is_archived.is_(archived))
    return list((await session.execute(stmt.order_by(Campaign.created_on, Campaign.id))).scalars())
