"""Waits: pausing a run for the contact's reply (``msg``; voice ``dial`` waits aren't run yet)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sauti.engine import events
from sauti.engine.definition import MsgWait, Wait

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

__all__ = ["accepts", "begin_wait"]


def accepts(wait: Wait, resume_type: str) -> bool:
    """Whether ``wait`` may be resumed by a resume of ``resume_type``: a message wait takes ``msg`` and
    ``wait_expiration``, and ``wait_timeout`` only when it has a timeout."""
    if not isinstance(wait, MsgWait):
        return False
    if resume_type == "wait_timeout":
        return wait.timeout is not None
    return resume_type in ("msg", "wait_expiration")


def _hint(wait: MsgWait) -> dict[str, Any] | None:
    if wait.hint is None:
        return None
    hint: dict[str, Any] = {"type": wait.hint.type}
    if wait.hint.count is not None:
        hint["count"] = wait.hint.count
    if wait.hint.terminated_by is not None:
        hint["terminated_by"] = wait.hint.terminated_by
    return hint


def begin_wait(x: Execution, wait: Wait) -> bool:
    """Start waiting (emitting ``msg_wait``), or return ``False`` when the wait is skipped: a session started
    by a message routes its very first node on that message instead of waiting for another."""
    session = x.session
    if session.trigger.type == "msg" and len(session.runs) == 1 and len(x.run.path) == 1:
        return False
    if not isinstance(wait, MsgWait):
        x.error(f"waits of type {wait.TYPE} are not supported", "wait_unsupported")
        return False
    expires_on = x.now() + dt.timedelta(minutes=x.flow.expires_after_minutes)
    timeout = wait.timeout.seconds if wait.timeout is not None else None
    x.log(events.msg_wait(timeout, expires_on, _hint(wait)))
    return True
