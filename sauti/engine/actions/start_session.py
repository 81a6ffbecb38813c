"""``start_session``: start other contacts (groups, a query, URNs ...) in a flow (online).

Fields: ``flow`` (required reference), the recipients of ``send_broadcast`` (``groups``, ``contacts``,
``contact_query``, ``urns``, ``legacy_vars``), ``create_contact`` (make a new contact to start) and
``exclusions`` (``{"in_a_flow": bool}``: skip contacts already in a flow).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import ContactRef, Dependency, FlowRef, GroupRef
from sauti.engine.actions.send_broadcast import Recipients, recipient_dependencies
from sauti.engine.definition.fields import Reader


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
