"""Use cases for tickets: opening one (a flow's ``open_ticket``), and the changes people make to them
(``ticket_actions.json``): assign, add a note, change the topic, close, reopen.

Rules (reference E5 and §10):

- a contact has at most one open ticket: opening one for a contact who has one opens nothing, and reopening a
  ticket whose contact has another open ticket (one reopened earlier in the same request included) does
  nothing to it;
- a ticket counts as changed only when something changed, and only a change is recorded as a
  :class:`~sauti.models.TicketEvent`: assigning to the current assignee, changing to the current topic,
  closing a closed ticket and reopening an open one are no-ops, reported back as failures;
- every change moves the kept counts of the topics involved (``topics.service.count_change``) and the contact's
  count of open tickets (``contacts.tickets``, what the "Open Tickets" smart group reads, re-evaluated at once),
  in the same transaction.

DECISION: any token holder of the workspace may assign tickets (memberships have no ``can_assign`` flag yet);
the assignee may be any user of the workspace, whatever their role. A closed ticket may still be assigned,
noted or moved to another topic (upstream does not refuse it either).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import GENERAL, ErrorCollector, Problem
from sauti.domain.groups import smart
from sauti.domain.scope import scoped
from sauti.domain.tickets import queries
from sauti.domain.topics import queries as topic_queries
from sauti.domain.topics import service as topics
from sauti.kit import clock
from sauti.models import Contact, Ticket, TicketEvent, Topic, User, Workspace

ACTIONS = ("assign", "add_note", "change_topic", "close", "reopen")
MAX_NOTE = 10_000


def _event(
    ticket: Ticket,
    kind: str,
    *,
    user: User | None,
    origin: str,
    note: str | None = None,
    topic_id: int | None = None,
    assignee_id: int | None = None,
) -> TicketEvent:
    return TicketEvent(
        workspace_id=ticket.workspace_id,
        ticket_id=ticket.id,
        event_type=kind,
        note=note,
        topic_id=topic_id,
        assignee_id=assignee_id,
        created_by_id=user.id if user is not None else None,
        origin=origin,
        created_on=clock.now(),
    )


async def _open_count_changed(session: AsyncSession, workspace: Workspace, contacts: Sequence[Contact]) -> None:
    """The contacts' open tickets changed: their smart groups ("Open Tickets") follow at once."""
    if contacts:
        await session.flush()
        await smart.refresh_contacts(session, workspace, contacts)


async def open_ticket(
    session: AsyncSession,
    workspace: Workspace,
    contact: Contact,
    *,
    topic: Topic,
    assignee: User | None = None,
    note: str = "",
    opened_in_id: int | None = None,
    opened_by: User | None = None,
    origin: str = "flow",
    uuid: str | None = None,
) -> Ticket | None:
    """Open a ticket for ``contact`` (``uuid``: the one the engine gave it), or ``None`` when the contact already
    has an open ticket. A non-empty ``note`` (trimmed, at most 10000 characters) is recorded after the opening."""
    if await queries.open_ticket_of(session, workspace, contact.id) is not None:
        return None
    now = clock.now()
    ticket = Ticket(
        uuid=uuid or clock.new_uuid(),
        workspace_id=workspace.id,
        contact_id=contact.id,
        topic_id=topic.id,
        assignee_id=assignee.id if assignee is not None else None,
        status="open",
        opened_on=now,
        opened_in_id=opened_in_id,
        opened_by_id=opened_by.id if opened_by is not None else None,
        closed_on=None,
        modified_on=now,
        last_activity_on=now,
    )
    try:  # the check above cannot see a ticket another transaction is opening now: the index refuses the second
        async with session.begin_nested():
            session.add(ticket)
            await session.flush()
    except IntegrityError:
        return None  # DECISION: the one opened at the same moment stands; this one is not opened, as above
    assignee_id = assignee.id if assignee is not None else None
    session.add(_event(ticket, "opened", user=opened_by, origin=origin, topic_id=topic.id, assignee_id=assignee_id))
    note = note.strip()[:MAX_NOTE]
    if note:
        session.add(_event(ticket, "note_added", user=opened_by, origin=origin, note=note))
    await topics.count_change(session, topic.id, "open", 1)
    contact.tickets = (contact.tickets or 0) + 1
    await _open_count_changed(session, workspace, [contact])
    return ticket


async def add_note(session: AsyncSession, ticket: Ticket, note: str, *, user: User | None, origin: str) -> bool:
    """A note on the ticket (always a change; an empty note is refused before it gets here)."""
    ticket.modified_on = ticket.last_activity_on = clock.now()
    session.add(_event(ticket, "note_added", user=user, origin=origin, note=note))
    return True


@dataclass(frozen=True)
class TicketAction:
    """One action on many tickets, as a caller asks for it. ``assignee_given``: whether the body had the key
    (``assignee`` ``None`` with it is an unassignment)."""

    tickets: Sequence[str]
    action: str
    assignee: str | None = None
    assignee_given: bool = False
    note: str | None = None
    topic: str | None = None


@dataclass
class _Checked:
    tickets: list[Ticket]
    assignee: User | None
    topic: Topic | None


async def _check(session: AsyncSession, workspace: Workspace, req: TicketAction, errors: ErrorCollector) -> _Checked:
    found = await queries.by_uuids(session, workspace, [t for t in req.tickets if isinstance(t, str)])
    missing = next((ref for ref in req.tickets if ref not in found), None)
    if missing is not None:
        errors.add("tickets", "no_such_object", ref=missing)
    assignee: User | None = None
    if req.assignee is not None:
        assignee = await queries.member_by_email(session, workspace, req.assignee)
        if assignee is None:
            errors.add("assignee", "no_such_object", ref=req.assignee)
    topic: Topic | None = None
    if req.topic is not None:
        topic = await topic_queries.by_uuid(session, workspace, req.topic)
        if topic is None:
            errors.add("topic", "no_such_object", ref=req.topic)
    tickets = list({t.id: t for ref in req.tickets if (t := found.get(ref)) is not None}.values())
    return _Checked(tickets, assignee, topic)


async def check(session: AsyncSession, workspace: Workspace, req: TicketAction) -> list[Problem]:
    """The problems with the request's references (what a dialect reports beside its own)."""
    errors = ErrorCollector()
    await _check(session, workspace, req, errors)
    return errors.problems


async def apply(
    session: AsyncSession, workspace: Workspace, req: TicketAction, *, user: User | None, origin: str = "api"
) -> list[str]:
    """Apply the action to every ticket; returns the UUIDs of the tickets it left unchanged (a partial success,
    not an error). Every reference must name a ticket of the workspace, else nothing is done."""
    errors = ErrorCollector()
    checked = await _check(session, workspace, req, errors)
    action = req.action
    if action == "assign" and not req.assignee_given:
        errors.add(GENERAL, "action_field_required", action=action, field="assignee")
    elif action == "add_note" and not (req.note or "").strip():
        errors.add(GENERAL, "action_field_required", action=action, field="note")
    elif action == "change_topic" and req.topic is None:
        errors.add(GENERAL, "action_field_required", action=action, field="topic")
    errors.raise_if_any()
    now = clock.now()
    changed: list[Ticket] = []
    contacts: dict[int, Contact] = {}
    if action in ("close", "reopen"):
        ids = sorted({t.contact_id for t in checked.tickets})
        rows = await session.execute(scoped(Contact, workspace).where(Contact.id.in_(ids)))
        contacts = {c.id: c for c in rows.scalars()}
    open_now = (
        await queries.open_contact_ids(session, workspace, [t.contact_id for t in checked.tickets])
        if (action == "reopen")
        else set()
    )
    moved: list[Contact] = []
    for ticket in checked.tickets:
        if action == "assign":
            new_id = checked.assignee.id if checked.assignee is not None else None
            if ticket.assignee_id == new_id:
                continue
            ticket.assignee_id = new_id
            session.add(_event(ticket, "assigned", user=user, origin=origin, assignee_id=new_id))
        elif action == "add_note":
            await add_note(session, ticket, (req.note or "").strip(), user=user, origin=origin)
        elif action == "change_topic":
            assert checked.topic is not None
            if ticket.topic_id == checked.topic.id:
                continue
            await topics.count_change(session, ticket.topic_id, ticket.status, -1)
            await topics.count_change(session, checked.topic.id, ticket.status, 1)
            ticket.topic_id = checked.topic.id
            session.add(_event(ticket, "topic_changed", user=user, origin=origin, topic_id=checked.topic.id))
        elif action == "close":
            if ticket.status != "open":
                continue
            ticket.status = "closed"
            ticket.closed_on = now
            await topics.count_change(session, ticket.topic_id, "open", -1)
            await topics.count_change(session, ticket.topic_id, "closed", 1)
            contact = contacts[ticket.contact_id]
            contact.tickets = max((contact.tickets or 0) - 1, 0)
            moved.append(contact)
            session.add(_event(ticket, "closed", user=user, origin=origin))
        else:  # reopen
            if ticket.status != "closed" or ticket.contact_id in open_now:
                continue
            open_now.add(ticket.contact_id)
            ticket.status = "open"
            ticket.closed_on = None
            await topics.count_change(session, ticket.topic_id, "closed", -1)
            await topics.count_change(session, ticket.topic_id, "open", 1)
            contact = contacts[ticket.contact_id]
            contact.tickets = (contact.tickets or 0) + 1
            moved.append(contact)
            session.add(_event(ticket, "reopened", user=user, origin=origin))
        ticket.modified_on = now
        if action != "assign":
            ticket.last_activity_on = now
        changed.append(ticket)
    await session.flush()
    await _open_count_changed(session, workspace, list({c.id: c for c in moved}.values()))
    done = {t.id for t in changed}
    return [t.uuid for t in checked.tickets if t.id not in done]
