"""How many flows, smart groups and campaign events use each field: what a field listing shows beside each field.

The three counts come from rows that move the workspace's assets version whenever they change (a flow's saved
definition, which its dependency rows are written with; a smart group's query; a campaign event's field, and
whether it and its campaign are active: ``db/versioning.TRACKED``), so they are kept per process under that
version: a field listing reads its page and nothing else while they stand still (three statements fewer a
request, a round trip each on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import versioning
from sauti.domain.campaigns import queries as campaign_queries
from sauti.domain.flows import dependencies
from sauti.domain.groups import smart
from sauti.models import Workspace


@dataclass(frozen=True, slots=True)
class Usage:
    flows: int
    groups: int
    campaign_events: int


@dataclass(frozen=True, slots=True)
class Usages:
    """The workspace's counts: smart groups and flows by field key, campaign events by field id."""

    groups: Mapping[str, int]
    flows: Mapping[str, int]
    campaign_events: Mapping[int, int]

    def of(self, key: str, field_id: int) -> Usage:
        return Usage(
            flows=self.flows.get(key, 0),
            groups=self.groups.get(key, 0),
            campaign_events=self.campaign_events.get(field_id, 0),
        )


_KEPT: Final[versioning.Kept[Usages]] = versioning.Kept()


async def usages(session: AsyncSession, workspace: Workspace) -> Usages:
    """The counts of every field of ``workspace``, read again only when its assets version moved."""

    async def read() -> Usages:
        return Usages(
            groups=await smart.field_usage(session, workspace),
            flows=await dependencies.field_usage(session, workspace),
            campaign_events=await campaign_queries.field_usage(session, workspace),
        )

    return await _KEPT.get(session, workspace.id, read)
