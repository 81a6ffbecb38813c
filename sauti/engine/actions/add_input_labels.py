"""``add_input_labels``: label the message the contact last sent (interactive).

Field: ``labels`` (required, at most 100 references: ``{uuid, name}`` or ``{name_match}``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import Dependency, LabelRef
from sauti.engine.definition.fields import Reader

if TYPE_CHECKING:
    from sauti.engine.execution import Execution


@register
@dataclass(frozen=True, kw_only=True)
class AddInputLabels(Action):
    TYPE = "add_input_labels"
    FLOW_CLASS = "interactive"
    TEMPLATES = ("labels[*].name_match",)

    labels: tuple[LabelRef, ...]

    @classmethod
    def read(cls, r: Reader) -> AddInputLabels:
        labels = tuple(LabelRef.read(label) for label in r.children("labels", required=True, max_items=100))
        return cls(uuid=action_uuid(r), raw=raw_of(r), labels=labels)

    def dependencies(self) -> Iterator[Dependency]:
        yield from (d for label in self.labels if (d := label.dependency()) is not None)

    def execute(self, x: Execution) -> None:
        """Label the session's input (the inbound message) with each resolved label."""
        from sauti.engine import events
        from sauti.engine.references import resolve_labels

        msg = x.session.input
        if msg is None:
            x.error("No input to add labels to")
            return
        labels = resolve_labels(x, self.labels)
        if labels:
            x.log(events.input_labels_added(msg.uuid, [label.reference() for label in labels]))
