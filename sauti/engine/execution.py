"""What an action's ``execute`` receives: an :class:`Execution`, the run and node it executes in, with everything
an action may read or do.

An action type gains behaviour by defining, in its own module::

    def execute(self, x: Execution) -> None:
        text, ok = x.evaluate(self.text)        # template errors become ``error`` events; ok is False then
        x.log(events.msg_created({...}))        # every effect is an event...
        x.contact_changer().set_name(text)      # ...and contact changes go through the changer

An ``execute`` never raises for anything a flow or its data can cause: it logs an ``error`` event and returns,
or fails the run with :meth:`Execution.fail` when the flow can't go on (the session loop then stops the node).
What it may use:

- state: :attr:`run` (results, locals, webhook), :attr:`flow`, :attr:`node`, :attr:`contact`, :attr:`assets`,
  :attr:`session` (``input``, ``trigger``, ``type``), :attr:`scene` (the sprint being built);
- evaluation: :meth:`evaluate` (text), :meth:`evaluate_value` (typed), :meth:`context` (the root ``@`` context),
  :attr:`eval` (for excellent functions), :attr:`env` (the contact-merged environment);
- localization: :meth:`localize`, :meth:`languages`;
- effects: :meth:`log`, :meth:`error`, :meth:`save_result`, :meth:`contact_changer`, :meth:`push_flow`,
  :meth:`fail`, and :attr:`services` (the webhook service, UUIDs, the clock).

:class:`Scene` is the state of one start or resume (its sprint, the pushed flow, the current resume); the session
loop owns it and builds an :class:`Execution` for each node visit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import phonenumbers

from sauti.engine import events
from sauti.engine.assets import Assets
from sauti.engine.contact import Contact
from sauti.engine.definition import Flow, Localized, Node, snakify
from sauti.engine.env import Environment
from sauti.engine.events import Event, Payload
from sauti.engine.excellent import (
    Eval,
    TemplateResult,
    Value,
    XObject,
    XText,
    evaluate_expression,
    evaluate_template_result,
    template_tokens,
)
from sauti.engine.modifiers import ContactChanger
from sauti.engine.resumes import Resume
from sauti.engine.run import Result, Run, Step
from sauti.engine.services import Services

if TYPE_CHECKING:
    from sauti.engine.session import Session, Sprint

__all__ = ["Execution", "PushedFlow", "Scene", "contact_country", "contact_env"]


def contact_country(contact: Contact, assets: Assets) -> str | None:
    """The contact's country: their preferred channel's, else the first tel URN's."""
    for urn in contact.urns:
        channel = assets.channel_for(urn.scheme, urn.channel_uuid)
        if channel is not None:
            if channel.country:
                return channel.country
            break
    for urn in contact.urns:
        if urn.scheme == "tel":
            try:
                region = phonenumbers.region_code_for_number(phonenumbers.parse(urn.path, None))
            except phonenumbers.NumberParseException:
                continue
            if region and region != "ZZ":
                return str(region)
    return None


def contact_env(env: Environment, contact: Contact, assets: Assets) -> Environment:
    """The workspace environment as ``contact`` sees it: their timezone, language and country."""
    return env.merged(
        timezone=contact.timezone or None, language=contact.language or None, country=contact_country(contact, assets)
    )


@dataclass(frozen=True)
class PushedFlow:
    """A flow an ``enter_flow`` action asked to enter once the node's actions have run."""

    flow: Flow
    parent: Run | None
    terminal: bool


@dataclass
class Scene:
    """One start or resume in progress."""

    env: Environment
    assets: Assets
    contact: Contact
    session: Session
    services: Services
    sprint: Sprint
    resume: Resume | None = None
    pushed: PushedFlow | None = None
    parent_summary: dict[str, Any] | None = None
    flows_seen: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------------------------------ environment
    def merged_env(self) -> Environment:
        """The workspace environment as the contact sees it: their timezone, language and country."""
        return contact_env(self.env, self.contact, self.assets)

    def country(self) -> str | None:
        """The contact's country: their preferred channel's, else the first tel URN's."""
        return contact_country(self.contact, self.assets)

    def eval(self) -> Eval:
        return Eval(self.merged_env(), now=self.services.now, random=self.services.random)

    # ------------------------------------------------------------------------------------------ events
    def log(self, payload: Payload, run: Run | None = None, node_uuid: str | None = None) -> Event:
        """Stamp ``payload`` with a UUID and the time and append it to the sprint."""
        event = Event(
            self.services.new_uuid(),
            payload.type,
            self.services.now(),
            payload.data,
            run_uuid=run.uuid if run is not None else None,
            node_uuid=node_uuid,
        )
        self.sprint.events.append(event)
        return event

    def changer(self, run: Run | None = None, node_uuid: str | None = None) -> ContactChanger:
        return ContactChanger(self.contact, self.assets, self.env, lambda p: self.log(p, run, node_uuid))

    def note_flow(self, flow_uuid: str) -> None:
        if not self.flows_seen or self.flows_seen[-1] != flow_uuid:
            self.flows_seen.append(flow_uuid)

    # ------------------------------------------------------------------------------------------ runs
    def exit_run(self, run: Run, status: str) -> None:
        now = self.services.now()
        run.status = status
        run.exited_on = now
        run.modified_on = now
        self.log(events.run_ended(run.uuid, run.flow_ref, status), run)

    def fail_run(self, run: Run, text: str, node_uuid: str | None = None) -> None:
        """End ``run`` as failed; ``text`` (when not empty) goes in a ``failure`` event first."""
        if text:
            self.log(events.failure(text), run, node_uuid)
        self.exit_run(run, "failed")

    def set_status(self, run: Run, status: str) -> None:
        run.status = status
        run.modified_on = self.services.now()

    def record_input(self, run: Run) -> None:
        if not run.had_input:
            run.modified_on = self.services.now()
        run.had_input = True


class Execution:
    """A node visit of a run: what actions and routers work with (see the module docstring)."""

    def __init__(self, scene: Scene, run: Run, flow: Flow, node: Node, step: Step) -> None:
        self.scene = scene
        self.run = run
        self.flow = flow
        self.node = node
        self.step = step

    # ------------------------------------------------------------------------------------------ state
    @property
    def contact(self) -> Contact:
        return self.scene.contact

    @property
    def assets(self) -> Assets:
        return self.scene.assets

    @property
    def session(self) -> Session:
        return self.scene.session

    @property
    def services(self) -> Services:
        return self.scene.services

    @property
    def env(self) -> Environment:
        """The environment merged with the contact's timezone, language and country."""
        return self.scene.merged_env()

    @property
    def eval(self) -> Eval:
        return self.scene.eval()

    @property
    def is_batch(self) -> bool:
        """Whether the session is one of a start to many contacts."""
        return self.session.trigger.batch

    def now(self) -> dt.datetime:
        return self.services.now()

    # ------------------------------------------------------------------------------------------ events
    def log(self, payload: Payload) -> Event:
        return self.scene.log(payload, self.run, self.node.uuid)

    def error(self, text: str, code: str = "", **extra: str) -> None:
        self.log(events.error(text, code, **extra))

    def contact_changer(self) -> ContactChanger:
        return self.scene.changer(self.run, self.node.uuid)

    def fail(self, text: str) -> None:
        """Fail the run (``failure`` then ``run_ended``); the node's remaining actions don't run."""
        self.scene.fail_run(self.run, text, self.node.uuid)

    def push_flow(self, flow: Flow, terminal: bool) -> None:
        """Enter ``flow`` as a child of this run once the node's actions have all run."""
        self.scene.pushed = PushedFlow(flow, self.run, terminal)

    # ------------------------------------------------------------------------------------------ evaluation
    def context(self) -> XObject:
        from sauti.engine.context import root_context

        return root_context(self)

    def _log_template_errors(self, result: TemplateResult) -> bool:
        for problem in result.errors:
            self.error(problem.event_text, problem.code, expression=problem.expression)
        return not result.errors

    def evaluate(
        self, template: str, *, truncate: bool = True, escaping: Callable[[str], str] | None = None
    ) -> tuple[str, bool]:
        """``template`` as text and whether it evaluated without errors (each error is an ``error`` event;
        the failing expression writes nothing). ``truncate``: cut to 10000 characters (bodies aren't)."""
        if "@" not in template:
            return template, True
        result = evaluate_template_result(
            template, self.context(), self.eval, escaping=escaping, max_chars=10_000 if truncate else None
        )
        return result.text, self._log_template_errors(result)

    def evaluate_value(self, template: str) -> Value:
        """``template`` in template value mode (a lone expression keeps its type; errors are logged)."""
        context, ev = self.context(), self.eval
        trimmed = template.strip()
        tokens = template_tokens(trimmed, context)
        if len(tokens) == 1 and tokens[0].type != "text":
            return evaluate_expression(tokens[0].value, context, ev)
        result = evaluate_template_result(trimmed, context, ev)
        self._log_template_errors(result)
        return XText(result.text)

    # ------------------------------------------------------------------------------------------ localization
    def languages(self) -> tuple[str, ...]:
        """The languages this run's texts are looked up in, in order (the flow's own language last)."""
        env = self.scene.env
        return self.flow.localization.preferred_languages(
            self.contact.language or None, env.allowed_languages, env.default_language
        )

    def localize(
        self, item_uuid: str, prop: str, base: Sequence[str], languages: Sequence[str] | None = None
    ) -> Localized:
        """The texts of ``prop`` of ``item_uuid`` in the first of ``languages`` (default :meth:`languages`) that
        translates it, else ``base`` (in the flow's language)."""
        return self.flow.localization.localize_in(
            languages if languages is not None else self.languages(), item_uuid, prop, base
        )

    # ------------------------------------------------------------------------------------------ results
    def save_result(
        self,
        name: str,
        value: str,
        category: str,
        category_localized: str = "",
        input: str = "",
        extra: Any = None,
    ) -> None:
        """Save a result under ``snakify(name)`` (value cut to the environment's ``max_value_length``); emit
        ``run_result_changed`` when its value or category changed."""
        now = self.now()
        result = Result(
            name=name,
            value=value[: self.scene.env.max_value_length],
            category=category,
            node_uuid=self.node.uuid,
            created_on=now,
            category_localized=category_localized if category_localized != category else "",
            input=input,
            extra=extra,
        )
        key = snakify(name)
        old = self.run.results.get(key)
        self.run.results[key] = result
        self.run.modified_on = now
        if old is None or old.value != result.value or old.category != result.category:
            previous = (old.value, old.category) if old is not None else None
            self.log(events.run_result_changed(name, result.value, category, extra, previous))
