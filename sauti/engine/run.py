"""Runs: one per flow a session enters (the API's "run"), with their path, results, locals and webhook.

Run JSON (inside the session's ``runs``; the platform's run rows are built from it)::

    {"uuid": "...", "flow": {"uuid": "...", "name": "Registration", "revision": 3},
     "status": "waiting",                       # active|waiting|completed|expired|interrupted|failed
     "path": [{"node_uuid": "...", "arrived_on": "..."}],
     "results": {"age": {"name": "Age", "value": "27", "category": "Valid", "node_uuid": "...",
                         "input": "I am 27", "created_on": "..."}},
     "locals": {"_has_urn": "tel:+254..."},     # only while the run is active or waiting
     "had_input": true,                         # the API's "responded"
     "parent_uuid": "...",                      # subflow runs
     "webhook": {"method": "GET", "url": "...", "status": 200, "headers": {...}, "json": {...}},
     "created_on": "...", "modified_on": "...", "exited_on": null}

Unlike goflow's compacted sessions, ended runs keep their ``path`` and ``results`` (the API's ``runs.json``
needs both); only ``locals`` and ``webhook`` are dropped when a run ends. API mapping: ``responded`` =
``had_input``; ``path[i]`` = ``{node: node_uuid, time: arrived_on}``; ``values[key]`` = ``{name, value,
category, node: node_uuid, time: created_on}``; ``exit_type`` = ``status`` once ended, else null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sauti.engine.contact import parse_datetime
from sauti.kit.timefmt import format_utc

__all__ = ["ENDED", "RUN_STATUSES", "Result", "Run", "RunError", "Step", "WebhookCall"]

RUN_STATUSES: Final = ("active", "waiting", "completed", "expired", "interrupted", "failed")
ENDED: Final = frozenset({"completed", "expired", "interrupted", "failed"})


class RunError(ValueError):
    """Run JSON that can't be read."""


def _time(data: Mapping[str, Any], key: str, what: str) -> dt.datetime:
    value = parse_datetime(data.get(key))
    if value is None:
        raise RunError(f"{what} needs a valid {key}")
    return value


@dataclass(frozen=True)
class Step:
    """One visit of a node."""

    node_uuid: str
    arrived_on: dt.datetime

    def to_json(self) -> dict[str, Any]:
        return {"node_uuid": self.node_uuid, "arrived_on": format_utc(self.arrived_on)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Step:
        if not isinstance(data.get("node_uuid"), str):
            raise RunError("a step needs a node_uuid")
        return cls(data["node_uuid"], _time(data, "arrived_on", "a step"))


@dataclass(frozen=True)
class Result:
    """A saved result (``@results.<key>``); ``category_localized`` only when it differs from ``category``;
    ``input`` the operand as text (routers) or ``METHOD URL`` (legacy webhook results); ``extra`` any JSON."""

    name: str
    value: str
    category: str
    node_uuid: str
    created_on: dt.datetime
    category_localized: str = ""
    input: str = ""
    extra: Any = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "value": self.value}
        if self.category:
            out["category"] = self.category
        if self.category_localized:
            out["category_localized"] = self.category_localized
        out["node_uuid"] = self.node_uuid
        if self.input:
            out["input"] = self.input
        if self.extra is not None:
            out["extra"] = self.extra
        out["created_on"] = format_utc(self.created_on)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
            raise RunError("a result needs a name")
        return cls(
            name=data["name"],
            value=str(data.get("value") or ""),
            category=str(data.get("category") or ""),
            node_uuid=str(data.get("node_uuid") or ""),
            created_on=_time(data, "created_on", "a result"),
            category_localized=str(data.get("category_localized") or ""),
            input=str(data.get("input") or ""),
            extra=data.get("extra"),
        )


@dataclass(frozen=True)
class WebhookCall:
    """The last webhook call of a run (``@webhook``): ``status`` 0 when no response came; ``json`` the parsed
    response body, ``None`` when it wasn't JSON."""

    method: str
    url: str
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "headers": dict(self.headers),
            "json": self.json,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebhookCall:
        if not isinstance(data, Mapping):
            raise RunError("webhook must be an object")
        return cls(
            str(data.get("method") or ""),
            str(data.get("url") or ""),
            int(data.get("status") or 0),
            {str(k): str(v) for k, v in (data.get("headers") or {}).items()},
            data.get("json"),
        )


@dataclass
class Run:
    """A run of one flow (mutable while the session runs). ``flow`` is ``{uuid, name, revision}``."""

    uuid: str
    flow: dict[str, Any]
    created_on: dt.datetime
    modified_on: dt.datetime
    status: str = "active"
    path: list[Step] = field(default_factory=list)
    results: dict[str, Result] = field(default_factory=dict)
    locals: dict[str, str] = field(default_factory=dict)
    had_input: bool = False
    parent_uuid: str | None = None
    webhook: WebhookCall | None = None
    exited_on: dt.datetime | None = None

    @property
    def flow_uuid(self) -> str:
        return str(self.flow["uuid"])

    @property
    def flow_ref(self) -> dict[str, Any]:
        """``{uuid, name}``, how events name the run's flow."""
        return {"uuid": self.flow["uuid"], "name": self.flow.get("name", "")}

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED

    @property
    def current_node_uuid(self) -> str | None:
        return self.path[-1].node_uuid if self.path else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uuid": self.uuid, "flow": dict(self.flow), "status": self.status}
        out["path"] = [s.to_json() for s in self.path]
        out["results"] = {k: r.to_json() for k, r in sorted(self.results.items())}
        if self.locals and not self.is_ended:
            out["locals"] = dict(sorted(self.locals.items()))
        out["had_input"] = self.had_input
        if self.parent_uuid:
            out["parent_uuid"] = self.parent_uuid
        if self.webhook is not None and not self.is_ended:
            out["webhook"] = self.webhook.to_json()
        out["created_on"] = format_utc(self.created_on)
        out["modified_on"] = format_utc(self.modified_on)
        out["exited_on"] = format_utc(self.exited_on)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Run:
        if not isinstance(data, Mapping) or not isinstance(data.get("uuid"), str):
            raise RunError("a run needs a uuid")
        flow = data.get("flow")
        if not isinstance(flow, Mapping) or not isinstance(flow.get("uuid"), str):
            raise RunError("a run needs a flow {uuid, name}")
        status = data.get("status")
        if status not in RUN_STATUSES:
            raise RunError(f"run status {status!r} is not one of {', '.join(RUN_STATUSES)}")
        webhook = data.get("webhook")
        return cls(
            uuid=data["uuid"],
            flow=dict(flow),
            created_on=_time(data, "created_on", "a run"),
            modified_on=_time(data, "modified_on", "a run"),
            status=status,
            path=[Step.from_json(s) for s in data.get("path") or ()],
            results={str(k): Result.from_json(v) for k, v in (data.get("results") or {}).items()},
            locals={str(k): str(v) for k, v in (data.get("locals") or {}).items()},
            had_input=bool(data.get("had_input")),
            parent_uuid=data.get("parent_uuid") or None,
            webhook=WebhookCall.from_json(webhook) if webhook is not None else None,
            exited_on=parse_datetime(data.get("exited_on")),
        )

    def summary(self, contact_json: Mapping[str, Any]) -> dict[str, Any]:
        """The run summary a ``session_triggered`` event carries (``@parent`` of the spawned session)."""
        return {
            "uuid": self.uuid,
            "flow": self.flow_ref,
            "contact": dict(contact_json),
            "status": self.status,
            "results": {k: r.to_json() for k, r in sorted(self.results.items())},
        }
