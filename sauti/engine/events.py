"""Events: what a sprint did, in order, for the platform to act on and keep as contact history.

Each event is ``{"uuid", "type", "created_on", ...payload}`` in JSON, with goflow's type names and payload keys.
Builders here return a :class:`Payload` (type and payload); the session stamps it with a UUID and the time and
records where it happened (:attr:`Event.run_uuid`, :attr:`Event.node_uuid`: not part of the JSON, for the
platform to link an outgoing message or a result to its run).

Events the engine emits and what the platform does with them:

========================== ====================================================================================
``run_started``            insert the run (``flow``, ``run_uuid``, ``parent_uuid?``, ``terminal?``)
``run_ended``              the run ended with ``status`` (completed, expired, failed): set status and exited_on
``msg_created``            queue the outgoing ``msg`` (``unsendable_reason`` set: store it as failed)
``msg_wait``               schedule the wait's timeout (``timeout_seconds?``) and expiry (``expires_on``)
``run_result_changed``     a result of the run changed (also in the run's ``results``)
``contact_name_changed``   | ``contact_language_changed`` | ``contact_status_changed`` |
``contact_timezone_changed``  persist the contact attribute
``contact_field_changed``  upsert (or, ``value`` null, clear) the field value
``contact_groups_changed`` add/remove group memberships (``groups_added``, ``groups_removed``)
``contact_urns_changed``   replace the contact's URNs with ``urns`` (in order; the platform resolves URNs that
                           belong to another contact)
``input_labels_added``     label the inbound message ``input_uuid``
``broadcast_created``      create and send a broadcast
``session_triggered``      create a flow start of type "flow action" (its trigger carries ``run_summary``)
``webhook_called``         keep the HTTP log
``service_called``         a classifier was called (``service``, ``classifier``, ``http_logs`` without secrets)
``error`` / ``warning``    show in the simulator and the run log; never fatal
``failure``                the run failed (``run_ended`` with status failed follows)
========================== ====================================================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from sauti.kit.timefmt import format_utc, parse_iso

__all__ = [
    "ENGINE_EVENT_TYPES",
    "Event",
    "Payload",
    "broadcast_created",
    "contact_field_changed",
    "contact_groups_changed",
    "contact_language_changed",
    "contact_name_changed",
    "contact_status_changed",
    "contact_timezone_changed",
    "contact_urns_changed",
    "dependency_error",
    "error",
    "failure",
    "input_labels_added",
    "msg_created",
    "msg_wait",
    "resthook_called",
    "run_ended",
    "run_result_changed",
    "run_started",
    "service_called",
    "session_triggered",
    "warning",
    "webhook_called",
]

ENGINE_EVENT_TYPES: Final = (
    "broadcast_created",
    "contact_field_changed",
    "contact_groups_changed",
    "contact_language_changed",
    "contact_name_changed",
    "contact_status_changed",
    "contact_timezone_changed",
    "contact_urns_changed",
    "error",
    "failure",
    "input_labels_added",
    "msg_created",
    "msg_wait",
    "run_ended",
    "run_result_changed",
    "run_started",
    "resthook_called",
    "service_called",
    "session_triggered",
    "warning",
    "webhook_called",
)
"""Every event type this engine emits."""


class Payload(NamedTuple):
    """An event before it has a UUID and a time: its ``type`` and JSON payload."""

    type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Event:
    """One event of a sprint. ``data`` is the JSON payload (everything but ``uuid``, ``type``, ``created_on``)."""

    uuid: str
    type: str
    created_on: dt.datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    run_uuid: str | None = field(default=None, compare=False)
    node_uuid: str | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"uuid": self.uuid, "type": self.type, "created_on": format_utc(self.created_on), **self.data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Event:
        """Read an event (as :meth:`to_json` writes it). Raises ``ValueError``."""
        created = parse_iso(str(data.get("created_on", "")))
        if not isinstance(data.get("uuid"), str) or not isinstance(data.get("type"), str) or created is None:
            raise ValueError("an event needs uuid, type and created_on")
        payload = {k: v for k, v in data.items() if k not in ("uuid", "type", "created_on")}
        return cls(data["uuid"], data["type"], created, payload)


def _ref(ref: Mapping[str, Any]) -> dict[str, Any]:
    return dict(ref)


def run_started(flow: Mapping[str, Any], run_uuid: str, parent_uuid: str | None, terminal: bool) -> Payload:
    data: dict[str, Any] = {"flow": _ref(flow), "run_uuid": run_uuid}
    if parent_uuid:
        data["parent_uuid"] = parent_uuid
    if terminal:
        data["terminal"] = True
    return Payload("run_started", data)


def run_ended(run_uuid: str, flow: Mapping[str, Any], status: str) -> Payload:
    return Payload("run_ended", {"run_uuid": run_uuid, "flow": _ref(flow), "status": status})


def msg_created(msg: Mapping[str, Any]) -> Payload:
    return Payload("msg_created", {"msg": dict(msg)})


def msg_wait(timeout_seconds: int | None, expires_on: dt.datetime, hint: Mapping[str, Any] | None) -> Payload:
    data: dict[str, Any] = {}
    if timeout_seconds is not None:
        data["timeout_seconds"] = timeout_seconds
    data["expires_on"] = format_utc(expires_on)
    if hint is not None:
        data["hint"] = dict(hint)
    return Payload("msg_wait", data)


def run_result_changed(name: str, value: str, category: str, extra: Any, previous: tuple[str, str] | None) -> Payload:
    data: dict[str, Any] = {"name": name, "value": value, "category": category}
    if extra is not None:
        data["extra"] = extra
    if previous is not None:
        data["previous"] = {"value": previous[0], "category": previous[1]}
    return Payload("run_result_changed", data)


def contact_name_changed(name: str) -> Payload:
    return Payload("contact_name_changed", {"name": name})


def contact_language_changed(language: str) -> Payload:
    return Payload("contact_language_changed", {"language": language})


def contact_status_changed(status: str) -> Payload:
    return Payload("contact_status_changed", {"status": status})


def contact_timezone_changed(timezone: str) -> Payload:
    return Payload("contact_timezone_changed", {"timezone": timezone})


def contact_field_changed(field_ref: Mapping[str, str], value: Mapping[str, Any] | None) -> Payload:
    return Payload("contact_field_changed", {"field": dict(field_ref), "value": dict(value) if value else None})


def contact_groups_changed(added: Sequence[Mapping[str, str]], removed: Sequence[Mapping[str, str]]) -> Payload:
    data: dict[str, Any] = {}
    if added:
        data["groups_added"] = [dict(g) for g in added]
    if removed:
        data["groups_removed"] = [dict(g) for g in removed]
    return Payload("contact_groups_changed", data)


def contact_urns_changed(urns: Sequence[str]) -> Payload:
    return Payload("contact_urns_changed", {"urns": list(urns)})


def input_labels_added(input_uuid: str, labels: Sequence[Mapping[str, str]]) -> Payload:
    return Payload("input_labels_added", {"input_uuid": input_uuid, "labels": [dict(label) for label in labels]})


def ticket_opened(uuid: str, topic: Mapping[str, str], assignee: Mapping[str, str] | None) -> Payload:
    """A ticket opened for the contact (``topic`` ``{uuid, name}``, ``assignee`` ``{email, name}`` or null)."""
    ticket = {"uuid": uuid, "topic": dict(topic), "assignee": dict(assignee) if assignee is not None else None}
    return Payload("ticket_opened", {"ticket": ticket})


def ticket_note_added(ticket_uuid: str, note: str) -> Payload:
    return Payload("ticket_note_added", {"ticket_uuid": ticket_uuid, "note": note})


def broadcast_created(
    translations: Mapping[str, Mapping[str, Any]],
    base_language: str,
    groups: Sequence[Mapping[str, str]],
    contacts: Sequence[Mapping[str, str]],
    contact_query: str,
    urns: Sequence[str],
    template: Mapping[str, str] | None = None,
    template_variables: Sequence[str] = (),
) -> Payload:
    data: dict[str, Any] = {
        "translations": {lang: dict(t) for lang, t in translations.items()},
        "base_language": base_language,
    }
    if groups:
        data["groups"] = [dict(g) for g in groups]
    if contacts:
        data["contacts"] = [dict(c) for c in contacts]
    if contact_query:
        data["contact_query"] = contact_query
    if urns:
        data["urns"] = list(urns)
    if template is not None:
        data["template"] = dict(template)
        data["template_variables"] = list(template_variables)
    return Payload("broadcast_created", data)


def session_triggered(
    flow: Mapping[str, Any],
    groups: Sequence[Mapping[str, str]],
    contacts: Sequence[Mapping[str, str]],
    contact_query: str,
    exclusions: Mapping[str, bool],
    create_contact: bool,
    urns: Sequence[str],
    run_summary: Mapping[str, Any],
    history: Mapping[str, Any],
) -> Payload:
    data: dict[str, Any] = {"flow": _ref(flow)}
    if groups:
        data["groups"] = [dict(g) for g in groups]
    if contacts:
        data["contacts"] = [dict(c) for c in contacts]
    if contact_query:
        data["contact_query"] = contact_query
    data["exclusions"] = dict(exclusions)
    data["create_contact"] = create_contact
    if urns:
        data["urns"] = list(urns)
    data["run_summary"] = dict(run_summary)
    data["history"] = dict(history)
    return Payload("session_triggered", data)


def webhook_called(
    url: str,
    status: str,
    status_code: int,
    elapsed_ms: int,
    retries: int,
    request: str,
    response: str,
    sizes: Mapping[str, int],
    resthook: str | None = None,
) -> Payload:
    data: dict[str, Any] = {
        "url": url,
        "status": status,
        "status_code": status_code,
        "elapsed_ms": elapsed_ms,
        "retries": retries,
        "request": request,
        "response": response,
        "sizes": dict(sizes),
    }
    if resthook is not None:
        data["resthook"] = resthook
    return Payload("webhook_called", data)


def resthook_called(resthook: str, payload: Mapping[str, Any]) -> Payload:
    """A resthook fired: the payload every subscriber was sent (the platform records it as a resthook event)."""
    return Payload("resthook_called", {"resthook": resthook, "payload": dict(payload)})


def service_called(classifier: Mapping[str, Any], url: str, status: str, status_code: int, elapsed_ms: int) -> Payload:
    """A classifier call: which classifier, and the HTTP exchange as ``http_logs`` (no headers, no tokens)."""
    log = {"url": url, "status": status, "status_code": status_code, "elapsed_ms": elapsed_ms}
    return Payload("service_called", {"service": "classifier", "classifier": _ref(classifier), "http_logs": [log]})


def error(text: str, code: str = "", **extra: str) -> Payload:
    """An ``error`` event; ``code`` (``action_unsupported``, ``dependency_missing``, ``expression`` ...) and
    ``extra`` only when given."""
    data: dict[str, Any] = {"text": text}
    if code:
        data["code"] = code
    if extra:
        data["extra"] = dict(extra)
    return Payload("error", data)


def dependency_error(type_: str, identity: str, described: str) -> Payload:
    """``Missing dependency: field[key=age,name=Age]`` with code ``dependency_missing``."""
    return error(f"Missing dependency: {described}", "dependency_missing", type=type_, identity=identity)


def warning(text: str, code: str = "", **extra: str) -> Payload:
    data: dict[str, Any] = {"text": text}
    if code:
        data["code"] = code
    if extra:
        data["extra"] = dict(extra)
    return Payload("warning", data)


def failure(text: str) -> Payload:
    return Payload("failure", {"text": text})
