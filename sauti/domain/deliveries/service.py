"""Recording deliveries, signing them, and what an attempt's outcome does to one.

DECISIONS: a delivery succeeds on any 2xx answer; one the address rules refuse (``kit/outbound``) fails at
once. A 4xx other than 408 (timeout) and 429 (slow down) is final (the receiver refuses this body; sending it
again would not change that). Anything else (5xx, 408, 429, a timeout, a connection error) is tried again after
:data:`RETRY_DELAYS` (1, 5 and 30 minutes, 2 and 6 hours), then the delivery is failed. Every attempt is kept
(``webhook_attempts``). A delivery once acknowledged is never sent again; one whose worker died during the POST
is sent again (at least once).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sauti import __version__
from sauti.kit import clock
from sauti.models import WebhookAttempt, WebhookDelivery

RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
USER_AGENT = f"Sauti-Webhooks/{__version__}"
MAX_LOGGED = 10_000  # characters of a request or response kept in an attempt's log


@dataclass(frozen=True)
class Outgoing:
    """What to POST: ``body`` exactly as it will be sent; with ``secret`` and ``signature_header`` the body's
    hex HMAC-SHA256 (keyed with the secret) goes in that header."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    secret: str | None = None
    signature_header: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How one attempt went: the receiver's status and body, or why there was no answer."""

    status_code: int | None
    response: str | None = None
    error: str | None = None
    elapsed_ms: int = 0
    refused: bool = False  # the address rules stopped it: nothing was sent, and a retry would be refused too

    @property
    def acknowledged(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def final(self) -> bool:
        """A refusal that no later attempt would change."""
        code = self.status_code
        return self.refused or (code is not None and 400 <= code < 500 and code not in (408, 429))


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


SAUTI = "sauti"  # the signing of resthook deliveries (``WebhookDelivery.signing``)


def sauti_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with the workspace's secret."""
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sauti_headers(secret: str, body: bytes, idempotency_key: str) -> dict[str, str]:
    """The headers that let a receiver check a delivery (signed now: a retry is signed afresh) and drop a
    repeat (the idempotency key is the same on every attempt of one delivery)."""
    timestamp = int(clock.now().timestamp())
    return {
        "X-Sauti-Timestamp": str(timestamp),
        "X-Sauti-Signature": sauti_signature(secret, timestamp, body),
        "Idempotency-Key": idempotency_key,
    }


def enqueue(
    session: AsyncSession,
    workspace_id: int,
    out: Outgoing,
    *,
    hook_id: int | None = None,
    message_id: int | None = None,
) -> WebhookDelivery:
    """A delivery waiting for a worker, due now."""
    now = clock.now()
    row = WebhookDelivery(
        uuid=clock.new_uuid(),
        workspace_id=workspace_id,
        hook_id=hook_id,
        message_id=message_id,
        url=out.url,
        headers=dict(out.headers),
        body=out.body.decode("utf-8"),
        secret=out.secret,
        signature_header=out.signature_header,
        status="pending",
        attempts=0,
        max_attempts=MAX_ATTEMPTS,
        next_attempt=now,
        created_on=now,
        modified_on=now,
    )
    session.add(row)
    return row


def request_of(delivery: WebhookDelivery) -> tuple[bytes, dict[str, str]]:
    """The bytes and headers of the POST (signed when the delivery says so)."""
    body = delivery.body.encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **(delivery.headers or {})}
    if delivery.signing == SAUTI and delivery.secret:
        headers.update(sauti_headers(delivery.secret, body, headers.get("Idempotency-Key", delivery.uuid)))
    elif delivery.secret and delivery.signature_header:
        headers[delivery.signature_header] = signature(delivery.secret, body)
    return body, headers


def _dump(delivery: WebhookDelivery, headers: dict[str, str]) -> str:
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"POST {delivery.url}\r\n{lines}\r\n{delivery.body}"[:MAX_LOGGED]


def record(session: AsyncSession, delivery: WebhookDelivery, outcome: Outcome) -> None:
    """Log the attempt and move the delivery on: delivered, failed, or waiting for its next try."""
    now = clock.now()
    _, headers = request_of(delivery)
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            workspace_id=delivery.workspace_id,
            status_code=outcome.status_code,
            request=_dump(delivery, headers),
            response=outcome.response[:MAX_LOGGED] if outcome.response is not None else None,
            error=outcome.error,
            elapsed_ms=outcome.elapsed_ms,
            created_on=now,
        )
    )
    delivery.attempts += 1
    delivery.claimed_by = None
    delivery.modified_on = now
    if outcome.acknowledged:
        delivery.status = "delivered"
        delivery.delivered_on = now
        delivery.failure = None
        return
    delivery.failure = outcome.error or f"the receiver answered {outcome.status_code}"
    if outcome.final or delivery.attempts >= delivery.max_attempts:
        delivery.status = "failed"
        return
    delivery.next_attempt = now + RETRY_DELAYS[min(delivery.attempts, len(RETRY_DELAYS)) - 1]


def abandon(delivery: WebhookDelivery, reason: str) -> None:
    """Fail a waiting delivery without sending it (its claim is given up)."""
    delivery.status = "failed"
    delivery.failure = reason
    delivery.claimed_by = None
    delivery.modified_on = clock.now()
