"""Sessions: a contact's conversation with one or more flows, run by :func:`start` and :func:`resume`.

Both are pure functions of their arguments::

    session, sprint = start(env, assets, contact, trigger, services)
    session, sprint = resume(env, assets, contact, session, resume, services)

``contact`` is changed in place, and every change is also an event of the returned :class:`Sprint`; ``resume``
works on a copy of the given session (a refused resume leaves it untouched). A sprint is what one call did:
its ``events`` in order, its ``segments`` (each exit taken, for the editor's path counts) and a fresh ``uuid``
(key the wait's timers by session and sprint UUID so a stale timer is ignored).

The loop (goflow's): enter the trigger's flow; at each node record a step, run the actions, then either enter a
pushed subflow, begin a wait (the session returns ``waiting``), or route to an exit and follow it. A run without
a destination ends ``completed`` and hands back to its parent, which routes again on ``@child`` (a failed child
fails its parent too); the session ends when the top run does (``failed`` if that run failed, else
``completed``). Limits: :data:`MAX_STEPS_PER_SPRINT` node visits per call (then the run fails "Reached maximum
number of steps per sprint (100)"), :data:`MAX_RUNS_PER_SESSION` runs and :data:`MAX_SPRINTS_PER_SESSION` calls.

Caller errors (a resume of a session that isn't waiting, a resume its wait doesn't take, a contact or flow that
doesn't match) raise :class:`SessionError` and change nothing.

Session JSON::

    {"uuid": "...", "type": "messaging", "created_on": "...", "contact_uuid": "...",
     "trigger": {...}, "status": "waiting", "input": {...}, "sprints": 1, "runs": [<run JSON>, ...]}

``status``: ``active`` (only while being processed), ``waiting``, ``completed``, ``failed``; the platform adds
``interrupted`` and ``expired`` when it ends a session from outside. A session that expired at its wait is
``completed`` with its run ``expired``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sauti.engine import events, routers
from sauti.engine.actions.base import Action
from sauti.engine.assets import Assets
from sauti.engine.contact import Contact
from sauti.engine.definition import Flow, Node
from sauti.engine.env import Environment
from sauti.engine.events import Event
from sauti.engine.execution import Execution, PushedFlow, Scene
from sauti.engine.inputs import MsgInput
from sauti.engine.resumes import Resume
from sauti.engine.run import Run, Step
from sauti.engine.services import Services
from sauti.engine.triggers import Trigger
from sauti.kit.timefmt import format_utc

__all__ = [
    "MAX_RUNS_PER_SESSION",
    "MAX_SPRINTS_PER_SESSION",
    "MAX_STEPS_PER_SPRINT",
    "SESSION_STATUSES",
    "Segment",
    "Session",
    "SessionError",
    "Sprint",
    "resume",
    "start",
]

MAX_STEPS_PER_SPRINT: Final = 100
MAX_RUNS_PER_SESSION: Final = 500
MAX_SPRINTS_PER_SESSION: Final = 500
SESSION_STATUSES: Final = ("active", "waiting", "completed", "failed", "interrupted", "expired")


class SessionError(ValueError):
    """A start or resume the caller shouldn't have asked for; nothing was changed."""


@dataclass(frozen=True)
class Segment:
    """One exit taken: from ``node_uuid`` by ``exit_uuid`` to ``destination_uuid``, routing on ``operand``."""

    flow_uuid: str
    node_uuid: str
    exit_uuid: str
    destination_uuid: str
    operand: str
    time: dt.datetime

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"flow_uuid": self.flow_uuid, "node_uuid": self.node_uuid, "exit_uuid": self.exit_uuid}
        if self.operand:
            out["operand"] = self.operand
        out["destination_uuid"] = self.destination_uuid
        out["time"] = format_utc(self.time)
        return out


@dataclass
class Sprint:
    """What one start or resume did."""

    uuid: str
    events: list[Event] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    flow_uuids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "events": [e.to_json() for e in self.events],
            "segments": [s.to_json() for s in self.segments],
        }


@dataclass
class Session:
    uuid: str
    type: str
    created_on: dt.datetime
    contact_uuid: str
    trigger: Trigger
    status: str = "active"
    runs: list[Run] = field(default_factory=list)
    input: MsgInput | None = None
    sprints: int = 0

    def run(self, uuid: str | None) -> Run | None:
        return next((r for r in self.runs if r.uuid == uuid), None)

    @property
    def waiting_run(self) -> Run | None:
        return next((r for r in self.runs if r.status == "waiting"), None)

    @property
    def had_input(self) -> bool:
        return any(r.had_input for r in self.runs)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uuid": self.uuid,
            "type": self.type,
            "created_on": format_utc(self.created_on),
            "contact_uuid": self.contact_uuid,
            "trigger": self.trigger.to_json(),
            "status": self.status,
        }
        if self.input is not None:
            out["input"] = self.input.to_json()
        out["sprints"] = self.sprints
        out["runs"] = [r.to_json() for r in self.runs]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Session:
        """Read session JSON (as :meth:`to_json` writes it). Raises ``ValueError``."""
        from sauti.engine.contact import parse_datetime

        if not isinstance(data, Mapping):
            raise SessionError("session must be an object")
        created_on = parse_datetime(data.get("created_on"))
        if not isinstance(data.get("uuid"), str) or created_on is None or not isinstance(data.get("contact_uuid"), str):
            raise SessionError("session needs a uuid, created_on and contact_uuid")
        status = data.get("status")
        if status not in SESSION_STATUSES:
            raise SessionError(f"session status {status!r} is not one of {', '.join(SESSION_STATUSES)}")
        raw_input = data.get("input")
        return cls(
            uuid=data["uuid"],
            type=str(data.get("type") or "messaging"),
            created_on=created_on,
            contact_uuid=data["contact_uuid"],
            trigger=Trigger.from_json(data.get("trigger") or {}),
            status=status,
            runs=[Run.from_json(r) for r in data.get("runs") or ()],
            input=MsgInput.from_json(raw_input) if raw_input is not None else None,
            sprints=int(data.get("sprints") or 0),
        )


# ---------------------------------------------------------------------------------------------- public API


def start(
    env: Environment, assets: Assets, contact: Contact, trigger: Trigger, services: Services
) -> tuple[Session, Sprint]:
    """Start a session for ``contact`` in the trigger's flow and run it until it waits or ends.

    Raises :class:`SessionError` when the trigger's flow isn't in ``assets``.
    """
    flow = assets.flow(trigger.flow_uuid)
    if flow is None:
        raise SessionError(f"trigger flow {trigger.flow_uuid} is not in the assets")
    session = Session(
        uuid=services.new_uuid(),
        type=flow.type,
        created_on=services.now(),
        contact_uuid=contact.uuid,
        trigger=trigger,
    )
    sprint = Sprint(services.new_uuid())
    scene = Scene(env, assets, contact, session, services, sprint, parent_summary=_parent_summary(trigger))
    _Loop(scene).start(flow)
    sprint.flow_uuids = list(scene.flows_seen)
    return session, sprint


def resume(
    env: Environment,
    assets: Assets,
    contact: Contact,
    session: Session,
    resume: Resume,
    services: Services,
    *,
    copy_session: bool = True,
) -> tuple[Session, Sprint]:
    """Resume a waiting ``session`` (a copy of it) and run it until it waits again or ends.

    ``copy_session=False``: the caller owns ``session`` and will not use it again (it was just read from its
    JSON), so it is resumed in place and returned, rather than deep-copied first: the copy cost a fifth of a
    resume's time on the inbound path.

    Raises :class:`SessionError` when the session isn't waiting, isn't ``contact``'s, or its wait doesn't take
    this kind of resume (the session is then unchanged, also in place: these checks come first).
    """
    if session.contact_uuid != contact.uuid:
        raise SessionError("the session belongs to another contact")
    if session.status != "waiting":
        raise SessionError("only waiting sessions can be resumed")
    waiting = session.waiting_run
    if waiting is None:
        raise SessionError("the session has no waiting run")
    flow = assets.flow(waiting.flow_uuid)
    node = flow.node(waiting.current_node_uuid or "") if flow is not None else None
    if node is not None and node.router is not None and node.router.wait is not None:
        if not routers.accepts(node.router.wait, resume.type):
            raise SessionError(f"resume of type {resume.type} not accepted by wait of type {node.router.wait.TYPE}")
    if copy_session:
        session = copy.deepcopy(session)
    sprint = Sprint(services.new_uuid())
    scene = Scene(
        env, assets, contact, session, services, sprint, resume, parent_summary=_parent_summary(session.trigger)
    )
    _Loop(scene).resume(resume)
    sprint.flow_uuids = list(scene.flows_seen)
    return session, sprint


def _parent_summary(trigger: Trigger) -> dict[str, Any] | None:
    return dict(trigger.run_summary) if trigger.type == "flow_action" and trigger.run_summary else None


# ---------------------------------------------------------------------------------------------- the loop


@dataclass
class _Position:
    """Where the loop is: the current run, the node it is at, the exit chosen there and the operand."""

    run: Run | None = None
    node: Node | None = None
    exit_uuid: str | None = None
    operand: str = ""


class _Loop:
    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self.session = scene.session

    def _flow(self, run: Run) -> Flow | None:
        return self.scene.assets.flow(run.flow_uuid)

    # ------------------------------------------------------------------------------------------ entry points
    def start(self, flow: Flow) -> None:
        scene, session = self.scene, self.session
        scene.pushed = PushedFlow(flow, None, False)
        session.input = session.trigger.input
        changer = scene.changer()
        if session.input is not None:
            changer.set_last_seen(session.input.created_on)
        changer.reevaluate_groups(drop_manual_if_inactive=False)
        self._continue(_Position(), from_trigger=True)
        session.sprints += 1

    def resume(self, resume: Resume) -> None:
        scene, session = self.scene, self.session
        run = session.waiting_run
        assert run is not None
        flow = self._flow(run)
        if flow is None:
            self._fail_session(run, "Can't resume run with missing flow asset")
            return
        if session.sprints >= MAX_SPRINTS_PER_SESSION:
            self._fail_session(run, f"Reached maximum number of sprints per session ({MAX_SPRINTS_PER_SESSION})")
            return
        node = flow.node(run.current_node_uuid or "")
        if node is None:
            self._fail_session(
                run, "Unable to find resume location: run is located at a flow node that no longer exists"
            )
            return
        if node.router is None or node.router.wait is None:
            self._fail_session(run, "Can't resume from node without a router or wait")
            return

        session.status = "active"
        scene.note_flow(flow.uuid)
        msg = resume.input
        session.input = msg
        changer = scene.changer(run, node.uuid)
        if msg is not None:
            changer.set_last_seen(msg.created_on)
            scene.record_input(run)

        if resume.type == "wait_expiration":
            scene.exit_run(run, "expired")
            position = _Position(run, node)
        else:
            scene.set_status(run, "active")
            x = Execution(scene, run, flow, node, run.path[-1])
            exit_uuid, operand = self._pick_exit(x, timeout=resume.type == "wait_timeout")
            position = _Position(run, node, exit_uuid, operand)
        changer.reevaluate_groups(drop_manual_if_inactive=False)
        self._continue(position)
        session.sprints += 1

    def _fail_session(self, run: Run, text: str) -> None:
        scene = self.scene
        scene.fail_run(run, text, run.current_node_uuid)
        for other in self.session.runs:
            if other.status in ("active", "waiting"):
                scene.exit_run(other, "failed")
        self.session.status = "failed"
        self.session.sprints += 1

    # ------------------------------------------------------------------------------------------ the loop
    def _continue(self, pos: _Position, *, from_trigger: bool = False) -> None:
        scene, session = self.scene, self.session
        steps = 0
        while True:
            destination: str | None = None
            if scene.pushed is not None:
                pushed, scene.pushed = scene.pushed, None
                if len(session.runs) >= MAX_RUNS_PER_SESSION:
                    assert pos.run is not None
                    text = f"Reached maximum number of runs per session ({MAX_RUNS_PER_SESSION})"
                    scene.fail_run(pos.run, text, pos.run.current_node_uuid)
                else:
                    if pushed.terminal:
                        for other in session.runs:
                            if other.status in ("active", "waiting"):
                                scene.exit_run(other, "completed")
                    pos.run = self._new_run(pushed.flow, pushed.parent, pushed.terminal)
                    entry = pushed.flow.entry
                    destination = entry.uuid if entry is not None else None
            elif pos.exit_uuid is not None:
                assert pos.run is not None and pos.node is not None
                exit_ = pos.node.exit(pos.exit_uuid)
                destination = exit_.destination_uuid if exit_ is not None else None
                flow = self._flow(pos.run)
                if destination and flow is not None and flow.node(destination) is not None:
                    segment = Segment(
                        flow.uuid, pos.node.uuid, pos.exit_uuid, destination, pos.operand, scene.services.now()
                    )
                    scene.sprint.segments.append(segment)
                pos.exit_uuid, pos.operand = None, ""

            if not destination:
                run = pos.run
                assert run is not None
                if not run.is_ended:
                    scene.exit_run(run, "completed")
                parent = session.run(run.parent_uuid) if run.parent_uuid else None
                if parent is not None and parent.status == "active":
                    pos.run = parent
                    if run.status == "failed":
                        scene.fail_run(parent, "", parent.current_node_uuid)
                        continue
                    self._resume_parent(pos)
                    continue
                session.status = "failed" if run.status == "failed" else "completed"
                return

            steps += 1
            run = pos.run
            assert run is not None
            if steps > MAX_STEPS_PER_SPRINT:
                scene.fail_run(
                    run, f"Reached maximum number of steps per sprint ({MAX_STEPS_PER_SPRINT})", run.current_node_uuid
                )
                continue
            flow = self._flow(run)
            node = flow.node(destination) if flow is not None else None
            if flow is None or node is None:  # pragma: no cover - the definition reader checks destinations
                scene.fail_run(run, f"Unable to find destination node {destination}")
                continue
            pos.node = node
            pos.exit_uuid, pos.operand = self._visit(run, flow, node, from_trigger)
            from_trigger = False
            if session.status == "waiting":
                return

    def _resume_parent(self, pos: _Position) -> None:
        """Route the parent's node again now its child has ended (typically on ``@child.status``)."""
        run = pos.run
        assert run is not None
        flow = self._flow(run)
        node = flow.node(run.current_node_uuid or "") if flow is not None else None
        if flow is None or node is None:
            self.scene.fail_run(run, "Can't resume run as node no longer exists")
            return
        pos.node = node
        x = Execution(self.scene, run, flow, node, run.path[-1])
        pos.exit_uuid, pos.operand = self._pick_exit(x)

    def _new_run(self, flow: Flow, parent: Run | None, terminal: bool) -> Run:
        scene = self.scene
        now = scene.services.now()
        run = Run(
            uuid=scene.services.new_uuid(),
            flow={"uuid": flow.uuid, "name": flow.name, "revision": flow.revision},
            created_on=now,
            modified_on=now,
            parent_uuid=parent.uuid if parent is not None else None,
        )
        self.session.runs.append(run)
        scene.log(events.run_started(run.flow_ref, run.uuid, run.parent_uuid, terminal), run)
        scene.note_flow(flow.uuid)
        return run

    def _visit(self, run: Run, flow: Flow, node: Node, from_trigger: bool) -> tuple[str | None, str]:
        scene = self.scene
        now = scene.services.now()
        step = Step(node.uuid, now)
        run.path.append(step)
        run.modified_on = now
        if from_trigger and self.session.input is not None:
            scene.record_input(run)
        x = Execution(scene, run, flow, node, step)

        for action in node.actions:
            _execute(action, x)
            if run.status == "failed":
                return None, ""
        if scene.pushed is not None:
            return None, ""
        router = node.router
        if router is not None and router.wait is not None and routers.begin_wait(x, router.wait):
            scene.set_status(run, "waiting")
            self.session.status = "waiting"
            return None, ""
        return self._pick_exit(x)

    def _pick_exit(self, x: Execution, *, timeout: bool = False) -> tuple[str | None, str]:
        router = x.node.router
        if router is None:
            return (x.node.exits[0].uuid if x.node.exits else None), ""
        if timeout:
            exit_uuid, operand = routers.route_timeout(x, router), ""
        else:
            exit_uuid, operand = routers.route(x, router)
        if exit_uuid is None:
            x.fail("Router failed to pick a category")
            return None, ""
        return exit_uuid, operand


def _execute(action: Action, x: Execution) -> None:
    """Run ``action``; a type without ``execute`` logs ``action_unsupported`` and the flow goes on."""
    execute = getattr(action, "execute", None)
    if execute is None:
        x.error(f"Action type {action.type} is not supported yet", "action_unsupported")
        return
    execute(x)
