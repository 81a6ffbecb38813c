"""Where flows meet campaigns in exports and imports: the campaigns code fills these in.

Until campaigns land there are no campaigns to export, and an export file's campaigns are counted but not
imported (the import says so). Each function keeps its signature when it is filled in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.models import Workspace

AVAILABLE = False  # true once campaigns can be exported and imported


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
    flows. None until campaigns land."""
    return CampaignExport()


async def import_campaigns(
    session: AsyncSession,
    workspace: Workspace,
    items: Sequence[Mapping[str, Any]],
) -> int:
    """Create or update (by UUID) the campaigns of an export file, once its groups, fields and flows are saved;
    the number imported. Nothing is imported until campaigns land."""
    return 0
