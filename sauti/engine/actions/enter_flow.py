"""``enter_flow``: run another flow as a subflow of this one (universal).

Fields: ``flow`` (required reference ``{uuid, name}``) and ``terminal`` (when true, the current runs end and the
parent is never resumed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import Dependency, FlowRef
from sauti.engine.definition.fields import Reader


@register
@dataclass(frozen=True, kw_only=True)
class EnterFlow(Action):
    TYPE = "enter_flow"
    FLOW_CLASS = "universal"

    flow: FlowRef
    terminal: bool = False

    @classmethod
    def read(cls, r: Reader) -> EnterFlow:
        flow = r.child("flow", required=True)
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            flow=FlowRef.read(flow) if flow is not None else FlowRef("", ""),
            terminal=r.boolean("terminal"),
        )

    def dependencies(self) -> Iterator[Dependency]:
        yield self.flow.dependency()
