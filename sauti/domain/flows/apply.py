"""Doing what a sprint's events say happened, through the same domain services the dialects use.

- ``msg_created``: an outgoing message queued for the outbox with ``messages.flow_id`` set (high priority when
  the sprint answers the contact, bulk priority for a start to many); a contact no channel can reach, or that
  is not active, gets a failed message, as any send does.
- ``contact_name_changed``, ``contact_language_changed``, ``contact_field_changed``, ``contact_urns_changed``:
  gathered and saved in one ``contacts.service.update`` (so smart groups are re-evaluated once per sprint);
  ``contact_status_changed`` through ``contacts.service.set_status``; ``contact_groups_changed`` through
  ``contacts.service.change_group`` for manual groups (smart groups follow re-evaluation).
- ``input_labels_added``: the inbound message labelled.
- ``broadcast_created``: a real broadcast, expanded by the worker like any other.
- ``session_triggered``: a flow start of type ``flow``, expanded by the worker; its trigger carries the
  spawning run's summary.
- ``ticket_opened``: a ticket through ``tickets.service.open_ticket`` (the engine's UUID, ``opened_in`` the
  run's flow; a topic deleted since the sprint began falls back to the system topic, an assignee no longer in
  the workspace leaves it unassigned); nothing when the contact has an open ticket by now.
  ``ticket_note_added``: the note on the ticket the same sprint opened.

- ``contact_timezone_changed``: saved on the contact's row as it is (the engine checked the name); no dialect
  shows it, the engine reads it back in later sprints (``@contact.timezone``, dates in the contact's zone).

``webhook_called`` and the other log-only events are not kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.broadcasts import service as broadcasts
from sauti.domain.contacts import queries as contact_queries
from sauti.domain.contacts import service as contacts
from sauti.domain.errors import Invalid
from sauti.domain.groups import queries as group_queries
from sauti.domain.labels import queries as label_queries
from sauti.domain.messages import actions as message_actions
from sauti.domain.messages.send import Content, Route, Sender, outgoing_row, queue_one, route
from sauti.domain.tickets import queries as ticket_queries
from sauti.domain.tickets import service as tickets
from sauti.domain.topics import queries as topic_queries
from sauti.engine.events import Event
from sauti.kit import urns as kurns
from sauti.models import Contact, Message, Ticket, Workspace

log = logging.getLogger("sauti.flows")


@dataclass
class Applied:
    """What applying a sprint did that its caller needs: the messages it queued, and starts it recorded."""

    messages: list[Message] = field(default_factory=list)
    start_ids: list[int] = field(default_factory=list)


# the event types apply_events acts on (the others are the engine's log only, and left alone): a type it acts on
# must be here, or it is never applied
HANDLED: Final = frozenset(
    {
        "msg_created",
        "contact_name_changed",
        "contact_language_changed",
        "contact_timezone_changed",
        "contact_field_changed",
        "contact_urns_changed",
        "contact_status_changed",
        "contact_groups_changed",
        "input_labels_added",
        "broadcast_created",
        "ticket_opened",
        "ticket_note_added",
        "session_triggered",
    }
)


def in_memory(events: Sequence[Event], *, routed: bool) -> bool:
    """Whether :func:`apply_events` sends no statement for ``events``: each is a message it queues to its
    ``outbox`` (given, with ``urns`` and ``channels`` to route it when ``routed``) or one it leaves alone. Its
    caller may then apply them before writing what they would otherwise have to see written first."""
    return all(e.type not in HANDLED or (routed and e.type == "msg_created") for e in events)


def _urn_text(text: str) -> str:
    """A URN of an event without its channel affinity or display."""
    try:
        return kurns.identity(kurns.parse(text))
    except kurns.URNError:
        return text


async def apply_events(
    session: AsyncSession,
    workspace: Workspace,
    contact: Contact,
    events: Sequence[Event],
    *,
    flow_ids: Mapping[str, int],
    run_flows: Mapping[str, str],
    high_priority: bool,
    input_message: Message | None = None,
    urns: Sequence[Any] | None = None,
    channels: Sequence[Sender] | None = None,
    outbox: list[dict[str, Any]] | None = None,
) -> Applied:
    """Apply ``events`` of one sprint of ``contact``'s session. ``run_flows`` maps a run UUID to its flow UUID
    and ``flow_ids`` a flow UUID to its row id (to set ``messages.flow_id``); ``urns`` (the contact's URN rows
    in priority order) and ``channels`` (the sending channels), when given, route its messages without
    another look-up; with ``outbox`` too, the messages' rows are appended there for the caller to insert at once
    (``Applied.messages`` then stays empty)."""
    applied = Applied()
    opened: dict[str, Ticket] = {}
    via: Route | None = None
    changes = contacts.ContactInput()
    changed = False
    field_values: dict[str, Any] = {}
    for event in events:
        kind = event.type
        if kind not in HANDLED:
            continue
        data = event.data
        if kind == "msg_created":
            flow_id = flow_ids.get(run_flows.get(event.run_uuid or "", ""))
            if via is None and urns is not None and channels is not None:
                via = route(urns, channels)
            if outbox is not None and via is not None:
                content = _content(data.get("msg") or {})
                outbox.append(
                    outgoing_row(workspace, contact, via, content, high_priority=high_priority, flow_id=flow_id)
                )
            else:
                applied.messages.append(
                    await _queue(session, workspace, contact, data.get("msg") or {}, flow_id, high_priority, via)
                )
        elif kind == "contact_name_changed":
            changes.name = data.get("name") or None
            changed = True
        elif kind == "contact_language_changed":
            changes.language = data.get("language") or None
            changed = True
        elif kind == "contact_timezone_changed":
            contact.timezone = str(data.get("timezone") or "") or None
        elif kind == "contact_field_changed":
            ref = data.get("field") or {}
            value = data.get("value")
            field_values[str(ref.get("key"))] = value.get("text") if isinstance(value, Mapping) else None
            changed = True
        elif kind == "contact_urns_changed":
            changes.urns = [_urn_text(u) for u in data.get("urns") or ()]
            changed = True
        elif kind == "contact_status_changed":
            await contacts.set_status(session, workspace, [contact], str(data.get("status")))
        elif kind == "contact_groups_changed":
            await _groups(session, workspace, contact, data)
        elif kind == "input_labels_added" and input_message is not None:
            await _labels(session, workspace, input_message, data.get("labels") or ())
        elif kind == "broadcast_created":
            await _broadcast(session, workspace, data)
        elif kind == "ticket_opened" and contact.is_active:
            flow_id = flow_ids.get(run_flows.get(event.run_uuid or "", ""))
            ticket = await _ticket_opened(session, workspace, contact, data.get("ticket") or {}, flow_id)
            if ticket is not None:
                opened[ticket.uuid] = ticket
        elif kind == "ticket_note_added":
            noted = opened.get(str(data.get("ticket_uuid")))
            note = str(data.get("note") or "").strip()
            if noted is not None and note:
                await tickets.add_note(session, noted, note[: tickets.MAX_NOTE], user=None, origin="flow")
        elif kind == "session_triggered":
            start_id = await _session_triggered(session, workspace, data)
            if start_id is not None:
                applied.start_ids.append(start_id)
    if changed and contact.is_active:
        if field_values:
            changes.fields = field_values
        try:
            await contacts.update(session, workspace, contact, changes)
        except Invalid:
            # DECISION: a value the contacts domain refuses (a language it doesn't know, a URN another contact
            # holds ...) is left unsaved, as any caller's invalid input is; the sprint's other effects stand
            log.warning("flow changes to contact %s refused by the contacts domain", contact.uuid)
    return applied


def _content(msg: Mapping[str, Any]) -> Content:
    replies = [dict(q) if isinstance(q, Mapping) else {"text": str(q)} for q in msg.get("quick_replies") or () if q]
    return Content(
        text=str(msg.get("text") or ""), attachments=list(msg.get("attachments") or ()), quick_replies=replies
    )


async def _queue(
    session: AsyncSession,
    workspace: Workspace,
    contact: Contact,
    msg: Mapping[str, Any],
    flow_id: int | None,
    high_priority: bool,
    via: Route | None,
) -> Message:
    replies = [dict(q) if isinstance(q, Mapping) else {"text": str(q)} for q in msg.get("quick_replies") or () if q]
    content = Content(
        text=str(msg.get("text") or ""), attachments=list(msg.get("attachments") or ()), quick_replies=replies
    )
    return await queue_one(
        session, workspace, contact, content, high_priority=high_priority, flow_id=flow_id, via=via, flush=False
    )


async def _groups(session: AsyncSession, workspace: Workspace, contact: Contact, data: Mapping[str, Any]) -> None:
    if not contact.is_active:
        return
    for key, add in (("groups_added", True), ("groups_removed", False)):
        refs = [str(g.get("uuid")) for g in data.get(key) or () if isinstance(g, Mapping)]
        if not refs:
            continue
        found = await group_queries.by_references(session, workspace, refs)
        for ref in refs:
            group = found.get(ref)
            if group is None or group.group_type != "manual":
                continue  # a smart group follows re-evaluation; a deleted one is gone
            if add and contact.status != "active":
                continue
            await contacts.change_group(session, workspace, [contact], group, add)


async def _labels(
    session: AsyncSession, workspace: Workspace, message: Message, refs: Sequence[Mapping[str, Any]]
) -> None:
    for ref in refs:
        label = await label_queries.by_uuid(session, workspace, str(ref.get("uuid")))
        if label is not None:
            await message_actions.label(session, [message], label)


async def _contact_ids(session: AsyncSession, workspace: Workspace, refs: Sequence[Any]) -> list[int]:
    uuids = [str(c.get("uuid")) for c in refs if isinstance(c, Mapping) and c.get("uuid")]
    found = await contact_queries.by_references(session, workspace, uuids) if uuids else {}
    return list(dict.fromkeys(c.id for c in found.values() if c.is_active))


async def _group_ids(session: AsyncSession, workspace: Workspace, refs: Sequence[Any]) -> list[int]:
    uuids = [str(g.get("uuid")) for g in refs if isinstance(g, Mapping) and g.get("uuid")]
    found = await group_queries.by_references(session, workspace, uuids) if uuids else {}
    return list(dict.fromkeys(g.id for g in found.values()))


async def _broadcast(session: AsyncSession, workspace: Workspace, data: Mapping[str, Any]) -> None:
    translations = data.get("translations") or {}
    if not translations:
        return
    contact_ids = await _contact_ids(session, workspace, data.get("contacts") or ())
    group_ids = await _group_ids(session, workspace, data.get("groups") or ())
    urn_list = [_urn_text(u) for u in data.get("urns") or ()]
    if not (contact_ids or group_ids or urn_list):
        return
    base = str(data.get("base_language") or next(iter(translations)))
    await broadcasts.create(
        session,
        workspace,
        translations=translations,
        base_language=base,
        urn_list=urn_list,
        contact_ids=contact_ids,
        group_ids=group_ids,
    )


async def _ticket_opened(
    session: AsyncSession, workspace: Workspace, contact: Contact, data: Mapping[str, Any], flow_id: int | None
) -> Ticket | None:
    topic_ref = data.get("topic") or {}
    topic = await topic_queries.by_uuid(session, workspace, str(topic_ref.get("uuid")))
    if topic is None:
        topic = await topic_queries.default_topic(session, workspace)
    if topic is None:
        return None
    assignee_ref = data.get("assignee")
    assignee = None
    if isinstance(assignee_ref, Mapping) and assignee_ref.get("email"):
        assignee = await ticket_queries.member_by_email(session, workspace, str(assignee_ref["email"]))
    return await tickets.open_ticket(
        session,
        workspace,
        contact,
        topic=topic,
        assignee=assignee,
        opened_in_id=flow_id,
        origin="flow",
        uuid=str(data.get("uuid") or "") or None,
    )


async def _session_triggered(session: AsyncSession, workspace: Workspace, data: Mapping[str, Any]) -> int | None:
    from sauti.domain.flows import queries, starts

    ref = data.get("flow") or {}
    flow = await queries.by_uuid(session, workspace, str(ref.get("uuid")))
    if flow is None or flow.is_archived:
        return None
    contact_ids = await _contact_ids(session, workspace, data.get("contacts") or ())
    group_ids = await _group_ids(session, workspace, data.get("groups") or ())
    urn_list = [_urn_text(u) for u in data.get("urns") or ()]
    if not (contact_ids or group_ids or urn_list):
        return None
    exclusions = data.get("exclusions") or {}
    start = await starts.record(
        session,
        workspace,
        flow=flow,
        contact_ids=contact_ids,
        group_ids=group_ids,
        urns=urn_list,
        params={},
        restart_participants=not exclusions.get("started_previously"),
        exclude_active=bool(exclusions.get("in_a_flow")),
        start_type="flow",
        created_by_id=None,
        extra={"run_summary": data.get("run_summary") or {}, "history": data.get("history") or {}},
    )
    return start.id
