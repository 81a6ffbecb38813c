"""Resolving the asset references of actions at run time: groups, labels and the recipients of
``send_broadcast`` / ``start_session``.

A reference by UUID that the assets lack logs a ``dependency_missing`` error; a ``name_match`` reference is
evaluated and looked up by name (case-insensitively), a miss logging ``group_missing`` / ``label_missing``.
Either way the reference is skipped and the action goes on with the rest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sauti.engine import events
from sauti.engine.actions.refs import ContactRef, GroupRef, LabelRef
from sauti.engine.assets import GroupAsset, LabelAsset
from sauti.kit import urns as kurns

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

__all__ = ["Recipients", "escape_query_value", "resolve_groups", "resolve_labels", "resolve_recipients"]

_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _described(kind: str, uuid: str, name: str) -> str:
    return f"{kind}[uuid={uuid},name={name}]"


def resolve_groups(x: Execution, refs: Sequence[GroupRef]) -> list[GroupAsset]:
    groups = []
    for ref in refs:
        if ref.uuid is None:
            name, ok = x.evaluate(ref.name_match or "")
            if not ok:
                continue
            group = x.assets.group_by_name(name)
            if group is None:
                x.error(f"No such group with name '{name}'", "group_missing", name=name)
        else:
            group = x.assets.group(ref.uuid)
            if group is None:
                x.log(events.dependency_error("group", ref.uuid, _described("group", ref.uuid, ref.name)))
        if group is not None:
            groups.append(group)
    return groups


def resolve_labels(x: Execution, refs: Sequence[LabelRef]) -> list[LabelAsset]:
    labels = []
    for ref in refs:
        if ref.uuid is None:
            name, ok = x.evaluate(ref.name_match or "")
            if not ok:
                continue
            label = x.assets.label_by_name(name)
            if label is None:
                x.error(f"No such label with name '{name}'", "label_missing", name=name)
        else:
            label = x.assets.label(ref.uuid)
            if label is None:
                x.log(events.dependency_error("label", ref.uuid, _described("label", ref.uuid, ref.name)))
        if label is not None:
            labels.append(label)
    return labels


def escape_query_value(text: str) -> str:
    """A value inserted into a contact query by a template: always quoted, quotes and backslashes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Recipients:
    groups: tuple[GroupAsset, ...]
    contacts: tuple[dict[str, str], ...]
    contact_query: str
    urns: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.groups or self.contacts or self.contact_query or self.urns)


def resolve_recipients(
    x: Execution,
    groups: Sequence[GroupRef],
    contacts: Sequence[ContactRef],
    contact_query: str,
    urns: Sequence[str],
    legacy_vars: Sequence[str],
) -> Recipients:
    """The recipients of a broadcast or a session start: groups resolved, each legacy variable evaluated and
    read as a contact UUID, a group name, a URN or a phone number (else an ``error``), and the contact query
    evaluated with every inserted value quoted."""
    country = x.env.default_country
    resolved_groups = resolve_groups(x, groups)
    contact_refs = [c_ref(c) for c in contacts]
    urn_list = [u for u in (_normalized(u, country) for u in urns) if u]
    for template in legacy_vars:
        value = x.evaluate(template)[0].strip()
        if _UUID_RE.fullmatch(value):
            contact_refs.append({"uuid": value.lower(), "name": ""})
            continue
        group = x.assets.group_by_name(value) if value else None
        if group is not None:
            resolved_groups.append(group)
            continue
        urn = _normalized(value, country)
        if urn is None and any(c.isdigit() for c in value):
            urn = _normalized("tel:" + value, country)
        if urn is not None:
            urn_list.append(urn)
        else:
            x.error(f"'{value}' couldn't be resolved to a contact, group or URN")
    query = x.evaluate(contact_query, escaping=escape_query_value)[0].strip() if contact_query else ""
    return Recipients(tuple(resolved_groups), tuple(contact_refs), query, tuple(urn_list))


def c_ref(contact: ContactRef) -> dict[str, str]:
    return {"uuid": contact.uuid, "name": contact.name}


def _normalized(text: str, country: str | None) -> str | None:
    """``text`` as a valid normalized URN identity, or ``None``."""
    try:
        urn = kurns.parse_normalized(text, country)
    except kurns.URNError:
        return None
    return kurns.identity(urn)
