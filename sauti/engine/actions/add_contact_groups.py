"""``add_contact_groups``: add the contact to manual groups (universal).

Field: ``groups`` (required, at most 100 references: ``{uuid, name}``, or ``{name_match}`` with a template naming
the group at run time).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import Dependency, GroupRef
from sauti.engine.definition.fields import Reader

if TYPE_CHECKING:
    from sauti.engine.execution import Execution


@register
@dataclass(frozen=True, kw_only=True)
class AddContactGroups(Action):
    TYPE = "add_contact_groups"
    FLOW_CLASS = "universal"
    TEMPLATES = ("groups[*].name_match",)

    groups: tuple[GroupRef, ...]

    @classmethod
    def read(cls, r: Reader) -> AddContactGroups:
        groups = tuple(GroupRef.read(g) for g in r.children("groups", required=True, max_items=100))
        return cls(uuid=action_uuid(r), raw=raw_of(r), groups=groups)

    def dependencies(self) -> Iterator[Dependency]:
        yield from (d for g in self.groups if (d := g.dependency()) is not None)

    def execute(self, x: Execution) -> None:
        """Add the contact to each resolved manual group (see ``ContactChanger.add_groups``)."""
        from sauti.engine.references import resolve_groups

        x.contact_changer().add_groups(resolve_groups(x, self.groups))
