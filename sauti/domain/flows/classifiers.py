"""The classifier service flows call (``call_classifier``): Wit.ai's HTTP API, through the flow webhooks'
address checks and caps.

A sprint gets a :class:`HttpClassifiers` holding plain snapshots of the workspace's classifiers (their access
tokens included: the engine only ever sees :class:`~sauti.engine.services.ClassifierInfo` and the outcome).
Only ``wit`` classifiers are called: ``GET {base}/message?v=<version>&q=<text>`` with
``Authorization: Bearer <token>``, ``base`` the classifier's URL (``https://api.wit.ai`` unless it names one, so
tests point it at a local fake server). The request goes through :class:`~sauti.domain.flows.webhooks.HttpWebhooks`,
the same object flows' ``call_webhook`` uses: hosts on private addresses refused unless allowed, the configured
timeout, no redirects, at most :data:`~sauti.engine.services.MAX_RESPONSE_BYTES` of body read. The call blocks,
so a sprint over flows with ``call_classifier`` runs in a worker thread like one with ``call_webhook``
(``webhooks.may_call``).

Wit.ai answers ``{"text", "intents": [{"id", "name", "confidence"}], "entities": {"<name>:<role>": [{"name",
"role", "value", "confidence", ...}]}, "traits": {...}}``; the intents become the classification best first, and
each entity's values best first, under the entity's ``role`` (``location`` for ``wit$location:location``; else
its ``name``, else the key after ``:``), the name a flow reads (``@results.x.extra.location``). Any other 2xx body is
a failure (``Classifier answered with something that isn't a classification``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import quote, urlsplit

from sauti.domain.flows import webhooks as flow_webhooks
from sauti.engine.services import Classification, ClassifierCall, ClassifierInfo, WebhookRequest
from sauti.engine.webhooks import response_json
from sauti.models import Classifier

__all__ = ["WIT_BASE", "HttpClassifiers", "Snapshot", "service", "snapshot"]

WIT_BASE: Final = "https://api.wit.ai"
SUPPORTED: Final = ("wit",)


@dataclass(frozen=True)
class Snapshot:
    """What a call needs of one classifier, as plain data a worker thread may hold."""

    uuid: str
    name: str
    type: str
    token: str
    url: str
    version: str


def snapshot(row: Classifier) -> Snapshot:
    config = row.config or {}
    return Snapshot(
        uuid=row.uuid,
        name=row.name,
        type=row.classifier_type,
        token=str(config.get("access_token", "")),
        url=str(config.get("url") or WIT_BASE).rstrip("/"),
        version=str(config.get("version", "")),
    )


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def parse_wit(body: Any) -> Classification | None:
    """A Wit.ai ``/message`` answer as a classification, ``None`` when it isn't one."""
    if not isinstance(body, dict) or not isinstance(body.get("intents", []), list):
        return None
    intents: list[tuple[str, Decimal]] = []
    for item in body.get("intents", []):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return None
        confidence = _decimal(item.get("confidence"))
        if confidence is None:
            return None
        intents.append((item["name"], confidence))
    entities: dict[str, list[tuple[str, Decimal]]] = {}
    found = body.get("entities") or {}
    if not isinstance(found, dict):
        return None
    for key, values in found.items():
        for value in values if isinstance(values, list) else ():
            if not isinstance(value, dict) or "value" not in value:
                continue
            given = value.get("role") or value.get("name")
            name = given if isinstance(given, str) else str(key).rsplit(":", 1)[-1]
            entities.setdefault(name, []).append((str(value["value"]), _decimal(value.get("confidence")) or Decimal(0)))
    intents.sort(key=lambda i: i[1], reverse=True)
    return Classification(
        tuple(intents), {k: tuple(sorted(v, key=lambda e: e[1], reverse=True)) for k, v in entities.items()}
    )


class HttpClassifiers:
    """A :class:`~sauti.engine.services.ClassifierService` over the workspace's classifiers (blocking: call it from
    a thread, as the sprint does)."""

    def __init__(self, classifiers: Iterable[Snapshot], http: flow_webhooks.HttpWebhooks) -> None:
        self._classifiers = {c.uuid: c for c in classifiers}
        self._http = http

    def find(self, uuid: str) -> ClassifierInfo | None:
        found = self._classifiers.get(uuid)
        if found is None:
            return None
        return ClassifierInfo(found.uuid, found.name, found.type, found.type in SUPPORTED)

    def classify(self, uuid: str, text: str) -> ClassifierCall:
        found = self._classifiers[uuid]
        query = f"v={quote(found.version, safe='')}&q={quote(text, safe='')}" if found.version else f"q={quote(text)}"
        url = f"{found.url}/message?{query}"
        shown = f"{found.url}/message"  # the text is the contact's: the logged URL leaves the query out
        if self._http.is_blocked(url):
            host = urlsplit(url).hostname or ""
            return ClassifierCall("", error=f"Classifier calls to {host} are not allowed")
        trace = self._http.call(
            WebhookRequest("GET", url, (("Authorization", f"Bearer {found.token}"), ("Accept", "application/json")))
        )
        if trace.status_code is None:
            return ClassifierCall(shown, 0, trace.elapsed_ms, error=trace.error or "Classifier call failed")
        if trace.response_too_large:
            return ClassifierCall(shown, trace.status_code, trace.elapsed_ms, error="Classifier response too large")
        if not 200 <= trace.status_code < 300:
            error = f"Classifier answered {trace.status_code}"
            return ClassifierCall(shown, trace.status_code, trace.elapsed_ms, error=error)
        parsed = parse_wit(response_json(trace.body))
        if parsed is None:
            error = "Classifier answered with something that isn't a classification"
            return ClassifierCall(shown, trace.status_code, trace.elapsed_ms, error=error)
        return ClassifierCall(shown, trace.status_code, trace.elapsed_ms, classification=parsed)


def service(classifiers: Sequence[Snapshot]) -> HttpClassifiers | None:
    """The classifier service of one start or resume (``None`` when the workspace has no classifiers the flows
    name), with the flow webhooks' policy."""
    return HttpClassifiers(classifiers, flow_webhooks.service()) if classifiers else None
