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


# ---------------------------------------------------------------------------------------------------- limits
RECURSE = "fc000000-0000-4000-8000-000000000001"


def _recursive_flow() -> dict[str, Any]:
    """Asks for a reply, then enters itself: every reply adds a run."""
    return {
        "uuid": RECURSE,
        "name": "Again",
        "spec_version": "14.4.2",
        "language": "eng",
        "type": "messaging",
        "nodes": [
            {
                "uuid": "fc000000-0000-4000-8000-000000000011",
                "actions": [{"uuid": "fc000000-0000-4000-8000-000000000021", "type": "send_msg", "text": "Again?"}],
                "router": {
                    "type": "switch",
                    "wait": {"type": "msg"},
                    "operand": "@input.text",
                    "categories": [
                        {
                            "uuid": "fc000000-0000-4000-8000-000000000031",
                            "name": "All",
                            "exit_uuid": "fc000000-0000-4000-8000-000000000041",
                        }
                    ],
                    "default_category_uuid": "fc000000-0000-4000-8000-000000000031",
                },
                "exits": [
                    {
                        "uuid": "fc000000-0000-4000-8000-000000000041",
                        "destination_uuid": "fc000000-0000-4000-8000-000000000012",
                    }
                ],
            },
            {
                "uuid": "fc000000-0000-4000-8000-000000000012",
                "actions": [
                    {
                        "uuid": "fc000000-0000-4000-8000-000000000022",
                        "type": "enter_flow",
                        "flow": {"uuid": RECURSE, "name": "Again"},
                    }
                ],
                "exits": [{"uuid": "fc000000-0000-4000-8000-000000000042"}],
            },
        ],
    }


def _reply(text: str) -> Resume:
    return Resume.from_json(
        {
            "type": "msg",
            "resumed_on": "2025-05-04T13:00:00Z",
            "event": {
                "type": "msg_received",
                "uuid": "a6000000-0000-4000-8000-000000000001",
                "created_on": "2025-05-04T13:00:00Z",
                "msg": {"text": text},
            },
        }
    )


def _recursive_session() -> tuple[Environment, Assets, Contact, Session, Services]:
    env = Environment()
    assets = Assets.from_json({"flows": [_recursive_flow()]}, env)
    contact = Contact.from_json({"uuid": "9d000000-0000-4000-8000-000000000001", "created_on": "2024-01-01T00:00:00Z"})
    services = Services(SteppingClock(dt.datetime(2025, 5, 4, tzinfo=dt.UTC)), SequentialUUIDs(), CyclingRandom())
    trigger = Trigger.from_json(
        {"type": "manual", "flow": {"uuid": RECURSE, "name": "Again"}, "triggered_on": "2025-05-04T00:00:00Z"}
    )
    session, _ = start(env, assets, contact, trigger, services)
    return env, assets, contact, session, services


def test_a_reply_enters_a_new_run_until_the_run_limit() -> None:
    env, assets, contact, session, services = _recursive_session()
    session, sprint = resume(env, assets, contact, session, _reply("yes"), services)
    assert [e.type for e in sprint.events] == ["run_started", "msg_created", "msg_wait"]
    assert [r.status for r in session.runs] == ["active", "waiting"]

    # 498 more runs (as if entered in earlier sprints) make 500: the next enter_flow fails the entering run
    data = session.to_json()
    filler = {**data["runs"][0], "status": "completed", "exited_on": data["runs"][0]["created_on"], "parent_uuid": None}
    data["runs"] = [{**filler, "uuid": f"7e000000-0000-4000-8000-{i:012d}"} for i in range(498)] + data["runs"]
    session = Session.from_json(data)
    session, sprint = resume(env, assets, contact, session, _reply("yes"), services)
    failure = next(e for e in sprint.events if e.type == "failure")
    assert failure.data == {"text": "Reached maximum number of runs per session (500)"}
    assert session.status == "failed" and len(session.runs) == 500
    assert [r.status for r in session.runs[-2:]] == ["failed", "failed"], "the failure bubbles up to the parent"


def test_the_sprint_limit_fails_the_session() -> None:
    env, assets, contact, session, services = _recursive_session()
    data = session.to_json()
    data["sprints"] = 500
    session, sprint = resume(env, assets, contact, Session.from_json(data), _reply("yes"), services)
    assert [(e.type, e.data.get("text") or e.data.get("status")) for e in sprint.events] == [
        ("failure", "Reached maximum number of sprints per session (500)"),
        ("run_ended", "failed"),
    ]
    assert session.status == "failed" and session.sprints == 501


def test_a_waiting_flow_gone_from_the_assets_fails_the_session() -> None:
    env, _, contact, session, services = _recursive_session()
    session, sprint = resume(env, Assets.from_json({}, env), contact, session, _reply("yes"), services)
    assert sprint.events[0].data == {"text": "Can't resume run with missing flow asset"}
    assert session.status == "failed" and session.runs[0].status == "failed"


def test_a_trigger_for_a_flow_not_in_the_assets_is_refused() -> None:
    env, _, contact, _, services = _recursive_session()
    trigger = Trigger.from_json(
        {"type": "manual", "flow": {"uuid": RECURSE, "name": "Again"}, "triggered_on": "2025-05-04T00:00:00Z"}
    )
    with pytest.raises(SessionError, match="not in the assets"):
        start(env, Assets.from_json({}, env), contact, trigger, services)
