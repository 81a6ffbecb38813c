"""``start_session``: start other contacts (groups, a query, URNs ...) in a flow (online).

Fields: ``flow`` (required reference), the recipients of ``send_broadcast`` (``groups``, ``contacts``,
``contact_query``, ``urns``, ``legacy_vars``), ``create_contact`` (make a new contact to start) and
``exclusions`` (``{"in_a_flow": bool}``: skip contacts already in a flow).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import ContactRef, Dependency, FlowRef, GroupRef
from sauti.engine.actions.send_broadcast import Recipients, recipient_dependencies
from sauti.engine.definition.fields import Reader

if TYPE_CHECKING:
    from sauti.engine.execution import Execution


MAX_ANCESTORS_SINCE_INPUT: Final = 5


@register
@dataclass(frozen=True, kw_only=True)
class StartSession(Action):
    TYPE = "start_session"
    FLOW_CLASS = "online"
    TEMPLATES = ("contact_query", "groups[*].name_match", "legacy_vars[*]")

    flow: FlowRef
    groups: tuple[GroupRef, ...] = ()
    contacts: tuple[ContactRef, ...] = ()
    contact_query: str = ""
    urns: tuple[str, ...] = ()
    legacy_vars: tuple[str, ...] = ()
    create_contact: bool = False
    exclude_in_a_flow: bool = False

    @classmethod
    def read(cls, r: Reader) -> StartSession:
        flow = r.child("flow", required=True)
        exclusions = r.child("exclusions")
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            flow=FlowRef.read(flow) if flow is not None else FlowRef("", ""),
            **Recipients.read(r).fields(),
            create_contact=r.boolean("create_contact"),
            exclude_in_a_flow=exclusions.boolean("in_a_flow") if exclusions is not None else False,
        )

    def dependencies(self) -> Iterator[Dependency]:
        yield from recipient_dependencies(self.groups, self.contacts)
        yield self.flow.dependency()

    def execute(self, x: Execution) -> None:
        """Ask the platform to start the recipients in the flow (``session_triggered`` with this run's summary
        and the session's history). Refused with an error: a missing flow, group or query recipients in a batch
        start, and a fifth session spawned without the contact saying anything in between."""
        from sauti.engine import events
        from sauti.engine.references import resolve_recipients
        from sauti.engine.triggers import History

        recipients = resolve_recipients(x, self.groups, self.contacts, self.contact_query, self.urns, self.legacy_vars)
        flow = x.assets.flow(self.flow.uuid)
        if flow is None:
            described = f"flow[uuid={self.flow.uuid},name={self.flow.name}]"
            x.log(events.dependency_error("flow", self.flow.uuid, described))
            return
        if x.is_batch and (recipients.groups or recipients.contact_query):
            x.error("Can't start new sessions for groups or queries during batch starts")
            return
        history = x.session.trigger.history or History()
        if history.ancestors_since_input >= MAX_ANCESTORS_SINCE_INPUT:
            x.error("Too many sessions have been spawned since the last time input was received")
            return
        if recipients.empty and not self.contact_query and not self.create_contact:
            return
        x.log(
            events.session_triggered(
                flow=flow.reference(),
                groups=[g.reference() for g in recipients.groups],
                contacts=list(recipients.contacts),
                contact_query=recipients.contact_query,
                exclusions={"in_a_flow": self.exclude_in_a_flow},
                create_contact=self.create_contact,
                urns=list(recipients.urns),
                run_summary=x.run.summary(x.contact.to_json()),
                history=history.advance(x.session.uuid, x.session.had_input).to_json(),
            )
        )
