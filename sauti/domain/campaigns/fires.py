"""Campaign fires: computing them (for a whole group when an event is scheduled, for a few contacts when they
join or leave a group, when a date of theirs changes) and carrying them out when they come due.

Fires are plain rows written in bulk (``db/bulk.py``); no ORM object is made for any. A fire carries the
event's ``fire_version`` of when it was computed; when it comes due, a fire whose event is gone, was changed
since (another version), or whose campaign is archived is *stale* and skipped, as is one whose contact left the
group meanwhile. A fire is carried out once: its row moves to ``fired`` (or ``skipped``) and stays as the record.

The tables reached here from a group or a contact (memberships, values) belong to the workspace of the group or
contact the caller selected through ``domain/scope.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import versioning
from sauti.db.base import table_of
from sauti.db.bulk import insert_rows
from sauti.domain.campaigns.timing import fire_time
from sauti.domain.messages.send import Content, queue_many
from sauti.kit import clock
from sauti.models import (
    Campaign,
    CampaignEvent,
    CampaignFire,
    Contact,
    ContactField,
    ContactValue,
    Flow,
    GroupMember,
    Workspace,
)

SYSTEM_ANCHORS = {"created_on": Contact.created_on, "last_seen_on": Contact.last_seen_on}


@dataclass(frozen=True)
class _Plan:
    """What computing an event's fires needs, read once."""

    event_id: int
    workspace_id: int
    group_id: int
    field_id: int
    field_key: str
    system: bool
    offset: int
    unit: str
    delivery_hour: int
    fire_version: int


# each workspace's plans of events relative to last_seen_on (every inbound message asks), kept under its assets
# version: campaigns and their events move it, by the ORM or by hand where they are rescheduled in bulk
_SEEN_PLANS: Final[versioning.Kept[tuple[_Plan, ...]]] = versioning.Kept()


def _anchors(plan: _Plan, contact_ids: Sequence[int] | None) -> Any:
    """(contact id, anchor) of the group's active members that have a date for the event's field."""
    if plan.system:
        anchor: Any = SYSTEM_ANCHORS[plan.field_key]
        stmt = select(Contact.id, anchor).join(GroupMember, GroupMember.contact_id == Contact.id)
    else:
        anchor = ContactValue.datetime_value
        stmt = (
            select(Contact.id, anchor)
            .join(GroupMember, GroupMember.contact_id == Contact.id)
            .join(ContactValue, (ContactValue.contact_id == Contact.id) & (ContactValue.field_id == plan.field_id))
        )
    stmt = stmt.where(
        GroupMember.group_id == plan.group_id,
        Contact.workspace_id == plan.workspace_id,
        Contact.is_active,
        anchor.is_not(None),
    )
    if contact_ids is not None:
        stmt = stmt.where(Contact.id.in_(list(contact_ids)))
    return stmt


async def _write(session: AsyncSession, plan: _Plan, tz: ZoneInfo, contact_ids: Sequence[int] | None) -> int:
    """Compute and insert the fires of ``plan`` for the group's members (or those of ``contact_ids``)."""
    now = clock.now()
    rows: list[dict[str, Any]] = []
    result = await session.execute(_anchors(plan, contact_ids))
    for contact_id, anchor in result:
        when = fire_time(anchor, plan.offset, plan.unit, plan.delivery_hour, tz, now)
        if when is not None:
            rows.append(
                {
                    "workspace_id": plan.workspace_id,
                    "event_id": plan.event_id,
                    "contact_id": contact_id,
                    "fire_version": plan.fire_version,
                    "fire_on": when,
                    "status": "pending",
                }
            )
    await insert_rows(session, table_of(CampaignFire), rows)
    return len(rows)


async def _drop_pending(session: AsyncSession, event_ids: Iterable[int], contact_ids: Sequence[int] | None) -> None:
    stmt = delete(CampaignFire).where(
        CampaignFire.event_id.in_(list(event_ids)), CampaignFire.status == "pending", CampaignFire.claimed_by.is_(None)
    )
    if contact_ids is not None:
        stmt = stmt.where(CampaignFire.contact_id.in_(list(contact_ids)))
    await session.execute(stmt.execution_options(synchronize_session=False))


def _plans_select(*conditions: ColumnElement[bool]) -> Any:
    return (
        select(
            CampaignEvent.id,
            CampaignEvent.workspace_id,
            Campaign.group_id,
            CampaignEvent.field_id,
            ContactField.key,
            ContactField.is_system,
            CampaignEvent.offset,
            CampaignEvent.unit,
            CampaignEvent.delivery_hour,
            CampaignEvent.fire_version,
        )
        .join(Campaign, Campaign.id == CampaignEvent.campaign_id)
        .join(ContactField, ContactField.id == CampaignEvent.field_id)
        .where(CampaignEvent.is_active, Campaign.is_active, ~Campaign.is_archived, *conditions)
    )


async def _plans(session: AsyncSession, *conditions: ColumnElement[bool]) -> list[_Plan]:
    return [_Plan(*row) for row in await session.execute(_plans_select(*conditions))]


async def _timezone(session: AsyncSession, workspace_id: int) -> ZoneInfo:
    workspace = await session.get(Workspace, workspace_id)
    assert workspace is not None
    return ZoneInfo(workspace.timezone)


async def schedule(session: AsyncSession, event: CampaignEvent) -> int:
    """Write every fire of the event for its current version, for every member of its campaign's group, after
    dropping the event's pending fires; the event is then ``ready``. Returns how many fires were written (none
    when the event or its campaign is no longer live)."""
    await _drop_pending(session, [event.id], None)
    written = 0
    plans = await _plans(session, CampaignEvent.id == event.id)
    if plans:
        written = await _write(session, plans[0], await _timezone(session, event.workspace_id), None)
    event.status = "ready"
    event.claimed_by = None
    event.failure = None
    await session.flush()
    return written


async def recompute(
    session: AsyncSession, workspace_id: int, contact_ids: Sequence[int], plans: Sequence[_Plan]
) -> None:
    """Drop and recompute the pending fires of ``plans`` for these contacts (those still members)."""
    if not plans or not contact_ids:
        return
    await session.flush()  # the dates just written are what the anchors are read from (sessions never autoflush)
    await _drop_pending(session, [p.event_id for p in plans], contact_ids)
    tz = await _timezone(session, workspace_id)
    for plan in plans:
        await _write(session, plan, tz, contact_ids)


async def membership_changed(
    session: AsyncSession, adds: Sequence[tuple[int, int]], removes: Sequence[tuple[int, int]]
) -> None:
    """Contacts joined groups (``adds``) or left them (``removes``), as ``(group_id, contact_id)`` pairs: a
    leaver's pending fires of the group's campaigns go, a joiner's are computed."""
    groups = {g for g, _ in adds} | {g for g, _ in removes}
    if not groups:
        return
    plans = await _plans(session, Campaign.group_id.in_(groups))
    if not plans:
        return
    by_group: dict[int, list[_Plan]] = {}
    for plan in plans:
        by_group.setdefault(plan.group_id, []).append(plan)
    for group_id, group_plans in by_group.items():
        left = sorted({c for g, c in removes if g == group_id})
        if left:
            await _drop_pending(session, [p.event_id for p in group_plans], left)
        joined = sorted({c for g, c in adds if g == group_id})
        if joined:
            await recompute(session, group_plans[0].workspace_id, joined, group_plans)


async def dates_changed(
    session: AsyncSession, workspace: Workspace, contact_ids: Sequence[int], field_ids: Iterable[int]
) -> None:
    """The values of these fields changed for these contacts: the fires of events relative to them move."""
    ids = list(field_ids)
    if not ids or not contact_ids:
        return
    plans = await _plans(session, CampaignEvent.workspace_id == workspace.id, CampaignEvent.field_id.in_(ids))
    await recompute(session, workspace.id, contact_ids, plans)


async def seen(session: AsyncSession, workspace: Workspace, contact_ids: Sequence[int]) -> None:
    """An incoming message moved these contacts' ``last_seen_on``: events relative to it move."""
    if not contact_ids:
        return

    async def read() -> tuple[_Plan, ...]:
        found = await _plans(
            session,
            CampaignEvent.workspace_id == workspace.id,
            ContactField.key == "last_seen_on",
            ContactField.is_system.is_(True),
        )
        return tuple(found)

    plans = await _SEEN_PLANS.get(session, workspace.id, read)
    if plans:
        await recompute(session, workspace.id, contact_ids, list(plans))


@dataclass(frozen=True)
class DueFire:
    id: int
    event_id: int
    contact_id: int
    fire_version: int


async def _mark(session: AsyncSession, ids: Sequence[int], status: str, now: datetime) -> None:
    if ids:
        await session.execute(
            update(CampaignFire)
            .where(CampaignFire.id.in_(list(ids)))
            .values(status=status, claimed_by=None, fired_on=now)
            .execution_options(synchronize_session=False)
        )


async def live_for(session: AsyncSession, fires: Sequence[DueFire]) -> tuple[dict[int, CampaignEvent], set[int]]:
    """The live events of these fires (active, campaign active and not archived) and the ids of the fires
    whose contact is still an active member of the campaign's group."""
    event_ids = {f.event_id for f in fires}
    rows = await session.execute(
        select(CampaignEvent, Campaign.group_id)
        .join(Campaign, Campaign.id == CampaignEvent.campaign_id)
        .where(CampaignEvent.id.in_(event_ids), CampaignEvent.is_active, Campaign.is_active, ~Campaign.is_archived)
    )
    events: dict[int, CampaignEvent] = {}
    groups: dict[int, int] = {}
    for event, group_id in rows:
        events[event.id] = event
        groups[event.id] = group_id
    members: set[tuple[int, int]] = set()
    wanted = {f.contact_id for f in fires}
    if groups and wanted:
        found = await session.execute(
            select(GroupMember.group_id, GroupMember.contact_id)
            .join(Contact, Contact.id == GroupMember.contact_id)
            .where(
                GroupMember.group_id.in_(set(groups.values())),
                GroupMember.contact_id.in_(wanted),
                Contact.is_active,
            )
        )
        members = {(g, c) for g, c in found}
    fresh = {
        f.id
        for f in fires
        if f.event_id in events
        and events[f.event_id].fire_version == f.fire_version
        and (groups[f.event_id], f.contact_id) in members
    }
    return events, fresh


async def carry_out(
    session: AsyncSession,
    fires: Sequence[DueFire],
    *,
    send: Any,
    start: Any,
) -> tuple[int, int]:
    """Carry out claimed due fires: stale ones are skipped; the others, grouped by event, are handed to ``send``
    (message events) or ``start`` (flow events) as ``(session, event, contact_ids)``. Returns (fired, skipped)."""
    now = clock.now()
    events, fresh = await live_for(session, fires)
    skipped = [f.id for f in fires if f.id not in fresh]
    by_event: dict[int, list[DueFire]] = {}
    for f in fires:
        if f.id in fresh:
            by_event.setdefault(f.event_id, []).append(f)
    fired: list[int] = []
    for event_id, group in by_event.items():
        event = events[event_id]
        contact_ids = list(dict.fromkeys(f.contact_id for f in group))
        if event.event_type == "F":
            await start(session, event, contact_ids)
        else:
            await send(session, event, contact_ids)
        fired.extend(f.id for f in group)
    await _mark(session, fired, "fired", now)
    await _mark(session, skipped, "skipped", now)
    return len(fired), len(skipped)


async def group_refilled(session: AsyncSession, group_id: int, workspace_id: int) -> None:
    """A group's members were re-evaluated in bulk (a smart group's query changed): every event of the
    group's live campaigns is rescheduled, as when a campaign's group changes."""
    await versioning.move(session, [workspace_id])  # the events' fire versions move (kept plans)
    live = select(Campaign.id).where(Campaign.group_id == group_id, Campaign.is_active, ~Campaign.is_archived)
    await session.execute(
        update(CampaignEvent)
        .where(CampaignEvent.campaign_id.in_(live.scalar_subquery()), CampaignEvent.is_active)
        .values(
            fire_version=CampaignEvent.fire_version + 1,
            status="scheduling",
            claimed_by=None,
            modified_on=clock.now(),
        )
        .execution_options(synchronize_session="fetch")
    )


async def send_message(session: AsyncSession, event: CampaignEvent, contact_ids: Sequence[int]) -> int:
    """A message event's fire: one message to each of these contacts (active ones), its text the event's
    translation in the contact's language (else the event's base language) evaluated for that contact as a flow
    evaluates its templates (``texts.py``), queued in bulk for the outbox as a broadcast's are. The event's
    start mode applies as to a flow event (upstream the event is a one-node flow): interrupt (the default) ends
    the waiting session of each recipient before the message is queued, skip leaves out contacts waiting in a
    flow, passive sends without touching their sessions. Returns how many were queued.

    DECISION: no broadcast row is recorded (campaign messages are not broadcasts.json's: upstream they come
    from the campaign, not from a broadcast); the messages are ordinary outgoing messages."""
    from sauti.domain.campaigns import texts
    from sauti.domain.flows import runner  # flows reach back into contacts and groups: imported when used

    workspace = await session.get(Workspace, event.workspace_id)
    assert workspace is not None
    ids = list(contact_ids)
    if event.start_mode == "S":
        busy = await runner.contacts_in_flows(session, workspace, ids)
        ids = [c for c in ids if c not in busy]
    if not ids:
        return 0
    live = (
        Contact.workspace_id == event.workspace_id,
        Contact.id.in_(ids),
        Contact.is_active,
        Contact.status == "active",
    )
    contents: dict[int, Content]
    recipients: Sequence[Any]
    if texts.is_template(event):
        rows = await session.execute(select(Contact).where(*live).order_by(Contact.id))
        recipients = list(rows.scalars())
        contents = await texts.evaluated(session, workspace, event, recipients)
    else:  # nothing to evaluate: the columns queuing reads, one content per language
        recipients = list(
            await session.execute(
                select(Contact.id, Contact.language, Contact.is_active, Contact.status)
                .where(*live)
                .order_by(Contact.id)
            )
        )
        by_language = {lang: Content(text=texts.template(event, lang)) for lang in {r.language for r in recipients}}
        contents = {r.id: by_language[r.language] for r in recipients}
    if not recipients:
        return 0
    if event.start_mode not in ("S", "P"):
        await runner.interrupt_contacts(session, workspace, [r.id for r in recipients])
    return await queue_many(session, workspace, recipients, contents, broadcast_id=None)


MODES = {"I": "interrupt", "S": "skip", "P": "passive"}


async def start_flow(session: AsyncSession, event: CampaignEvent, contact_ids: Sequence[int]) -> int:
    """A flow event's fire: start the event's flow for these contacts with a ``campaign`` trigger, in the
    event's start mode (interrupt ends a waiting session, skip leaves those contacts alone, passive starts
    beside it). Returns how many sessions began."""
    from sauti.domain.flows import runner  # flows reach back into contacts and groups: imported when used

    workspace = await session.get(Workspace, event.workspace_id)
    flow = await session.get(Flow, event.flow_id) if event.flow_id is not None else None
    campaign = await session.get(Campaign, event.campaign_id)
    assert workspace is not None and campaign is not None
    if flow is None:
        return 0
    trigger = {
        "type": "campaign",
        "event": {
            "type": "campaign_fired",
            "campaign": {"uuid": campaign.uuid, "name": campaign.name},
            "point_uuid": event.uuid,
        },
    }
    return await runner.start_contacts(
        session, workspace, flow, list(contact_ids), trigger=trigger, mode=MODES.get(event.start_mode, "interrupt")
    )
