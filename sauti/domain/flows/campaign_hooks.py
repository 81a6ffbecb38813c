"""Where flows meet campaigns in exports and imports: thin doors to ``domain/campaigns/exports.py``."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.models import Workspace

AVAILABLE = True  # campaigns are exported and imported


@dataclass
class CampaignExport:
    """Campaigns as export items, and what they need beside them (flows their events start, their groups and
    the fields their events are relative to)."""

    campaigns: list[dict[str, Any]] = field(default_factory=list)
    flow_ids: set[int] = field(default_factory=set)
    group_ids: set[int] = field(default_factory=set)
    field_keys: set[str] = field(default_factory=set)


async def export_campaigns(
    session: AsyncSession,
    workspace: Workspace,
    *,
    campaign_uuids: Sequence[str],
    using_flow_ids: Collection[int],
) -> CampaignExport:
    """The named campaigns, plus (when ``using_flow_ids`` is given) the campaigns with events starting those
    flows."""
    from sauti.domain.campaigns import exports  # campaigns reach into flows: imported when used

    found = await exports.collect(session, workspace, campaign_uuids, using_flow_ids)
    return CampaignExport(found.items, found.flow_ids, found.group_ids, found.field_keys)


async def import_campaigns(
    session: AsyncSession,
    workspace: Workspace,
    items: Sequence[Mapping[str, Any]],
) -> int:
    """Create or update (by UUID) the campaigns of an export file, once its groups, fields and flows are saved;
    the number imported."""
    from sauti.domain.campaigns import exports

    return len(await exports.import_campaigns(session, workspace, items))
