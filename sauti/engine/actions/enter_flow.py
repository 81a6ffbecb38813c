"""``enter_flow``: run another flow as a subflow of this one (universal).

Fields: ``flow`` (required reference ``{uuid, name}``) and ``terminal`` (when true, the current runs end and the
parent is never resumed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import Dependency, FlowRef
from sauti.engine.definition.fields import Reader

if TYPE_CHECKING:
    from sauti.engine.execution import Execution


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

    def execute(self, x: Execution) -> None:
        """Enter the flow as a subflow once the node's actions have run. A missing flow, or one of another type
        than the session's (background flows excepted), fails the run."""
        flow = x.assets.flow(self.flow.uuid)
        if flow is None:
            x.fail(f"Unable to find flow '{self.flow.name}'")
            return
        if flow.type != x.session.type and flow.type != "messaging_background":
            x.fail(
                f"Can't enter flow[uuid={flow.uuid},name={flow.name}] of type {flow.type} from type {x.session.type}"
            )
            return
        x.push_flow(flow, self.terminal)
