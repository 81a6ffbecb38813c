"""``set_contact_field``: set (or, with an empty value, clear) one of the contact's fields (universal).

Fields: ``field`` (required reference ``{key, name}``, key at most 64 characters) and ``value`` (template, at most
10000 characters; may be empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sauti.engine.actions.base import MAX_TEMPLATE, Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import Dependency, FieldRef
from sauti.engine.definition.fields import Reader

if TYPE_CHECKING:
    from sauti.engine.execution import Execution


@register
@dataclass(frozen=True, kw_only=True)
class SetContactField(Action):
    TYPE = "set_contact_field"
    FLOW_CLASS = "universal"
    TEMPLATES = ("value",)

    field: FieldRef
    value: str = ""

    @classmethod
    def read(cls, r: Reader) -> SetContactField:
        field = r.child("field", required=True)
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            field=FieldRef.read(field) if field is not None else FieldRef("", ""),
            value=r.text("value", max_len=MAX_TEMPLATE),
        )

    def dependencies(self) -> Iterator[Dependency]:
        yield self.field.dependency()

    def execute(self, x: Execution) -> None:
        """Set the field to the trimmed evaluated value read as every type (``""`` clears it); an unknown
        field is a missing dependency; nothing on an expression error."""
        from sauti.engine import events
        from sauti.engine.modifiers import parse_field_value

        value, ok = x.evaluate(self.value)
        if not ok:
            return
        field = x.assets.field(self.field.key)
        if field is None:
            described = f"field[key={self.field.key},name={self.field.name}]"
            x.log(events.dependency_error("field", self.field.key, described))
            return
        parsed = parse_field_value(value.strip(), x.eval, x.env.max_value_length)
        x.contact_changer().set_field(field, parsed)
