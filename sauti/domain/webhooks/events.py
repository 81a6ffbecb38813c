"""Message events: every message received, and every message sent (when it is first handed to a provider),
becomes one delivery per web hook of its workspace.

DECISIONS: an incoming message fires when it is stored, unless its number is blocked; an outgoing one (a user's,
a broadcast's, an auto reply) fires once, when the provider first takes it, so a scheduled message fires at its
delivery time and a message that never leaves fires nothing. Later status changes (delivered, failed) do not
fire. The payload is made here, in the event's own transaction, so a delivery is the message as it was then;
posting it is the worker's (``worker/webhooks.py``), so a slow or dead receiver never holds up a request or
the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.deliveries.service import Outgoing, enqueue
from sauti.domain.messages.parties import facts
from sauti.domain.webhooks.queries import any_for, of_workspace
from sauti.kit import clock
from sauti.models import Message, WebHook, Workspace
from sauti.payloads import textus
from sauti.payloads.facts import HookFacts

SIGNATURE_HEADER = "X-TextUs-Signature"
log = logging.getLogger("sauti.webhooks")


def _hook_facts(hook: WebHook) -> HookFacts:
    return HookFacts(
        id=hook.id,
        url=hook.url,
        scope=hook.scope,
        scope_id=hook.workspace_id,
        version=hook.version,
        created_on=hook.created_on,
        modified_on=hook.modified_on,
    )


async def messages_happened(session: AsyncSession, workspace_id: int, messages: Sequence[Message]) -> int:
    """Queue a delivery of each message to each of the workspace's web hooks; returns how many.

    The deliveries are made in a savepoint: should making them fail, the message itself is still recorded (its
    send, its arrival) and the failure is logged, so a web hook never costs a message."""
    if not messages:
        return 0
    if not await any_for(session, workspace_id):  # most workspaces: nothing to make, no savepoint to open
        return 0
    hooks = await of_workspace(session, workspace_id)
    if not hooks:
        return 0
    try:
        async with session.begin_nested():
            return await _enqueue(session, workspace_id, messages, hooks)
    except Exception:
        log.exception("web hook deliveries for messages %s could not be made", [m.id for m in messages])
        return 0


async def _enqueue(
    session: AsyncSession, workspace_id: int, messages: Sequence[Message], hooks: Sequence[WebHook]
) -> int:
    workspace = await session.get(Workspace, workspace_id)
    assert workspace is not None
    timestamp = int(clock.now().timestamp())
    known = await facts(session, workspace, messages)
    made = 0
    for hook in hooks:
        about = _hook_facts(hook)
        for message, fact in zip(messages, known, strict=True):
            signed = hook.version != "1"
            enqueue(
                session,
                workspace_id,
                Outgoing(
                    url=hook.url,
                    body=textus.body(fact, about, timestamp),
                    secret=hook.secret if signed else None,
                    signature_header=SIGNATURE_HEADER if signed else None,
                ),
                hook_id=hook.id,
                message_id=message.id,
            )
            made += 1
    await session.flush()
    return made
