"""A caller's request to start a flow for contacts, groups and URNs: checked, resolved, then recorded as a
pending flow start (``starts.create_start``) that the worker expands.

Recipients are named the way callers name them: contacts by UUID or URN, groups by UUID or name (whatever its
case), URNs as text normalised with the workspace's country. Every problem of a request is reported at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.contacts.queries import by_references as contacts_by_references
from sauti.domain.errors import GENERAL, ErrorCollector, Problem
from sauti.domain.flows import queries
from sauti.domain.flows.starts import create_start
from sauti.domain.groups.queries import by_references as groups_by_references
from sauti.kit import urns as kurns
from sauti.models import Contact, ContactGroup, Flow, FlowStart, User, Workspace

MAX_PARAMS_CHARS = 10_000  # the params object, JSON-encoded


@dataclass(frozen=True)
class StartRequest:
    flow: str | None  # a flow UUID; None when the caller gave none (a problem the dialect already reports)
    contacts: Sequence[str] = ()  # UUIDs or URNs
    groups: Sequence[str] = ()  # UUIDs or names
    urns: Sequence[str] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    params_field: str = "params"  # the name the caller gave the params under (problems are reported there)
    restart_participants: bool = True
    exclude_active: bool = False
    start_type: str = "api"


@dataclass
class _Resolved:
    flow: Flow | None = None
    contacts: list[Contact] = field(default_factory=list)
    groups: list[ContactGroup] = field(default_factory=list)
    urns: list[str] = field(default_factory=list)


async def _resolve(session: AsyncSession, workspace: Workspace, req: StartRequest, errors: ErrorCollector) -> _Resolved:
    out = _Resolved()
    if req.flow is not None:
        out.flow = await queries.by_uuid(session, workspace, req.flow) if _is_uuid(req.flow) else None
        if out.flow is None:
            errors.add("flow", "no_such_object", ref=req.flow)
    found_contacts = await contacts_by_references(session, workspace, req.contacts)
    seen: set[int] = set()
    for ref in req.contacts:
        contact = found_contacts.get(ref)
        if contact is None:
            errors.add("contacts", "no_such_object", ref=ref)
        elif contact.id not in seen:
            seen.add(contact.id)
            out.contacts.append(contact)
    found_groups = await groups_by_references(session, workspace, req.groups)
    seen = set()
    for ref in req.groups:
        group = found_groups.get(ref)
        if group is None:
            errors.add("groups", "no_such_object", ref=ref)
        elif group.id not in seen:
            seen.add(group.id)
            out.groups.append(group)
    for i, text in enumerate(req.urns):
        try:
            urn = kurns.parse_normalized(text, workspace.country)
            if urn.scheme not in kurns.PUBLIC_SCHEMES:
                raise kurns.URNError(text, "internal scheme")
        except kurns.URNError:
            errors.add("urns", "invalid_urn", i, value=text)
            continue
        normalised = kurns.to_string(urn)
        if normalised not in out.urns:
            out.urns.append(normalised)
    if len(orjson.dumps(dict(req.params))) > MAX_PARAMS_CHARS:
        errors.add(req.params_field, "params_too_long", max=f"{MAX_PARAMS_CHARS:,}")
    return out


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


async def check(session: AsyncSession, workspace: Workspace, req: StartRequest) -> list[Problem]:
    """The problems with the request's flow, recipients and params (what a dialect reports beside its own
    errors of shape, in one answer). Changes nothing."""
    errors = ErrorCollector()
    await _resolve(session, workspace, req, errors)
    return errors.problems


async def request_start(
    session: AsyncSession, workspace: Workspace, req: StartRequest, user: User | None = None
) -> FlowStart:
    """Check and record a flow start (status pending, the worker expands it). It needs an active flow of the
    workspace and at least one contact, group or URN."""
    errors = ErrorCollector()
    if req.flow is None:
        errors.add("flow", "required")
    found = await _resolve(session, workspace, req, errors)
    errors.raise_if_any()
    if not (found.contacts or found.groups or found.urns):
        errors.add(GENERAL, "missing_start_recipients")
        errors.raise_if_any()
    assert found.flow is not None
    return await create_start(
        session,
        workspace,
        flow=found.flow,
        contacts=found.contacts,
        groups=found.groups,
        urns=found.urns,
        params=dict(req.params),
        restart_participants=req.restart_participants,
        exclude_active=req.exclude_active,
        start_type=req.start_type,
        created_by_id=user.id if user is not None else None,
    )
