"""Executing actions: the ``execute`` list of every ``cases/actions/<type>.json``.

Each case is ``{"description", "action", "contact_before"?, "localization"?, "flow_type"?, "input"?,
"trigger"?, "http_mocks"?, "resthooks"? ({slug: [subscriber URLs]}), "classifier_mocks"?, "actions_before"?,
"actions_after"?, "events", "contact_after"?, "locals_after"?, "results_after"?, "status_after"?}``. The harness
wraps ``action`` in a one-node flow (translated by ``localization``; ``actions_before``/``actions_after`` run
around it in the same node, to set up state or show its effect), starts a session for the standard contact of
``cases/standard.json`` (its keys replaced by ``contact_before``'s) with a manual trigger, or with a message
trigger carrying ``input`` (the message text), with ``trigger``'s keys added (``batch``, ``history`` ...), and
compares:

- ``events``: what the sprint logged, without each event's ``uuid`` and ``created_on`` and without the
  wrapper run's own ``run_started`` and final ``run_ended {completed}``;
- ``contact_after``: the contact JSON keys that changed (every other key must be as before);
- ``locals_after`` / ``results_after``: the run's locals and results (results without ``created_on``);
- ``status_after``: the run's status (default ``completed``).

The ``read`` list of the same files belongs to ``test_definitions.py``.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sauti.engine.actions import REGISTRY, executable_types
from sauti.engine.assets import Assets
from sauti.engine.contact import Contact
from sauti.engine.definition import CURRENT_VERSION
from sauti.engine.env import Environment
from sauti.engine.jsonio import loads
from sauti.engine.services import (
    CyclingRandom,
    MockClassifiers,
    MockResthooks,
    MockWebhooks,
    SequentialUUIDs,
    Services,
    SteppingClock,
)
from sauti.engine.session import start
from sauti.engine.triggers import Trigger

CASES = Path(__file__).parent / "cases"
ACTIONS = CASES / "actions"
STANDARD = loads((CASES / "standard.json").read_text(encoding="utf-8"))

FLOW_UUID = "0e000000-0000-4000-8000-000000000001"
NODE_UUID = "0e000000-0000-4000-8000-000000000002"
EXIT_UUID = "0e000000-0000-4000-8000-000000000003"
MSG_UUID = "0e000000-0000-4000-8000-000000000004"
START = dt.datetime(2025, 5, 4, 12, 30, tzinfo=dt.UTC)

ACTION_FILES = {p.stem: loads(p.read_text(encoding="utf-8")) for p in sorted(ACTIONS.glob("*.json"))}
CASE_LIST = [(t, c) for t, f in ACTION_FILES.items() for c in f.get("execute", ())]


def _flow(case: dict[str, Any]) -> dict[str, Any]:
    actions = [*case.get("actions_before", ()), case["action"], *case.get("actions_after", ())]
    return {
        "uuid": FLOW_UUID,
        "name": "Action case",
        "spec_version": CURRENT_VERSION,
        "language": "eng",
        "type": case.get("flow_type", "messaging"),
        "localization": case.get("localization", {}),
        "nodes": [{"uuid": NODE_UUID, "actions": actions, "exits": [{"uuid": EXIT_UUID}]}],
    }


def _trigger(case: dict[str, Any]) -> Trigger:
    data: dict[str, Any] = {
        "type": "manual",
        "flow": {"uuid": FLOW_UUID, "name": "Action case"},
        "triggered_on": "2025-05-04T12:29:00Z",
    }
    if "input" in case:
        data["type"] = "msg"
        data["event"] = {
            "type": "msg_received",
            "uuid": MSG_UUID,
            "created_on": "2025-05-04T12:29:00Z",
            "msg": {
                "urn": "tel:+254712345678",
                "channel": {"uuid": "9c000000-0000-4000-8000-000000000001", "name": "Safaricom SMS"},
                "text": case["input"],
            },
        }
    data.update(case.get("trigger", {}))
    return Trigger.from_json(data)


def _events(sprint_events: list[Any], run_uuid: str) -> list[dict[str, Any]]:
    out = [e.to_json() for e in sprint_events]
    if out and out[0]["type"] == "run_started" and out[0]["run_uuid"] == run_uuid:
        out = out[1:]
    if out and out[-1]["type"] == "run_ended" and out[-1]["run_uuid"] == run_uuid:
        if out[-1]["status"] == "completed":
            out = out[:-1]
    for event in out:
        del event["uuid"], event["created_on"]
    return out


def _without_times(results: dict[str, Any]) -> dict[str, Any]:
    return {k: {f: v for f, v in r.items() if f != "created_on"} for k, r in results.items()}


@pytest.mark.parametrize(("type_", "case"), CASE_LIST, ids=[f"{t}: {c['description']}" for t, c in CASE_LIST])
def test_execute(type_: str, case: dict[str, Any]) -> None:
    assert case["action"]["type"] == type_
    env = Environment.from_json(STANDARD["env"])
    assets_json = copy.deepcopy(STANDARD["assets"])
    assets_json["flows"].append(_flow(case))
    assets = Assets.from_json(assets_json, env)
    before = {**copy.deepcopy(STANDARD["contact"]), **case.get("contact_before", {})}
    contact = Contact.from_json(before)
    webhooks = MockWebhooks.from_json(case.get("http_mocks", {}))
    resthooks = MockResthooks(case.get("resthooks", {}), webhooks)
    classifiers = MockClassifiers.from_json(case["classifier_mocks"]) if "classifier_mocks" in case else None
    services = Services(
        SteppingClock(START), SequentialUUIDs(), CyclingRandom(), webhooks, resthooks=resthooks, classifier=classifiers
    )

    session, sprint = start(env, assets, contact, _trigger(case), services)

    run = session.runs[0]
    assert _events(sprint.events, run.uuid) == case["events"]
    expected_contact = Contact.from_json(before).to_json()
    if "input" in case:
        expected_contact["last_seen_on"] = "2025-05-04T12:29:00.000000Z"
    expected_contact.update(case.get("contact_after", {}))
    assert contact.to_json() == expected_contact
    assert run.locals == case.get("locals_after", {})
    assert _without_times({k: r.to_json() for k, r in run.results.items()}) == case.get("results_after", {})
    assert run.status == case.get("status_after", "completed")


def test_every_action_type_has_a_case_file() -> None:
    assert set(ACTION_FILES) == set(REGISTRY)


@pytest.mark.parametrize("type_", sorted(REGISTRY))
def test_every_type_has_execute_cases(type_: str) -> None:
    cases = ACTION_FILES[type_].get("execute", [])
    assert cases, f"{type_} has no execute cases"
    # an action_unsupported error with extra says which variant of an executable type isn't served (a classifier
    # type, say); without extra it is the generic error of a type with no execute method
    unsupported = [
        c for c in cases if any(e.get("code") == "action_unsupported" and "extra" not in e for e in c["events"])
    ]
    if type_ in executable_types():
        assert not unsupported, f"{type_} is executable but a case expects action_unsupported"
        assert len(cases) >= 2, f"{type_} needs cases for its edge cases, not one"
    else:
        assert unsupported, f"{type_} has no execute method: its case must show action_unsupported"


def test_p0_and_p1_types_are_executable() -> None:
    p0 = {
        "send_msg",
        "set_run_result",
        "set_contact_field",
        "set_contact_name",
        "set_contact_language",
        "add_contact_groups",
        "remove_contact_groups",
    }
    p1 = {
        "enter_flow",
        "call_webhook",
        "set_run_local",
        "add_contact_urn",
        "set_contact_status",
        "set_contact_timezone",
        "add_input_labels",
        "send_broadcast",
        "start_session",
    }
    assert p0 | p1 <= executable_types()
