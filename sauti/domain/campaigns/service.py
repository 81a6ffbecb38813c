"""Use cases for campaigns and their events.

Changing when an event fires (creating it, changing its offset, unit, delivery hour or field, changing its
campaign's group, restoring its campaign) never computes fires in the request: the event's ``fire_version``
moves on and its status becomes ``scheduling``, and a worker writes the fires of the whole group
(``worker/campaigns.py``). Fires computed for an older version are stale and skipped when they come due. While an
event is ``scheduling`` it cannot be changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import versioning
from sauti.domain.broadcasts.service import allowed_language, primary_language
from sauti.domain.campaigns import queries
from sauti.domain.campaigns.timing import UNIT_LETTERS
from sauti.domain.errors import GENERAL, ErrorCollector, Invalid, NotFound, Problem
from sauti.domain.flows import queries as flow_queries
from sauti.domain.groups.queries import by_reference as group_by_reference
from sauti.domain.names import check_name
from sauti.kit import clock
from sauti.models import Campaign, CampaignEvent, CampaignFire, ContactGroup, Flow, Workspace

MAX_MESSAGE_LENGTH = 4096
MAX_LANGUAGES = 50
START_MODES = {"interrupt": "I", "skip": "S", "passive": "P"}
MIN_HOUR, MAX_HOUR = -1, 23


# campaigns


async def _group(session: AsyncSession, workspace: Workspace, ref: str, errors: ErrorCollector) -> ContactGroup | None:
    group = await group_by_reference(session, workspace, ref) if ref else None
    if group is None:
        errors.add("group", "no_such_object", ref=ref)
    return group


async def create_campaign(session: AsyncSession, workspace: Workspace, *, name: str, group: str) -> Campaign:
    """A campaign on a group (by UUID or name); it has no events, so nothing is scheduled."""
    errors = ErrorCollector()
    if check_name(name, errors) and await queries.name_taken(session, workspace, name):
        errors.add("name", "unique")
    found = await _group(session, workspace, group, errors)
    errors.raise_if_any()
    assert found is not None
    now = clock.now()
    campaign = Campaign(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        name=name,
        group_id=found.id,
        is_archived=False,
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def get_campaign(session: AsyncSession, workspace: Workspace, uuid: str) -> Campaign:
    """A live (active, not archived) campaign."""
    campaign = await queries.campaign_by_uuid(session, workspace, uuid)
    if campaign is None:
        raise NotFound("campaign", uuid)
    return campaign


async def update_campaign(session: AsyncSession, workspace: Workspace, uuid: str, *, name: str, group: str) -> Campaign:
    """Rename a live campaign and/or move it to another group; a new group reschedules every event."""
    campaign = await get_campaign(session, workspace, uuid)
    errors = ErrorCollector()
    if check_name(name, errors) and await queries.name_taken(session, workspace, name, exclude_id=campaign.id):
        errors.add("name", "unique")
    found = await _group(session, workspace, group, errors)
    errors.raise_if_any()
    assert found is not None
    campaign.name = name
    if found.id != campaign.group_id:
        campaign.group_id = found.id
        await _reschedule_all(session, campaign)
    campaign.modified_on = clock.now()
    await session.flush()
    return campaign


async def archive_campaign(session: AsyncSession, workspace: Workspace, uuid: str) -> Campaign:
    """Archive a live campaign: its fires stop (pending ones are skipped when they come due)."""
    campaign = await get_campaign(session, workspace, uuid)
    campaign.is_archived = True
    campaign.modified_on = clock.now()
    await session.flush()
    return campaign


async def restore_campaign(session: AsyncSession, workspace: Workspace, uuid: str) -> Campaign:
    """Bring an archived campaign back: every event is rescheduled (fires missed meanwhile are not back-filled)."""
    campaign = await queries.archived_by_uuid(session, workspace, uuid)
    if campaign is None:
        raise NotFound("campaign", uuid)
    campaign.is_archived = False
    campaign.modified_on = clock.now()
    await _reschedule_all(session, campaign)
    await session.flush()
    return campaign


async def _reschedule_all(session: AsyncSession, campaign: Campaign) -> None:
    await versioning.move(session, [campaign.workspace_id])  # the events' fire versions move (kept plans)
    await session.execute(
        update(CampaignEvent)
        .where(CampaignEvent.campaign_id == campaign.id, CampaignEvent.is_active)
        .values(
            fire_version=CampaignEvent.fire_version + 1,
            status="scheduling",
            claimed_by=None,
            modified_on=clock.now(),
        )
        .execution_options(synchronize_session="fetch")
    )


def reschedule(event: CampaignEvent) -> None:
    """A new version of the event's fires is to be computed (the old ones are stale from now)."""
    event.fire_version += 1
    event.status = "scheduling"
    event.claimed_by = None
    event.failure = None
    event.modified_on = clock.now()


# events


@dataclass(frozen=True)
class EventInput:
    """An event as a caller gives it. ``campaign`` and ``relative_to`` (a field key) are references; ``unit``
    is minutes, hours, days or weeks; ``message`` is one text (in the workspace's default language) or texts by
    language; exactly one of ``message`` and ``flow`` (a flow UUID). ``campaign`` may be left out on update."""

    relative_to: str
    offset: int
    unit: str
    delivery_hour: int
    campaign: str | None = None
    message: str | Mapping[str, str] | None = None
    flow: str | None = None
    start_mode: str = "interrupt"


@dataclass(frozen=True)
class PartialEvent:
    """What of an event passed a dialect's own checks (``None``: absent or already refused); ``content``: false
    when the dialect refused the message or flow itself, so whether one of them is given is not judged."""

    relative_to: str | None = None
    unit: str | None = None
    delivery_hour: int | None = None
    campaign: str | None = None
    message: str | Mapping[str, str] | None = None
    flow: str | None = None
    start_mode: str = "interrupt"
    content: bool = True


@dataclass
class _Checked:
    campaign: Campaign | None = None
    field_id: int | None = None
    translations: dict[str, Any] | None = None
    flow: Flow | None = None


def _translations(workspace: Workspace, message: str | Mapping[str, str], errors: ErrorCollector) -> dict[str, Any]:
    default = primary_language(workspace)
    texts = {default: message} if isinstance(message, str) else dict(message)
    if len(texts) > MAX_LANGUAGES:
        errors.add("message", "too_many", max=MAX_LANGUAGES)
        return {}
    for lang, text in texts.items():
        if not allowed_language(lang):
            errors.add("message", "language_not_allowed", item=lang, value=lang)
        elif not text.strip():
            errors.add("message", "blank", item=lang)
        elif len(text) > MAX_MESSAGE_LENGTH:
            errors.add("message", "too_long", item=lang, max=MAX_MESSAGE_LENGTH)
    if default not in texts and not errors.has("message"):
        errors.add("message", "default_language_required", language=default)
    return {lang: {"text": text} for lang, text in texts.items()}


async def _check(
    session: AsyncSession, workspace: Workspace, data: EventInput | PartialEvent, errors: ErrorCollector
) -> _Checked:
    out = _Checked()
    if data.campaign is not None:
        out.campaign = await queries.campaign_by_uuid(session, workspace, data.campaign)
        if out.campaign is None:
            errors.add("campaign", "no_such_object", ref=data.campaign)
    if data.relative_to is not None:
        field = await queries.datetime_field(session, workspace, data.relative_to)
        if field is None:
            errors.add("relative_to", "no_such_object", ref=data.relative_to)
        elif field.value_type != "datetime":
            errors.add("relative_to", "field_not_datetime", ref=data.relative_to)
        else:
            out.field_id = field.id
    if data.unit is not None and data.unit not in UNIT_LETTERS:
        errors.add("unit", "invalid_choice", value=data.unit, choices=tuple(UNIT_LETTERS))
    if data.delivery_hour is not None and not MIN_HOUR <= data.delivery_hour <= MAX_HOUR:
        errors.add("delivery_hour", "invalid_choice", value=data.delivery_hour, choices=(MIN_HOUR, MAX_HOUR))
    if data.start_mode not in START_MODES:
        errors.add("start_mode", "invalid_choice", value=data.start_mode, choices=tuple(START_MODES))
    if isinstance(data, PartialEvent):
        if not data.content:
            return out
    elif (data.message is None) == (data.flow is None):  # judged once every field passed its own checks
        errors.add(GENERAL, "flow_or_message")
        return out
    if data.message is not None:
        out.translations = _translations(workspace, data.message, errors)
    if data.flow is not None and data.message is None:
        out.flow = await flow_queries.by_uuid(session, workspace, data.flow)
        if out.flow is None:
            errors.add("flow", "no_such_object", ref=data.flow)
    return out


async def event_problems(session: AsyncSession, workspace: Workspace, data: PartialEvent) -> list[Problem]:
    """The problems with what of an event a dialect could read (reported beside its own)."""
    errors = ErrorCollector()
    await _check(session, workspace, data, errors)
    return errors.problems


def _apply(workspace: Workspace, event: CampaignEvent, data: EventInput, checked: _Checked) -> bool:
    """Write the input onto the event; True when when it fires changed."""
    assert checked.field_id is not None
    unit = UNIT_LETTERS[data.unit]
    moved = (event.field_id, event.offset, event.unit, event.delivery_hour) != (
        checked.field_id,
        data.offset,
        unit,
        data.delivery_hour,
    )
    event.field_id = checked.field_id
    event.offset = data.offset
    event.unit = unit
    event.delivery_hour = data.delivery_hour
    event.start_mode = START_MODES[data.start_mode]
    if checked.flow is not None:
        event.event_type = "F"
        event.flow_id = checked.flow.id
        event.translations = None
        event.base_language = None
    else:
        event.event_type = "M"
        event.flow_id = None
        event.translations = checked.translations
        event.base_language = primary_language(workspace)
    return moved


async def create_event(session: AsyncSession, workspace: Workspace, data: EventInput) -> CampaignEvent:
    """A new event of a live campaign; its fires are computed by a worker (the event is ``scheduling``)."""
    errors = ErrorCollector()
    if data.campaign is None:
        errors.add("campaign", "required")
    checked = await _check(session, workspace, data, errors)
    errors.raise_if_any()
    assert checked.campaign is not None
    now = clock.now()
    event = CampaignEvent(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        campaign_id=checked.campaign.id,
        fire_version=0,
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    _apply(workspace, event, data, checked)
    reschedule(event)
    session.add(event)
    await session.flush()
    return event


async def get_event(session: AsyncSession, workspace: Workspace, uuid: str) -> CampaignEvent:
    event = await queries.event_by_uuid(session, workspace, uuid)
    if event is None:
        raise NotFound("campaign_event", uuid)
    return event


async def update_event(session: AsyncSession, workspace: Workspace, uuid: str, data: EventInput) -> CampaignEvent:
    """Change an event (its content freely, flow or message); a change of when it fires reschedules it. Refused
    while it is being scheduled, and for another campaign than its own."""
    event = await get_event(session, workspace, uuid)
    if event.status == "scheduling":
        raise Invalid.general("event_scheduling")
    errors = ErrorCollector()
    checked = await _check(session, workspace, data, errors)
    if checked.campaign is not None and checked.campaign.id != event.campaign_id:
        errors.add("campaign", "campaign_change")
    errors.raise_if_any()
    if data.campaign is None:  # the event's own campaign, which must still be live
        campaign = await session.get(Campaign, event.campaign_id)
        if campaign is None or not campaign.is_active or campaign.is_archived:
            raise Invalid.field("campaign", "no_such_object", ref=campaign.uuid if campaign else "")
    if _apply(workspace, event, data, checked) or event.status != "ready":
        reschedule(event)
    event.modified_on = clock.now()
    await session.flush()
    return event


async def delete_event(session: AsyncSession, workspace: Workspace, uuid: str) -> None:
    """Deactivate an event; its pending fires go."""
    event = await get_event(session, workspace, uuid)
    event.is_active = False
    event.modified_on = clock.now()
    await session.execute(
        delete(CampaignFire)
        .where(CampaignFire.event_id == event.id, CampaignFire.status == "pending")
        .execution_options(synchronize_session=False)
    )
    await session.flush()


async def events_of(session: AsyncSession, workspace: Workspace, campaign: Campaign) -> Sequence[CampaignEvent]:
    rows = await session.execute(
        queries.live_events(workspace)
        .where(CampaignEvent.campaign_id == campaign.id)
        .order_by(CampaignEvent.created_on, CampaignEvent.id)
    )
    return list(rows.scalars())
