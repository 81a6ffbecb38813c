"""``open_ticket``: open a ticket for the contact unless one is open already (online).

Fields: ``topic`` (a topic reference; the workspace's default topic when absent), ``assignee`` (a user by UUID,
or by the evaluated ``email`` template) and ``note`` (template, at most 10000 characters; called ``body`` before
spec 14.2.0). Running it sets the run local ``_new_ticket``, on which the node's router splits.

Executing (reference E5): a contact has at most one open ticket (``Contact.ticket``), so when one is open
nothing is opened. Otherwise the ticket gets a new UUID, the action's topic (the system topic when it names
none; a topic the assets lack is a ``dependency_missing`` error and no ticket) and its assignee (a user the
assets lack, by UUID or by the evaluated email, is an error and the ticket is opened unassigned); the events
are ``ticket_opened`` then, for a note that is not empty once evaluated and trimmed, ``ticket_note_added``.
The contact's ``ticket`` becomes the new ticket (``@ticket``). Batch starts may not open tickets: an error.

DECISION: ``_new_ticket`` is set to ``""`` whenever no ticket is opened (one is open already, a batch start,
a missing topic), so the node's router takes its Failure branch in every such case.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sauti.engine.actions.base import MAX_TEMPLATE, Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import Dependency, TopicRef, UserRef
from sauti.engine.definition.fields import Reader

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

OUTPUT_LOCAL: Final = "_new_ticket"


@register
@dataclass(frozen=True, kw_only=True)
class OpenTicket(Action):
    TYPE = "open_ticket"
    FLOW_CLASS = "online"
    TEMPLATES = ("assignee.email", "note")

    topic: TopicRef | None = None
    assignee: UserRef | None = None
    note: str = ""

    @classmethod
    def read(cls, r: Reader) -> OpenTicket:
        topic, assignee = r.child("topic"), r.child("assignee")
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            topic=TopicRef.read(topic) if topic is not None else None,
            assignee=UserRef.read(assignee) if assignee is not None else None,
            note=r.text("note", max_len=MAX_TEMPLATE),
        )

    def dependencies(self) -> Iterator[Dependency]:
        if self.topic is not None:
            yield self.topic.dependency()
        if self.assignee is not None and (dep := self.assignee.dependency()) is not None:
            yield dep

    def locals(self) -> Iterator[str]:
        yield OUTPUT_LOCAL

    def execute(self, x: Execution) -> None:
        from sauti.engine import events
        from sauti.engine.contact import OpenTicket

        x.run.locals[OUTPUT_LOCAL] = ""
        if x.is_batch:
            x.error("can't open tickets during batch starts")
            return
        if x.contact.ticket is not None:
            return
        if self.topic is not None:
            topic = x.assets.topic(self.topic.uuid)
            if topic is None:
                described = f"topic[uuid={self.topic.uuid},name={self.topic.name}]"
                x.log(events.dependency_error("topic", self.topic.uuid, described))
                return
        else:
            topic = x.assets.default_topic()
            if topic is None:
                x.error("the workspace has no default topic")
                return
        assignee = None
        if self.assignee is not None:
            if self.assignee.uuid is not None:
                assignee = x.assets.user(self.assignee.uuid)
                if assignee is None:
                    described = f"user[uuid={self.assignee.uuid},name={self.assignee.name}]"
                    x.log(events.dependency_error("user", self.assignee.uuid, described))
            else:
                email, ok = x.evaluate(self.assignee.email_match or "")
                if ok:
                    assignee = x.assets.user_by_email(email)
                    if assignee is None:
                        x.error(f"no user with email '{email.strip()}'", "user_missing", email=email.strip())
        note = x.evaluate(self.note)[0].strip() if self.note else ""
        uuid = x.services.new_uuid()
        assignee_ref = assignee.reference() if assignee is not None else None
        x.log(events.ticket_opened(uuid, topic.reference(), assignee_ref))
        if note:
            x.log(events.ticket_note_added(uuid, note))
        x.contact.ticket = OpenTicket(uuid, topic.reference(), assignee_ref)
        x.run.locals[OUTPUT_LOCAL] = uuid
