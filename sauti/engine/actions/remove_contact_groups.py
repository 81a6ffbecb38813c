"""``remove_contact_groups``: remove the contact from some manual groups, or from all of them (universal).

Fields: ``groups`` (references as for ``add_contact_groups``) or ``all_groups: true`` — not both.
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
class RemoveContactGroups(Action):
    TYPE = "remove_contact_groups"
    FLOW_CLASS = "universal"
    TEMPLATES = ("groups[*].name_match",)

    groups: tuple[GroupRef, ...] = ()
    all_groups: bool = False

    @classmethod
    def read(cls, r: Reader) -> RemoveContactGroups:
        groups = tuple(GroupRef.read(g) for g in r.children("groups"))
        return cls(uuid=action_uuid(r), raw=raw_of(r), groups=groups, all_groups=r.boolean("all_groups"))

    def check(self) -> Iterator[str]:
        if self.all_groups and self.groups:
            yield "can't name groups when all_groups is true"

    def dependencies(self) -> Iterator[Dependency]:
        yield from (d for g in self.groups if (d := g.dependency()) is not None)

    def execute(self, x: Execution) -> None:
        """Remove the contact from each resolved manual group, or with ``all_groups`` from every manual one."""
        from sauti.engine.references import resolve_groups

        if self.all_groups:
            groups = [g for g in x.assets.groups if not g.is_smart]
        else:
            groups = resolve_groups(x, self.groups)
        x.contact_changer().remove_groups(groups)
