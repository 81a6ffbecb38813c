"""What happens when a contact writes to us, or a provider tells us about a contact."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.channels.base import ContactEvent, Incoming
from sauti.db import bulk
from sauti.domain.autoreplies import service as autoreplies
from sauti.domain.campaigns import fires
from sauti.domain.contacts import service as contacts
from sauti.domain.errors import Invalid
from sauti.domain.flows import inbound as flows
from sauti.domain.webhooks import events
from sauti.kit import clock, urns
from sauti.models import Channel, Contact, ContactURN, Message, Workspace

log = logging.getLogger("sauti.flows")


def read_urn(raw: str, channel: Channel) -> urns.URN:
    """A sender's URN as the provider gave it, read with the channel's country (local numbers become E.164)."""
    try:
        urn = urns.parse_normalized(raw, channel.country)
    except urns.URNError as exc:
        raise Invalid.field("urn", "invalid_urn", value=raw) from exc
    if urn.scheme not in urns.PUBLIC_SCHEMES:
        raise Invalid.field("urn", "invalid_urn", value=raw)
    return urn


def is_opt_out(workspace: Workspace, text: str) -> bool:
    words = {w.strip().casefold() for w in workspace.opt_out_keywords or []}
    return text.strip().casefold() in words


async def receive(
    session: AsyncSession, workspace: Workspace, channel: Channel, incoming: Incoming
) -> tuple[Message, bool]:
    """Store an incoming message and handle it. Returns ``(message, created)``: a provider's second delivery
    of the same message (same channel, sender and external id) returns the first one, ``created`` false.

    An unknown sender becomes a contact. ``last_seen_on`` moves. A stopped contact who writes again is active
    again, unless what they wrote is an opt-out word, which stops them (the number's opt out follows, see
    ``contacts/reachability.py``). A blocked contact's message is kept but not handled further. Every other
    message is offered to the flows (``domain/flows/inbound.py``: a trigger, or the contact's waiting session),
    delivered to the workspace's web hooks, and answered by its active auto reply unless it was an opt-out word
    or a flow handled it.
    """
    urn = read_urn(incoming.urn, channel)
    contact, urn_row, held = await contacts.sender(
        session, workspace, urn, name=incoming.contact_name, channel_id=channel.id
    )
    if incoming.external_id:
        existing = await _find_incoming(session, channel.id, urn_row.id, incoming.external_id)
        if existing is not None:
            return existing, False
    now = clock.now()
    message = Message(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        contact_id=contact.id,
        contact_urn_id=urn_row.id,
        channel_id=channel.id,
        direction="in",
        msg_type="text",
        status="handled",  # every stored message ends handled (below); written so at once, not updated after
        visibility="visible",
        text=incoming.text,
        attachments=list(incoming.attachments),
        quick_replies=[],
        external_id=incoming.external_id,
        created_on=incoming.received_on or now,
        modified_on=now,
    )
    if incoming.external_id is not None:  # else no key a second delivery could share: no race to guard against,
        try:  # and the row is written once the flows were asked (see _offer_to_flows)
            async with session.begin_nested():
                await bulk.insert_object(session, message)
        except IntegrityError:
            # the same delivery arrived concurrently and won the race
            existing = await _find_incoming(session, channel.id, urn_row.id, incoming.external_id)
            assert existing is not None
            return existing, False
    writes = bulk.Writes()  # the URN's channel and the contact's last_seen_on: one statement on PostgreSQL
    if urn_row.channel_id != channel.id:  # written only when it moves (a Core UPDATE: nothing left to flush)
        writes.update_object(urn_row, {"channel_id": channel.id})
    await _handle(session, workspace, contact, message, channel, held, writes)
    # every message of a channel writes this one row: written last (a Core statement, nothing left for the commit's
    # flush), so that on PostgreSQL the row's lock is held only until the caller's commit, which follows, and
    # concurrent messages of the channel do not queue behind the rest of the work
    await bulk.update_object(session, channel, {"last_seen": now})
    return message, True


async def _find_incoming(session: AsyncSession, channel_id: int, urn_id: int, external_id: str) -> Message | None:
    stmt = select(Message).where(
        Message.channel_id == channel_id,
        Message.contact_urn_id == urn_id,
        Message.direction == "in",
        Message.external_id == external_id,
    )
    found: Message | None = (await session.execute(stmt)).scalar()
    return found


async def _handle(
    session: AsyncSession,
    workspace: Workspace,
    contact: Contact,
    message: Message,
    channel: Channel,
    held: list[ContactURN] | None,
    writes: bulk.Writes,
) -> None:
    """``held``: the contact's URN rows in priority order when :func:`contacts.sender` read them; ``writes``:
    what the caller left to write first."""
    now = clock.now()
    # a Core UPDATE (the contact's row is told the values): nothing left for a flush to write
    writes.update_object(contact, {"last_seen_on": now, "modified_on": now})
    await writes.send(session)
    await fires.seen(session, workspace, [contact.id])  # events relative to last_seen_on move
    if contact.status == "blocked":
        await _store(session, message)
        await session.flush()
        return
    # the URN they wrote on becomes the one they are answered on (DECISION: not for a blocked contact)
    held = await contacts.prefer_urn(session, workspace, contact, message.contact_urn_id, held)
    opting_out = is_opt_out(workspace, message.text)
    if opting_out:
        await contacts.set_status(session, workspace, [contact], "stopped")
    elif contact.status == "stopped":
        await contacts.set_status(session, workspace, [contact], "active")
    # a flow takes the message first (a trigger starts one, or the waiting session resumes); an opt-out word
    # is never a flow's input
    handled = False
    if not opting_out and contact.status == "active":
        handled = await _offer_to_flows(session, workspace, contact, message, channel, held)
    await _store(session, message)
    await session.flush()
    # web hooks hear of every message but a blocked number's; the auto reply answers what nothing else did
    await events.messages_happened(session, workspace.id, [message])
    if not opting_out and not handled:
        await autoreplies.answer(session, workspace, contact, message)


async def _offer_to_flows(
    session: AsyncSession,
    workspace: Workspace,
    contact: Contact,
    message: Message,
    channel: Channel,
    held: Sequence[ContactURN] | None,
) -> bool:
    """Let the flows handle the message, inside a savepoint: a flow that cannot run (a bug, a definition the
    engine refuses at run time) is logged and undone, and the message is still stored and handled as if no
    flow had wanted it. A provider must never lose a message to a flow's failure. What may take it is read
    first: a message no session waits for and no trigger matches opens no savepoint. The message's row is
    written after those reads (outside the savepoint, as before), naming the waiting session's flow when no
    trigger competes for it, so the usual answer to a question costs no UPDATE of the message. ``held`` (the
    contact's URN rows in priority order, as ``prefer_urn`` left them) are not read again by the flows."""
    offered: flows.Offer | None = None
    try:
        with session.no_autoflush:  # reads only; the message is inserted once, below, naming the likely flow
            offered = await flows.offer(session, workspace, contact, message)
        if offered is None:
            return False
        message.flow_id = offered.likely_flow_id
        await _store(session, message)  # outside the savepoint: a flow's failure keeps it
        async with session.begin_nested():
            taken = await flows.take(session, workspace, contact, message, channel, offered, held)
        if not taken:
            message.flow_id = None
        return taken
    except Exception:
        log.exception("flows could not handle message %s of contact %s", message.uuid, contact.uuid)
        if offered is not None and offered.waiting is not None:
            # the runtime writes the session's row with a Core statement (the ORM row is told the values, not
            # flushed), which the savepoint's rollback undid: the row is read again when next used
            session.expire(offered.waiting)
        message.flow_id = None
        return False


async def _store(session: AsyncSession, message: Message) -> None:
    """Write the incoming message's row unless it is written already (a message with an external id is written
    first, in its own savepoint). One Core INSERT, the row then in the session as a flush would have left it."""
    if inspect(message).transient:
        await bulk.insert_object(session, message)


async def contact_event(session: AsyncSession, workspace: Workspace, channel: Channel, event: ContactEvent) -> None:
    """A provider says a contact opted out (``stop_contact``) or started a conversation."""
    urn = read_urn(event.urn, channel)
    contact, _ = await contacts.get_or_create_by_urn(
        session, workspace, urn, name=event.contact_name, channel_id=channel.id
    )
    if event.kind == "stop_contact":
        await contacts.set_status(session, workspace, [contact], "stopped")
    elif event.kind == "new_conversation":
        contact.last_seen_on = clock.now()
        await fires.seen(session, workspace, [contact.id])
    await session.flush()
