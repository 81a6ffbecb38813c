"""The log of every outbound call a workspace made, newest first, for its admins (``sauti webhook log``).

Two tables hold it: ``flow_webhook_calls`` (each ``call_webhook`` of a flow, and the first attempt of each
resthook delivery, made during the flow's sprint) and ``webhook_attempts`` (each POST the worker made: TextUs web
hooks and resthook retries). Both are read here and merged by time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import scoped
from sauti.models import FlowWebhookCall, WebhookAttempt, WebhookDelivery, Workspace


@dataclass(frozen=True)
class Call:
    created_on: datetime
    kind: str  # flow (a flow's call, resthook first attempts included) | delivery (a worker's attempt)
    url: str
    status_code: int  # 0: no response
    elapsed_ms: int
    outcome: str  # success, response_error, connection_error ... or the delivery's words
    request: str
    response: str


async def recent(session: AsyncSession, workspace: Workspace, limit: int = 20) -> list[Call]:
    """The ``limit`` most recent calls, newest first (two queries)."""
    calls: list[Call] = []
    flows = await session.execute(
        scoped(FlowWebhookCall, workspace)
        .order_by(FlowWebhookCall.created_on.desc(), FlowWebhookCall.id.desc())
        .limit(limit)
    )
    for c in flows.scalars():
        calls.append(Call(c.created_on, "flow", c.url, c.status_code, c.elapsed_ms, c.status, c.request, c.response))
    attempts = await session.execute(
        scoped(WebhookAttempt, workspace, WebhookAttempt, WebhookDelivery.url)
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .order_by(WebhookAttempt.created_on.desc(), WebhookAttempt.id.desc())
        .limit(limit)
    )
    for a, url in attempts.tuples():
        code = a.status_code or 0
        outcome = "success" if 200 <= code < 300 else (a.error or f"answered {code}")
        calls.append(Call(a.created_on, "delivery", url, code, a.elapsed_ms, outcome, a.request, a.response or ""))
    calls.sort(key=lambda c: c.created_on, reverse=True)
    return calls[:limit]
