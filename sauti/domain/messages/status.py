"""Moving outgoing messages through their statuses: the outbox's results and providers' delivery reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.channels.base import StatusUpdate
from sauti.kit import clock
from sauti.models import Message

# how far along a message is; a report never moves a message backwards
RANK = {"queued": 0, "sending": 1, "errored": 1, "wired": 2, "sent": 3, "delivered": 4, "read": 5}
SENT_STATUSES = frozenset({"wired", "sent", "delivered", "read"})
MAX_ERRORS = 3  # the third error fails the message
RETRY_STEP = timedelta(minutes=5)  # errored messages wait 5 minutes times their error count before the next try
RETRY_LIMIT_REACHED = "E"


def advance(message: Message, status: str) -> bool:
    """Apply a new status if it moves the message forward (or fails it). True when something changed."""
    now = clock.now()
    if status == "failed":
        if message.status == "failed":
            return False
        message.status = "failed"
    elif status in RANK:
        if message.status == "failed" and status not in SENT_STATUSES:
            return False
        if message.status in RANK and RANK[status] <= RANK[message.status] and message.status != "errored":
            return False
        message.status = status
    else:
        return False
    if status in SENT_STATUSES and message.sent_on is None:
        message.sent_on = now
    message.modified_on = now
    return True


def after_send(reported: Sequence[str]) -> str:
    """Where a ``sending`` message ends up once a provider accepted it and reported ``reported`` in turn (as
    :func:`advance` would take it, one report after the other)."""
    current = "sending"
    for status in reported:
        if status == "failed" or (status in RANK and RANK[status] > RANK[current]):
            current = status
    return current


def errored(message: Message, permanent: bool, reason: str | None = None) -> None:
    """A send that did not go through: retried later (errored, 5 then 10 minutes) unless ``permanent`` or
    this was the third error, which fails it."""
    now = clock.now()
    message.error_count += 1
    if permanent:
        message.status = "failed"
        message.failed_reason = reason
    elif message.error_count >= MAX_ERRORS:
        message.status = "failed"
        message.failed_reason = RETRY_LIMIT_REACHED
    else:
        message.status = "errored"
        message.next_attempt = now + RETRY_STEP * message.error_count
    message.modified_on = now


async def report(session: AsyncSession, channel_id: int, update: StatusUpdate) -> Message | None:
    """A provider's delivery report: found by our UUID when echoed, else by the provider's id on this
    channel. Unknown messages are ignored (``None``)."""
    base = select(Message).where(Message.channel_id == channel_id, Message.direction == "out")
    message: Message | None = None
    if update.msg_uuid:
        message = (await session.execute(base.where(Message.uuid == update.msg_uuid).limit(1))).scalar()
    if message is None and update.external_id:
        message = (await session.execute(base.where(Message.external_id == update.external_id).limit(1))).scalar()
    if message is None:
        return None
    if update.status == "errored":
        errored(message, permanent=False)
    else:
        advance(message, update.status)
    await session.flush()
    return message
