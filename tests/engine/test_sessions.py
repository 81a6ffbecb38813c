"""End-to-end sessions: each ``cases/sessions/<name>.json`` is one conversation in goflow's runner shape.

A file holds ``{"description", "assets", "env", "contact", "trigger", "resumes", "http_mocks"?, "random"?,
"now"?, "outputs"}``. The session is started with ``trigger`` and then resumed with each of ``resumes`` in turn;
``outputs[0]`` is what the start produced and ``outputs[i]`` what resume ``i`` produced: the sprint (``uuid``,
``events``, ``segments``), the session JSON after it, and the contact JSON after it. An output may instead be
``{"error": "..."}`` when the engine must refuse that resume (the session and contact then stay as they were).
Each resume works on the session and contact read back from the previous output's JSON, as the platform
stores and reloads them.

Time and identity are deterministic: the clock starts at ``now`` (default 2025-05-04T12:30:00Z) and moves one
second per read, jumping forward to a resume's ``resumed_on`` when that is later (time passing between
sprints); UUIDs count up from ``00000001-0000-4000-8000-000000000001``; random draws cycle through ``random``
(default ``[0.5]``); webhook calls are answered from ``http_mocks`` (``{url: [{status, body, headers?}]}``, in
order; status 0 or a missing mock is a connection error).

Set ``SAUTI_UPDATE_SNAPSHOTS=1`` to rewrite every file's ``outputs`` from what the engine does now, then review
the diff by hand before committing it.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sauti.engine.assets import Assets
from sauti.engine.contact import Contact, parse_datetime
from sauti.engine.env import Environment
from sauti.engine.jsonio import dumps, loads
from sauti.engine.resumes import Resume
from sauti.engine.services import CyclingRandom, MockWebhooks, SequentialUUIDs, Services, SteppingClock
from sauti.engine.session import Session, SessionError, resume, start
from sauti.engine.triggers import Trigger

SESSIONS = Path(__file__).parent / "cases" / "sessions"
FILES = sorted(SESSIONS.glob("*.json"))
UPDATE = os.environ.get("SAUTI_UPDATE_SNAPSHOTS") == "1"
DEFAULT_NOW = "2025-05-04T12:30:00Z"


def run_case(case: dict[str, Any]) -> list[dict[str, Any]]:
    """Start and resume the case's session; one output per sprint."""
    env = Environment.from_json(case.get("env") or {})
    assets = Assets.from_json(case["assets"], env)
    contact = Contact.from_json(case["contact"])
    now = parse_datetime(case.get("now", DEFAULT_NOW))
    assert now is not None
    clock = SteppingClock(now)
    randoms = [Decimal(str(r)) for r in case.get("random", ["0.5"])]
    services = Services(
        clock, SequentialUUIDs(), CyclingRandom(randoms), MockWebhooks.from_json(case.get("http_mocks", {}))
    )

    session, sprint = start(env, assets, contact, Trigger.from_json(case["trigger"]), services)
    outputs = [_output(sprint.to_json(), session, contact)]
    for data in case.get("resumes", []):
        # each resume starts from what the platform stored: the session and contact read back from JSON
        stored = next(o for o in reversed(outputs) if "error" not in o)
        session, contact = Session.from_json(stored["session"]), Contact.from_json(stored["contact"])
        resumed_on = parse_datetime(data.get("resumed_on"))
        if resumed_on is not None:
            clock.advance_to(resumed_on)
        try:
            session, sprint = resume(env, assets, contact, session, Resume.from_json(data), services)
        except SessionError as e:
            outputs.append({"error": str(e)})
            continue
        outputs.append(_output(sprint.to_json(), session, contact))
    return outputs


def _output(sprint: dict[str, Any], session: Session, contact: Contact) -> dict[str, Any]:
    # through JSON text and back, as the platform would store it: what is compared is what survives storage
    data: dict[str, Any] = loads(dumps({**sprint, "session": session.to_json(), "contact": contact.to_json()}))
    assert Session.from_json(data["session"]).to_json() == data["session"], "session JSON round-trips"
    return data


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_session(path: Path) -> None:
    case = loads(path.read_text(encoding="utf-8"))
    outputs = run_case(case)
    if UPDATE:
        case["outputs"] = outputs
        path.write_text(dumps(case, indent=2) + "\n", encoding="utf-8")
        return
    expected = case["outputs"]
    assert len(outputs) == len(expected), "one output per start and resume"
    for i, (got, want) in enumerate(zip(outputs, expected, strict=True)):
        assert got == want, f"output {i} differs"


def test_there_are_session_cases() -> None:
    assert len(FILES) >= 10


def test_events_know_their_run_and_node() -> None:
    """Events carry the run and node they happened at (not in their JSON): the platform links an outgoing
    message or a result to its run with them."""
    case = loads((SESSIONS / "survey_answers.json").read_text(encoding="utf-8"))
    env = Environment.from_json(case.get("env") or {})
    assets = Assets.from_json(case["assets"], env)
    contact = Contact.from_json(case["contact"])
    services = Services(SteppingClock(dt.datetime(2025, 5, 4, tzinfo=dt.UTC)), SequentialUUIDs(), CyclingRandom())
    session, sprint = start(env, assets, contact, Trigger.from_json(case["trigger"]), services)
    msg = next(e for e in sprint.events if e.type == "msg_created")
    assert msg.run_uuid == session.runs[0].uuid
    assert msg.node_uuid == session.runs[0].path[0].node_uuid
    assert "run_uuid" not in msg.to_json()


def test_a_refused_resume_changes_nothing() -> None:
    case = loads((SESSIONS / "survey_answers.json").read_text(encoding="utf-8"))
    env = Environment.from_json(case.get("env") or {})
    assets = Assets.from_json(case["assets"], env)
    contact = Contact.from_json(case["contact"])
    services = Services(SteppingClock(dt.datetime(2025, 5, 4, tzinfo=dt.UTC)), SequentialUUIDs(), CyclingRandom())
    session, _ = start(env, assets, contact, Trigger.from_json(case["trigger"]), services)
    before = (session.to_json(), contact.to_json())
    timeout = Resume.from_json({"type": "wait_timeout", "resumed_on": "2025-05-04T13:00:00Z"})
    with pytest.raises(SessionError, match="not accepted by wait"):
        resume(env, assets, contact, session, timeout, services)
    assert (session.to_json(), contact.to_json()) == before
    other = Contact.from_json({**case["contact"], "uuid": "9d000000-0000-4000-8000-0000000000ff"})
    with pytest.raises(SessionError, match="another contact"):
        resume(env, assets, other, session, timeout, services)
