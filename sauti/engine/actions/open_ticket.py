"""``open_ticket``: open a ticket for the contact unless one is open already (online).

Fields: ``topic`` (a topic reference; the workspace's default topic when absent), ``assignee`` (a user by UUID,
or by the evaluated ``email`` template) and ``note`` (template, at most 10000 characters; called ``body`` before
spec 14.2.0). Running it sets the run local ``_new_ticket``, on which the node's router splits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from sauti.engine.actions.base import MAX_TEMPLATE, Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import Dependency, TopicRef, UserRef
from sauti.engine.definition.fields import Reader

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
