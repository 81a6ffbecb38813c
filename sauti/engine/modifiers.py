"""Changes to the session's contact, each applied in place and described by an event.

:class:`ContactChanger` is how actions (and the session, for ``last_seen_on`` and smart groups) change the
contact. Every method returns whether anything changed; an unchanged value emits nothing. After any change the
groups are brought up to date (:meth:`ContactChanger.reevaluate_groups`): the contact joins or leaves smart groups
whose query now does (or no longer does) match it, and a contact who is no longer active leaves every group (a
blocked, stopped or archived contact is in none, and only active contacts qualify for smart groups), all in one
``contact_groups_changed`` event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sauti.engine import contactql, events
from sauti.engine.assets import Assets, FieldAsset, GroupAsset
from sauti.engine.contact import Contact, ContactURN, FieldValue, GroupRef
from sauti.engine.env import Environment
from sauti.engine.events import Payload
from sauti.engine.excellent import Eval, XDateTime, XNumber, XText, to_datetime, to_number

__all__ = ["MAX_NAME_CHARS", "MAX_URNS", "ContactChanger", "parse_field_value", "smart_group_members"]

MAX_NAME_CHARS = 128
MAX_URNS = 50


def parse_field_value(raw: str, ev: Eval, max_length: int) -> FieldValue | None:
    """``raw`` read as every type at once (``None`` for ""): its text (cut to ``max_length``), a number if it is
    one, a datetime if it reads as one in the environment's date format (a missing time of day taken from now).
    Locations aren't parsed: Sauti has no location hierarchy yet."""
    if raw == "":
        return None
    text = XText(raw)
    number = to_number(text)
    when = to_datetime(ev, text, fill_time=True)
    return FieldValue(
        text=raw[:max_length],
        number=number.value if isinstance(number, XNumber) else None,
        datetime=when.value if isinstance(when, XDateTime) else None,
    )


def _snapshot(contact: Contact) -> contactql.ContactSnapshot:
    """What the queries see of ``contact`` now (its field values as they are: the snapshot is read at once)."""
    return contactql.ContactSnapshot(
        uuid=contact.uuid,
        id=contact.id,
        name=contact.name or None,
        status=contact.status,
        language=contact.language or None,
        urns=tuple((u.scheme, u.path) for u in contact.urns),
        fields=contact.fields,
        groups=frozenset(g.name for g in contact.groups),
        created_on=contact.created_on,
        last_seen_on=contact.last_seen_on,
        tickets=1 if contact.ticket is not None else 0,  # at most one open ticket
        flow=None,
    )


def smart_group_members(contact: Contact, assets: Assets, env: Environment) -> list[GroupAsset]:
    """The smart groups whose query matches ``contact`` (none unless the contact is active)."""
    if contact.status != "active":
        return []
    snapshot = _snapshot(contact)
    return [g for g, matches in assets.smart_tests(env) if matches(snapshot)]


class ContactChanger:
    """Applies changes to ``contact``, logging each as an event through ``log``. ``env`` is the workspace
    environment (smart group queries are evaluated in it)."""

    def __init__(self, contact: Contact, assets: Assets, env: Environment, log: Callable[[Payload], object]) -> None:
        self.contact = contact
        self.assets = assets
        self.env = env
        self.log = log

    # ------------------------------------------------------------------------------------------ groups
    def reevaluate_groups(self, *, drop_manual_if_inactive: bool = True) -> None:
        """Bring smart group membership up to date; an inactive contact also leaves its manual groups
        (``drop_manual_if_inactive``: the session's own check at start and resume keeps them)."""
        contact = self.contact
        matching = {g.uuid for g in smart_group_members(contact, self.assets, self.env)}
        added: list[GroupRef] = []
        removed: list[GroupRef] = []
        for group in self.assets.groups:
            if not group.is_smart:
                continue
            member = contact.in_group(group.uuid)
            if group.uuid in matching and not member:
                ref = GroupRef(group.uuid, group.name)
                contact.groups.append(ref)
                added.append(ref)
            elif group.uuid not in matching and member:
                removed += [g for g in contact.groups if g.uuid == group.uuid]
                contact.groups = [g for g in contact.groups if g.uuid != group.uuid]
        if drop_manual_if_inactive and contact.status != "active" and contact.groups:
            removed += contact.groups
            contact.groups = []
        if added or removed:
            self.log(events.contact_groups_changed([g.to_json() for g in added], [g.to_json() for g in removed]))

    def _changed(self) -> bool:
        self.reevaluate_groups()
        return True

    def add_groups(self, groups: Sequence[GroupAsset]) -> bool:
        """Join each manual group not already joined (smart groups are refused with an error event)."""
        if self.contact.status in ("blocked", "stopped"):
            self.log(events.error("Can't add blocked or stopped contacts to groups"))
            return False
        added: list[GroupRef] = []
        for group in groups:
            if group.is_smart:
                self.log(events.error(f"Can't add contacts to the query based group '{group.name}'"))
            elif not self.contact.in_group(group.uuid) and all(g.uuid != group.uuid for g in added):
                added.append(GroupRef(group.uuid, group.name))
        if not added:
            return False
        self.contact.groups.extend(added)
        self.log(events.contact_groups_changed([g.to_json() for g in added], []))
        return self._changed()

    def remove_groups(self, groups: Sequence[GroupAsset]) -> bool:
        """Leave each manual group the contact is in (smart groups are refused with an error event)."""
        if self.contact.status in ("blocked", "stopped"):
            self.log(events.error("Can't add blocked or stopped contacts to groups"))
            return False
        removed: list[GroupRef] = []
        for group in groups:
            if group.is_smart:
                self.log(events.error(f"Can't remove contacts from the query based group '{group.name}'"))
            elif self.contact.in_group(group.uuid) and all(g.uuid != group.uuid for g in removed):
                removed.append(GroupRef(group.uuid, group.name))
        if not removed:
            return False
        gone = {g.uuid for g in removed}
        self.contact.groups = [g for g in self.contact.groups if g.uuid not in gone]
        self.log(events.contact_groups_changed([], [g.to_json() for g in removed]))
        return self._changed()

    # ------------------------------------------------------------------------------------------ attributes
    def set_name(self, name: str) -> bool:
        if name == self.contact.name:
            return False
        name = name[:MAX_NAME_CHARS]
        self.contact.name = name
        self.log(events.contact_name_changed(name))
        return self._changed()

    def set_language(self, language: str) -> bool:
        if language == self.contact.language:
            return False
        self.contact.language = language
        self.log(events.contact_language_changed(language))
        return self._changed()

    def set_status(self, status: str) -> bool:
        if status == self.contact.status:
            return False
        self.contact.status = status
        self.log(events.contact_status_changed(status))
        return self._changed()

    def set_timezone(self, timezone: str) -> bool:
        if timezone == self.contact.timezone:
            return False
        self.contact.timezone = timezone
        self.log(events.contact_timezone_changed(timezone))
        return self._changed()

    def set_last_seen(self, when: dt.datetime) -> None:
        """No event: the platform records ``last_seen_on`` from the inbound message itself."""
        self.contact.last_seen_on = when

    def set_field(self, field: FieldAsset, value: FieldValue | None) -> bool:
        old = self.contact.fields.get(field.key)
        if value == old:
            return False
        if value is None:
            del self.contact.fields[field.key]
        else:
            self.contact.fields[field.key] = value
        self.log(events.contact_field_changed(field.reference(), value.to_json() if value else None))
        return self._changed()

    def add_urn(self, urn: ContactURN) -> bool:
        """Append ``urn`` (already normalized and validated) unless the contact has it."""
        if self.contact.has_urn(urn.identity):
            return False
        if len(self.contact.urns) >= MAX_URNS:
            self.log(events.error(f"Contact has too many URNs, limit is {MAX_URNS}"))
            return False
        self.contact.urns.append(urn)
        self.log(events.contact_urns_changed([u.to_json() for u in self.contact.urns]))
        return self._changed()
