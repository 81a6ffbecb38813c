"""One action on many contacts at once: add to or remove from a manual group, block, unblock, delete, or
archive their incoming messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.contacts import queries, service
from sauti.domain.errors import GENERAL, ErrorCollector, Problem
from sauti.domain.groups import queries as group_queries
from sauti.domain.messages import inbox
from sauti.models import Contact, ContactGroup, Workspace

GROUP_ACTIONS = ("add", "remove")
ACTIONS = ("add", "remove", "block", "unblock", "interrupt", "archive_messages", "delete", "archive")
# actions whose machinery arrives with later work: refused with a clear problem, never a silent success
NOT_YET: dict[str, str] = {}


@dataclass(frozen=True)
class ContactAction:
    """Contacts by UUID or URN (URNs read without the workspace's country), a group by UUID or name.
    ``contacts`` is ``None`` when the caller's list was already refused as malformed."""

    contacts: Sequence[str] | None
    action: str
    group: str | None = None


@dataclass
class _Checked:
    contacts: list[Contact]
    group: ContactGroup | None


async def _check(session: AsyncSession, workspace: Workspace, req: ContactAction, errors: ErrorCollector) -> _Checked:
    contacts: list[Contact] = []
    if req.contacts is None:
        pass
    elif not req.contacts:
        errors.add("contacts", "contacts_empty")
    else:
        found = await queries.by_references(session, workspace, req.contacts)
        seen: set[int] = set()
        for ref in req.contacts:
            contact = found.get(ref)
            if contact is None:
                errors.add("contacts", "no_such_object", ref=ref)
            elif contact.id not in seen:
                seen.add(contact.id)
                contacts.append(contact)
    group: ContactGroup | None = None
    if req.group is not None:
        group = (await group_queries.by_references(session, workspace, [req.group])).get(req.group)
        if group is None:
            errors.add("group", "no_such_object", ref=req.group)
        elif group.group_type != "manual":
            errors.add("group", "group_is_smart", ref=req.group)
    if req.action in NOT_YET:
        errors.add("action", "action_unsupported", action=req.action, feature=NOT_YET[req.action])
    return _Checked(contacts, group)


async def check(session: AsyncSession, workspace: Workspace, req: ContactAction) -> list[Problem]:
    """The problems with the request's references (what a dialect reports beside its own)."""
    errors = ErrorCollector()
    await _check(session, workspace, req, errors)
    return errors.problems


async def apply(session: AsyncSession, workspace: Workspace, req: ContactAction) -> None:
    errors = ErrorCollector()
    checked = await _check(session, workspace, req, errors)
    errors.raise_if_any()
    action = req.action
    if action in GROUP_ACTIONS and req.group is None:
        errors.add(GENERAL, "group_required", action=action)
    elif action not in GROUP_ACTIONS and req.group is not None:
        errors.add(GENERAL, "group_not_allowed", action=action)
    errors.raise_if_any()
    contacts = checked.contacts
    if action in GROUP_ACTIONS:
        assert checked.group is not None
        await service.change_group(session, workspace, contacts, checked.group, add=action == "add")
    elif action == "block":
        await service.set_status(session, workspace, contacts, "blocked")
    elif action == "unblock":
        await service.unblock(session, workspace, contacts)
    elif action == "delete":
        await service.delete_contacts(session, workspace, contacts)
    elif action == "interrupt":
        from sauti.domain.flows import runner

        await runner.interrupt_contacts(session, workspace, [c.id for c in contacts])
    elif action in ("archive_messages", "archive"):
        await inbox.archive_all_incoming(session, workspace, [c.id for c in contacts])
