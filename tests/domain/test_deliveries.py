"""A delivery's outcomes: what is acknowledged, what is final, and the retry schedule."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from sauti.domain.deliveries import service
from sauti.kit import clock
from sauti.models import WebhookDelivery


class Session:
    """Stands in for the session: ``record`` only adds the attempt's log row."""

    def __init__(self) -> None:
        self.added: list[object] = []

    def add(self, row: object) -> None:
        self.added.append(row)


@pytest.mark.parametrize(
    ("status", "acknowledged", "final"),
    [(200, True, False), (204, True, False), (301, False, False), (404, False, True), (408, False, False),
     (429, False, False), (500, False, False), (None, False, False)],
)  # fmt: skip
def test_outcomes(status: int | None, acknowledged: bool, final: bool) -> None:
    outcome = service.Outcome(status)
    assert (outcome.acknowledged, outcome.final) == (acknowledged, final)


def test_signed_request_and_retry_schedule() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    clock.set_clock(lambda: now)
    try:
        delivery = WebhookDelivery(
            id=1,
            workspace_id=1,
            url="http://example.com/h",
            headers={},
            body='{"a":1}',
            secret="s3cret",
            signature_header="X-TextUs-Signature",
            status="pending",
            attempts=0,
            max_attempts=service.MAX_ATTEMPTS,
            next_attempt=now,
        )
        body, headers = service.request_of(delivery)
        assert headers["X-TextUs-Signature"] == hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        session = Session()
        waits = []
        for _ in range(service.MAX_ATTEMPTS - 1):
            service.record(session, delivery, service.Outcome(503))  # type: ignore[arg-type]
            waits.append(delivery.next_attempt - now)
        assert waits == [
            timedelta(minutes=1),
            timedelta(minutes=5),
            timedelta(minutes=30),
            timedelta(hours=2),
            timedelta(hours=6),
        ]
        assert delivery.status == "pending"
        service.record(session, delivery, service.Outcome(None, error="no answer"))  # type: ignore[arg-type]
        assert (delivery.status, delivery.attempts, delivery.failure) == ("failed", 6, "no answer")
        assert len(session.added) == 6
    finally:
        clock.set_clock(None)
