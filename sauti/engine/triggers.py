"""Triggers: what starts a session (goflow's trigger JSON, ``@trigger`` in expressions).

Common keys: ``type``, ``flow`` ``{uuid, name}``, ``triggered_on``, optional ``params`` (any JSON object: the
API's flow start ``params``, seen as ``@trigger.params``), ``batch`` (true for a start to many contacts; some
actions refuse group recipients then) and ``history`` (spawn bookkeeping of sessions started by other sessions).
Per type:

- ``manual``: a UI/API start; optional ``user`` ``{uuid?, name, email?}`` and ``origin`` (``ui``, ``api`` ...).
- ``msg``: an inbound message started it; ``event`` is its ``msg_received`` event (it becomes the session input)
  and ``keyword_match`` ``{type: first_word|only_word, keyword}`` says which keyword matched, if one did.
- ``flow_action``: a ``start_session`` action of another session; ``run_summary`` is that run's summary
  (``@parent``).
- ``campaign``: ``event`` is a ``campaign_fired`` event ``{campaign: {uuid, name}, point_uuid}``.
- ``chat``: a new conversation or referral on a chat channel (``params``).

Voice triggers (``call``) and ``ticket`` are not supported yet: reading one raises :class:`TriggerError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sauti.engine.contact import parse_datetime
from sauti.engine.inputs import InputError, MsgInput
from sauti.kit.timefmt import format_utc

__all__ = ["TRIGGER_TYPES", "History", "KeywordMatch", "Trigger", "TriggerError"]

TRIGGER_TYPES: Final = ("manual", "msg", "flow_action", "campaign", "chat")


class TriggerError(ValueError):
    """Trigger JSON that can't be read (or a type the engine doesn't run)."""


@dataclass(frozen=True)
class History:
    """How a session descends from others: the spawning session, how many sessions up the chain, and how many
    of those since the contact last sent something (``start_session`` refuses at 5)."""

    parent_uuid: str = ""
    ancestors: int = 0
    ancestors_since_input: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "parent_uuid": self.parent_uuid,
            "ancestors": self.ancestors,
            "ancestors_since_input": self.ancestors_since_input,
        }

    @classmethod
    def from_json(cls, data: Any) -> History:
        if not isinstance(data, Mapping):
            raise TriggerError("history must be an object")
        return cls(
            str(data.get("parent_uuid") or ""),
            int(data.get("ancestors") or 0),
            int(data.get("ancestors_since_input") or 0),
        )

    def advance(self, parent_uuid: str, had_input: bool) -> History:
        """The history of a session spawned by ``parent_uuid`` (which had input or not)."""
        return History(parent_uuid, self.ancestors + 1, 0 if had_input else self.ancestors_since_input + 1)


@dataclass(frozen=True)
class KeywordMatch:
    type: str
    keyword: str

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "keyword": self.keyword}


@dataclass(frozen=True)
class Trigger:
    type: str
    flow: Mapping[str, Any]
    triggered_on: dt.datetime
    params: Any = None
    batch: bool = False
    history: History | None = None
    event: Mapping[str, Any] | None = None
    keyword_match: KeywordMatch | None = None
    run_summary: Mapping[str, Any] | None = None
    user: Mapping[str, Any] | None = None
    origin: str = ""

    @property
    def flow_uuid(self) -> str:
        return str(self.flow.get("uuid", ""))

    @property
    def input(self) -> MsgInput | None:
        """The session input a ``msg`` trigger provides."""
        if self.type != "msg" or self.event is None:
            return None
        return MsgInput.from_event(self.event)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Trigger:
        """Read trigger JSON (see the module docstring). Raises :class:`TriggerError`."""
        if not isinstance(data, Mapping):
            raise TriggerError("trigger must be an object")
        type_ = data.get("type")
        if type_ not in TRIGGER_TYPES:
            raise TriggerError(f"trigger type {type_!r} is not supported (one of {', '.join(TRIGGER_TYPES)})")
        flow = data.get("flow")
        if not isinstance(flow, Mapping) or not isinstance(flow.get("uuid"), str):
            raise TriggerError("trigger needs a flow {uuid, name}")
        triggered_on = parse_datetime(data.get("triggered_on"))
        if triggered_on is None:
            raise TriggerError("trigger needs a valid triggered_on")
        params = data.get("params")
        if params is not None and not isinstance(params, Mapping):
            raise TriggerError("trigger params must be an object")
        event = data.get("event")
        if event is not None and not isinstance(event, Mapping):
            raise TriggerError("trigger event must be an object")
        if type_ == "msg":
            if event is None:
                raise TriggerError("a msg trigger needs its msg_received event")
            try:
                MsgInput.from_event(event)
            except InputError as e:
                raise TriggerError(str(e)) from None
        match = data.get("keyword_match")
        keyword_match = None
        if match is not None:
            if not isinstance(match, Mapping) or match.get("type") not in ("first_word", "only_word"):
                raise TriggerError("keyword_match needs a type (first_word or only_word) and a keyword")
            keyword_match = KeywordMatch(str(match["type"]), str(match.get("keyword") or ""))
        summary = data.get("run_summary")
        if type_ == "flow_action" and not isinstance(summary, Mapping):
            raise TriggerError("a flow_action trigger needs a run_summary")
        user = data.get("user")
        return cls(
            type=type_,
            flow={"uuid": flow["uuid"], "name": str(flow.get("name") or "")},
            triggered_on=triggered_on,
            params=params,
            batch=bool(data.get("batch")),
            history=History.from_json(data["history"]) if data.get("history") is not None else None,
            event=event,
            keyword_match=keyword_match,
            run_summary=summary if isinstance(summary, Mapping) else None,
            user=user if isinstance(user, Mapping) else None,
            origin=str(data.get("origin") or ""),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "flow": dict(self.flow)}
        if self.event is not None:
            out["event"] = self.event
        if self.params is not None:
            out["params"] = self.params
        if self.batch:
            out["batch"] = True
        if self.history is not None:
            out["history"] = self.history.to_json()
        if self.keyword_match is not None:
            out["keyword_match"] = self.keyword_match.to_json()
        if self.run_summary is not None:
            out["run_summary"] = self.run_summary
        if self.user is not None:
            out["user"] = self.user
        if self.origin:
            out["origin"] = self.origin
        out["triggered_on"] = format_utc(self.triggered_on)
        return out
