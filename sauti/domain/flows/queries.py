"""Every select for flows, sessions, runs, triggers and starts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import entities, plain
from sauti.domain.scope import scoped
from sauti.models import (
    Contact,
    ContactGroup,
    ContactURN,
    Flow,
    FlowRun,
    FlowSession,
    FlowStart,
    FlowTrigger,
    Workspace,
)


def listing(workspace: Workspace | int) -> Select[Flow]:
    """The workspace's flows that were not deleted (archived ones included)."""
    return scoped(Flow, workspace).where(Flow.is_active)


async def by_uuid(session: AsyncSession, workspace: Workspace | int, uuid: str) -> Flow | None:
    return (await session.execute(listing(workspace).where(Flow.uuid == uuid))).scalar_one_or_none()


async def any_by_uuid(session: AsyncSession, workspace: Workspace | int, uuid: str) -> Flow | None:
    """The workspace's flow with this UUID, deleted or not (a UUID names one flow of a workspace, ever)."""
    return (await session.execute(scoped(Flow, workspace).where(Flow.uuid == uuid))).scalar_one_or_none()


async def by_id(session: AsyncSession, workspace: Workspace | int, flow_id: int) -> Flow | None:
    return (await session.execute(listing(workspace).where(Flow.id == flow_id))).scalar_one_or_none()


async def by_ids(session: AsyncSession, workspace: Workspace | int, ids: Sequence[int]) -> dict[int, Flow]:
    if not ids:
        return {}
    rows = await session.execute(listing(workspace).where(Flow.id.in_(list(ids))))
    return {f.id: f for f in rows.scalars()}


async def by_name(session: AsyncSession, workspace: Workspace | int, name: str) -> Flow | None:
    stmt = listing(workspace).where(Flow.name == name).order_by(Flow.id).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


# ------------------------------------------------------------------------------ the API's listings and pages


@dataclass(frozen=True)
class FlowFilter:
    """What a flow listing may be narrowed by. ``archived`` ``None`` lists archived and unarchived flows alike;
    date bounds are inclusive and apply to ``modified_on``. Deleted flows are never listed."""

    uuid: str | None = None
    type: str | None = None  # message, voice, background or survey: any other word matches nothing
    archived: bool | None = None
    modified_before: datetime | None = None
    modified_after: datetime | None = None


def select_flows(workspace: Workspace, f: FlowFilter) -> Select[Flow]:
    stmt = listing(workspace)
    if f.uuid is not None:
        stmt = stmt.where(Flow.uuid == f.uuid)
    if f.type is not None:
        stmt = stmt.where(Flow.type == f.type)
    if f.archived is not None:
        stmt = stmt.where(Flow.is_archived.is_(f.archived))
    if f.modified_before is not None:
        stmt = stmt.where(Flow.modified_on <= f.modified_before)
    if f.modified_after is not None:
        stmt = stmt.where(Flow.modified_on >= f.modified_after)
    return stmt


async def by_uuids(session: AsyncSession, workspace: Workspace | int, uuids: Iterable[str]) -> dict[str, Flow]:
    wanted = list(dict.fromkeys(uuids))
    if not wanted:
        return {}
    rows = (await session.execute(listing(workspace).where(Flow.uuid.in_(wanted)))).scalars()
    return {f.uuid: f for f in rows}


async def all_flows(session: AsyncSession, workspace: Workspace | int) -> list[Flow]:
    """Every flow of the workspace that is not deleted, oldest first."""
    rows = await session.execute(listing(workspace).order_by(Flow.created_on, Flow.id))
    return list(rows.scalars())


@dataclass(frozen=True)
class RunFilter:
    """What a run listing may be narrowed by. ``flow`` and ``contact`` are UUIDs (an unknown or deleted one
    matches nothing); ``responded`` true keeps only runs where the contact answered (false is no filter);
    date bounds are inclusive and apply to ``modified_on``."""

    uuid: str | None = None
    id: int | None = None
    flow: str | None = None
    contact: str | None = None
    responded: bool = False
    modified_before: datetime | None = None
    modified_after: datetime | None = None


async def select_runs(session: AsyncSession, workspace: Workspace, f: RunFilter) -> Select[FlowRun] | None:
    """The scoped select of the runs ``f`` describes, or ``None`` when nothing can match."""
    stmt = scoped(FlowRun, workspace)
    if f.uuid is not None:
        stmt = stmt.where(FlowRun.uuid == f.uuid)
    if f.id is not None:
        stmt = stmt.where(FlowRun.id == f.id)
    if f.flow is not None:
        flow = await by_uuid(session, workspace, f.flow)
        if flow is None:
            return None
        stmt = stmt.where(FlowRun.flow_id == flow.id)
    if f.contact is not None:
        contact = (
            await session.execute(
                scoped(Contact, workspace, Contact.id).where(Contact.uuid == f.contact, Contact.is_active)
            )
        ).scalar()
        if contact is None:
            return None
        stmt = stmt.where(FlowRun.contact_id == contact)
    if f.responded:
        stmt = stmt.where(FlowRun.responded.is_(True))
    if f.modified_before is not None:
        stmt = stmt.where(FlowRun.modified_on <= f.modified_before)
    if f.modified_after is not None:
        stmt = stmt.where(FlowRun.modified_on >= f.modified_after)
    return stmt


@dataclass(frozen=True)
class StartFilter:
    """What a flow start listing may be narrowed by; date bounds are inclusive and apply to ``modified_on``.
    Only starts a user asked for (through the API or the CLI) are listed: those made by triggers, flows and
    campaigns have no creating user."""

    uuid: str | None = None
    modified_before: datetime | None = None
    modified_after: datetime | None = None


def select_starts(workspace: Workspace, f: StartFilter) -> Select[FlowStart]:
    stmt = scoped(FlowStart, workspace).where(FlowStart.created_by_id.is_not(None))
    if f.uuid is not None:
        stmt = stmt.where(FlowStart.uuid == f.uuid)
    if f.modified_before is not None:
        stmt = stmt.where(FlowStart.modified_on <= f.modified_before)
    if f.modified_after is not None:
        stmt = stmt.where(FlowStart.modified_on >= f.modified_after)
    return stmt


# ---------------------------------------------------------------------------------------------- page loading


@dataclass
class RunPage:
    """What a page of runs shows of other rows, as plain columns."""

    flows: dict[int, Any] = field(default_factory=dict)  # id -> (uuid, name)
    contacts: dict[int, Any] = field(default_factory=dict)  # id -> (uuid, name)
    urns: dict[int, Any] = field(default_factory=dict)  # contact id -> its highest-priority URN (scheme, path)
    starts: dict[int, str] = field(default_factory=dict)  # id -> uuid


async def load_flow_refs(session: AsyncSession, flow_ids: Iterable[int]) -> dict[int, Any]:
    ids = set(flow_ids)
    if not ids:
        return {}
    rows = await session.execute(select(Flow.id, Flow.uuid, Flow.name).where(Flow.id.in_(ids)))
    return {r.id: r for r in rows}


async def load_run_page(session: AsyncSession, runs: Sequence[Any]) -> RunPage:
    """Flows, contacts, contacts' first URNs and starts of a page of runs, in at most four queries."""
    page = RunPage()
    if not runs:
        return page
    page.flows = await load_flow_refs(session, (r.flow_id for r in runs))
    contact_ids = {r.contact_id for r in runs}
    contacts = await session.execute(select(Contact.id, Contact.uuid, Contact.name).where(Contact.id.in_(contact_ids)))
    page.contacts = {c.id: c for c in contacts}
    urns = await session.execute(
        select(ContactURN.contact_id, ContactURN.scheme, ContactURN.path, ContactURN.display)
        .where(ContactURN.contact_id.in_(contact_ids))
        .order_by(ContactURN.contact_id, ContactURN.priority.desc(), ContactURN.id)
    )
    for urn in urns:
        page.urns.setdefault(urn.contact_id, urn)
    start_ids = {r.start_id for r in runs if r.start_id is not None}
    if start_ids:
        starts = await session.execute(select(FlowStart.id, FlowStart.uuid).where(FlowStart.id.in_(start_ids)))
        page.starts = {s.id: s.uuid for s in starts}
    return page


@dataclass
class StartPage:
    flows: dict[int, Any] = field(default_factory=dict)
    contacts: dict[int, Any] = field(default_factory=dict)
    groups: dict[int, Any] = field(default_factory=dict)


async def load_start_page(session: AsyncSession, starts: Sequence[Any]) -> StartPage:
    """Flows, contacts and groups named by a page of flow starts, in at most three queries."""
    page = StartPage()
    if not starts:
        return page
    page.flows = await load_flow_refs(session, (s.flow_id for s in starts))
    contact_ids = {i for s in starts for i in s.contact_ids or []}
    if contact_ids:
        contacts = await session.execute(
            select(Contact.id, Contact.uuid, Contact.name).where(Contact.id.in_(contact_ids), Contact.is_active)
        )
        page.contacts = {c.id: c for c in contacts}
    group_ids = {i for s in starts for i in s.group_ids or []}
    if group_ids:
        groups = await session.execute(
            select(ContactGroup.id, ContactGroup.uuid, ContactGroup.name).where(
                ContactGroup.id.in_(group_ids), ContactGroup.is_active
            )
        )
        page.groups = {g.id: g for g in groups}
    return page


# plain columns (db/plain.py), the object made from them (db/entities.py): every inbound message reads its
# sender's waiting session, and the ORM's load of it cost several times what the statement did
_WAITING: Final = (
    select(*entities.columns(FlowSession, "s_"))
    .where(
        FlowSession.workspace_id == bindparam("ws"),
        FlowSession.contact_id == bindparam("contact"),
        FlowSession.status == "waiting",
    )
    .order_by(FlowSession.id.desc())
    .limit(1)
    .with_for_update()
)


async def waiting_session(session: AsyncSession, workspace: Workspace | int, contact_id: int) -> FlowSession | None:
    """The contact's waiting session, if any (a contact has at most one), locked until the transaction ends
    (PostgreSQL: two messages of one contact, or a message and a timer, take turns). The statement is built
    once: every inbound message reads its sender's waiting session. The row is the session's object (the one it
    holds already, as an ORM select would answer it)."""
    ws_id = workspace if isinstance(workspace, int) else workspace.id
    row = (await plain.rows(session, _WAITING, {"ws": ws_id, "contact": contact_id})).first()
    return None if row is None else entities.adopt(session, entities.detached(FlowSession, row, "s_"))


async def waiting_sessions(
    session: AsyncSession, workspace: Workspace | int, contact_ids: Sequence[int]
) -> list[FlowSession]:
    if not contact_ids:
        return []
    stmt = (
        scoped(FlowSession, workspace)
        .where(FlowSession.contact_id.in_(list(contact_ids)), FlowSession.status == "waiting")
        .order_by(FlowSession.id)
        .with_for_update()
    )
    return list((await session.execute(stmt)).scalars())


async def session_runs(session: AsyncSession, workspace: Workspace | int, session_id: int) -> list[FlowRun]:
    stmt = scoped(FlowRun, workspace).where(FlowRun.session_id == session_id).order_by(FlowRun.id)
    return list((await session.execute(stmt)).scalars())


def triggers(workspace: Workspace | int) -> Select[FlowTrigger]:
    return scoped(FlowTrigger, workspace).order_by(FlowTrigger.id)


async def trigger_by_uuid(session: AsyncSession, workspace: Workspace | int, uuid: str) -> FlowTrigger | None:
    stmt = scoped(FlowTrigger, workspace).where(FlowTrigger.uuid == uuid)
    return (await session.execute(stmt)).scalar_one_or_none()


async def start_by_uuid(session: AsyncSession, workspace: Workspace | int, uuid: str) -> FlowStart | None:
    stmt = scoped(FlowStart, workspace).where(FlowStart.uuid == uuid)
    return (await session.execute(stmt)).scalar_one_or_none()
