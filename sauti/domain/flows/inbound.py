"""An inbound message meets the flows: a trigger starts one, or the contact's waiting session takes it.

In order (flows.md §6.5): a keyword trigger that matches starts its flow, interrupting the waiting session,
unless that session's flow ignores triggers; else a catch-all trigger starts its flow when the contact waits in
no session; else the waiting session is resumed with the message; else nothing happens (the message stays in
the inbox). A message a flow handled carries the flow's id (``messages.flow_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.flows import queries, runner, triggers
from sauti.kit import clock
from sauti.kit.timefmt import format_utc
from sauti.models import Channel, Contact, ContactURN, FlowSession, Message, Workspace


async def _event(
    session: AsyncSession, message: Message, channel: Channel | None, urns: Sequence[ContactURN] | None
) -> dict[str, Any]:
    urn = next((u for u in urns or () if u.id == message.contact_urn_id), None)
    if urn is None and message.contact_urn_id:
        urn = await session.get(ContactURN, message.contact_urn_id)
    msg: dict[str, Any] = {"uuid": message.uuid, "text": message.text or ""}
    if urn is not None:
        msg["urn"] = f"{urn.scheme}:{urn.path}"
    if channel is not None:
        msg["channel"] = {"uuid": channel.uuid, "name": channel.name}
    if message.attachments:
        msg["attachments"] = list(message.attachments)
    if message.external_id:
        msg["external_id"] = message.external_id
    return {
        "uuid": clock.new_uuid(),
        "type": "msg_received",
        "created_on": format_utc(message.created_on),
        "msg": msg,
    }


@dataclass(frozen=True)
class Offer:
    """What may take an inbound message: the contact's waiting session and the trigger it matches (read
    before anything is written, so a message no flow wants costs no savepoint)."""

    waiting: FlowSession | None
    found: triggers.Match | None

    @property
    def likely_flow_id(self) -> int | None:
        """The flow that takes the message unless something changes its mind: the waiting session's, when no
        trigger matched (a matched trigger may or may not win; :func:`take` says)."""
        return self.waiting.current_flow_id if self.waiting is not None and self.found is None else None


async def offer(session: AsyncSession, workspace: Workspace, contact: Contact, message: Message) -> Offer | None:
    """The waiting session and matching trigger of ``message`` from ``contact``, or ``None`` when neither
    exists (no flow can take it). Reads only."""
    waiting = await queries.waiting_session(session, workspace, contact.id)
    found = await triggers.match(session, workspace, contact.id, message.text or "", message.channel_id)
    if waiting is None and found is None:
        return None
    return Offer(waiting, found)


async def take(
    session: AsyncSession,
    workspace: Workspace,
    contact: Contact,
    message: Message,
    channel: Channel | None,
    offered: Offer,
    urns: Sequence[ContactURN] | None = None,
) -> bool:
    """Let the flows handle ``message`` from ``contact`` (active, not blocked) as :func:`offer` found them.
    True when a flow took it. ``urns``: the contact's URN rows in priority order when the caller holds them
    (``receive`` read them to prefer the URN written on): the flow's contact is built without reading them
    again."""
    waiting, found = offered.waiting, offered.found
    if found is not None:
        flow = await queries.by_id(session, workspace, found.trigger.flow_id)
        usable = flow is not None and not flow.is_archived
        if usable and found.keyword is not None and waiting is not None and waiting.current_flow_id is not None:
            current = await queries.by_id(session, workspace, waiting.current_flow_id)
            usable = current is None or not current.ignore_triggers
        if usable and (found.keyword is not None or waiting is None):
            assert flow is not None
            trigger: dict[str, Any] = {"type": "msg", "event": await _event(session, message, channel, urns)}
            if found.keyword is not None:
                trigger["keyword_match"] = {"type": found.trigger.match_type, "keyword": found.keyword}
            started = await runner.start_with_input(
                session,
                workspace,
                flow,
                [contact.id],
                trigger=trigger,
                input_message=message,
                urns={contact.id: urns} if urns is not None else None,
            )
            if started:
                message.flow_id = flow.id
                return True
    if waiting is not None:
        flow_id = waiting.current_flow_id
        resume = {
            "type": "msg",
            "event": await _event(session, message, channel, urns),
            "resumed_on": format_utc(clock.now()),
        }
        if await runner.resume_session(session, workspace, waiting, contact, resume, input_message=message, urns=urns):
            if message.flow_id != flow_id:  # the message was most likely written naming it already
                message.flow_id = flow_id
            return True
    return False


async def handle(
    session: AsyncSession, workspace: Workspace, contact: Contact, message: Message, channel: Channel | None
) -> bool:
    """Let the flows handle ``message`` from ``contact`` (active, not blocked). True when a flow took it."""
    offered = await offer(session, workspace, contact, message)
    return offered is not None and await take(session, workspace, contact, message, channel, offered)
