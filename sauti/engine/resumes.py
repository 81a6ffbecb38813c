"""Resumes: what wakes a waiting session (goflow's resume JSON, ``@resume`` in expressions).

- ``{"type": "msg", "event": <msg_received event>, "resumed_on": ...}``: the contact replied; the message
  becomes the session input.
- ``{"type": "wait_timeout", "event": {"type": "wait_timed_out", ...}, "resumed_on": ...}``: the wait's timeout
  passed without a reply (only accepted by a wait that has a timeout).
- ``{"type": "wait_expiration", "event": {"type": "wait_expired", ...}, "resumed_on": ...}``: the wait expired;
  the waiting run ends ``expired``.

``event`` may be left out of the two timer resumes. The ``dial`` resume of voice flows is not supported yet.
A resume that isn't a ``msg`` clears the session input, as goflow does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from sauti.engine.contact import parse_datetime
from sauti.engine.inputs import InputError, MsgInput
from sauti.kit.timefmt import format_utc

__all__ = ["RESUME_TYPES", "Resume", "ResumeError"]

RESUME_TYPES: Final = ("msg", "wait_timeout", "wait_expiration")


class ResumeError(ValueError):
    """Resume JSON that can't be read."""


@dataclass(frozen=True)
class Resume:
    type: str
    resumed_on: dt.datetime
    event: Mapping[str, Any] | None = None

    @cached_property
    def input(self) -> MsgInput | None:
        """The message of a ``msg`` resume (read once: :meth:`from_json` reads it to check the event)."""
        if self.type != "msg" or self.event is None:
            return None
        return MsgInput.from_event(self.event)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], default_time: dt.datetime | None = None) -> Resume:
        """Read resume JSON; ``default_time`` stands in for a missing ``resumed_on``. Raises
        :class:`ResumeError`."""
        if not isinstance(data, Mapping) or data.get("type") not in RESUME_TYPES:
            raise ResumeError(f"resume type must be one of {', '.join(RESUME_TYPES)}")
        resumed_on = parse_datetime(data.get("resumed_on")) or default_time
        if resumed_on is None:
            raise ResumeError("resume needs a valid resumed_on")
        event = data.get("event")
        if event is not None and not isinstance(event, Mapping):
            raise ResumeError("resume event must be an object")
        read: MsgInput | None = None
        if data["type"] == "msg":
            if event is None:
                raise ResumeError("a msg resume needs its msg_received event")
            try:
                read = MsgInput.from_event(event)
            except InputError as e:
                raise ResumeError(str(e)) from None
        resume = cls(data["type"], resumed_on, event)
        if read is not None:
            resume.__dict__["input"] = read  # what the cached property would read again
        return resume

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.event is not None:
            out["event"] = self.event
        out["resumed_on"] = format_utc(self.resumed_on)
        return out
