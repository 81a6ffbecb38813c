"""Making a webhook call from a run through the injected :class:`~sauti.engine.services.WebhookService`.

:func:`call` checks the request (the service may block a host; a request over 256 KiB isn't sent), makes the call,
logs a ``webhook_called`` event and returns the :class:`~sauti.engine.run.WebhookCall` that becomes
``@webhook``. The call's status is ``success`` for a 2xx response, ``response_error`` for any other response and
``connection_error`` when no (or too large a) response came. Request and response traces in the event are cut to
10000 characters and the URL to 2048; ``sizes`` gives their full sizes in bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from sauti.engine import events
from sauti.engine.excellent import loads
from sauti.engine.run import WebhookCall
from sauti.engine.services import MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, WebhookRequest, WebhookTrace

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

__all__ = ["call", "call_status", "is_valid_url", "log_call", "response_json"]

TRACE_LIMIT: Final = 10_000
URL_LIMIT: Final = 2048


def is_valid_url(url: str) -> bool:
    """An absolute ``http``/``https`` URL with a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def response_json(body: str) -> Any:
    """The body parsed as JSON (numbers as decimals), ``None`` when it isn't JSON."""
    if not body.strip():
        return None
    try:
        return loads(body)
    except ValueError:
        return None


def call_status(trace: WebhookTrace) -> str:
    if trace.status_code is None or trace.response_too_large:
        return "connection_error"
    return "success" if 200 <= trace.status_code < 300 else "response_error"


def call(x: Execution, request: WebhookRequest) -> tuple[WebhookCall, str] | None:
    """Make ``request`` for the run; ``(call, status)``, or ``None`` when it wasn't made (an error was logged)."""
    size = request.size
    if size > MAX_REQUEST_BYTES:
        x.error(
            f"Webhook request evaluated to {size} bytes, exceeding the limit of {MAX_REQUEST_BYTES}",
            "webhook_request_size",
            size=str(size),
            limit=str(MAX_REQUEST_BYTES),
        )
        return None
    service = x.services.webhook
    if service is None:
        x.error("Webhook calls are not available")
        return None
    if service.is_blocked(request.url):
        host = urlsplit(request.url).hostname or ""
        x.error(f"Webhook calls to {host} are not allowed", "url_blocked", hostname=host)
        return None
    trace = service.call(request)
    status = call_status(trace)
    return log_call(x, request, trace, status), status


def log_call(
    x: Execution, request: WebhookRequest, trace: WebhookTrace, status: str, resthook: str | None = None
) -> WebhookCall:
    """Log a call that was made (its warnings or error, and its ``webhook_called`` event) and return what
    ``@webhook`` would become."""
    if trace.response_too_large:
        x.log(
            events.warning(
                f"Webhook response exceeded the limit of {MAX_RESPONSE_BYTES} bytes",
                "webhook_response_size",
                limit=str(MAX_RESPONSE_BYTES),
            )
        )
    elif trace.error:
        x.error(trace.error)
    raw_request, raw_response = request.raw(), trace.raw_response()
    x.log(
        events.webhook_called(
            url=request.url[:URL_LIMIT],
            status=status,
            status_code=trace.status_code or 0,
            elapsed_ms=trace.elapsed_ms,
            retries=trace.retries,
            request=raw_request[:TRACE_LIMIT],
            response=raw_response[:TRACE_LIMIT],
            sizes={"request": len(raw_request.encode("utf-8")), "response": len(raw_response.encode("utf-8"))},
            resthook=resthook,
        )
    )
    json_body = response_json(trace.body) if trace.status_code is not None and not trace.response_too_large else None
    return WebhookCall(request.method, request.url, trace.status_code or 0, dict(trace.headers), json_body)
