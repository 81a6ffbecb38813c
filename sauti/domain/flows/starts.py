"""Flow starts: a flow started for many contacts at once. The caller only records it; a worker expands it.

Expansion (:func:`expand`, one call per worker round):

1. ``pending``: URNs become contacts (created when nobody has them, through the contacts domain), the
   recipients are counted (``contact_count``) and the start is ``queued`` (``completed`` when nobody is left);
2. ``queued``/``started``: the next batch of recipients, in contact id order after ``expand_cursor``, is started
   (``start_contacts``) and ``run_count`` grows by the sessions begun; the start is ``started``, then
   ``completed`` after the last batch.

Recipients are the active contacts (never blocked, stopped, archived or deleted ones) among the contacts named,
the URNs' contacts and the members of the groups, each once. ``restart_participants`` false leaves out contacts
who ran this flow in the last 90 days; ``exclude_active`` leaves out contacts waiting in any flow. Messaging
flows interrupt the contact's waiting session; background flows leave it alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.contacts import service as contacts
from sauti.domain.errors import ErrorCollector
from sauti.domain.flows import queries, runner
from sauti.domain.scope import scoped
from sauti.kit import clock
from sauti.kit import urns as kurns
from sauti.models import Contact, ContactGroup, Flow, FlowRun, FlowSession, FlowStart, GroupMember, Workspace
from sauti.models.flow import START_TYPES

BATCH: Final = 500
STARTED_PREVIOUSLY: Final = timedelta(days=90)

ORIGINS: Final = {"api": "api", "zapier": "zapier", "manual": "ui"}


def _ids(items: Sequence[Any]) -> list[int]:
    return list(dict.fromkeys(i if isinstance(i, int) else int(i.id) for i in items))


async def record(
    session: AsyncSession,
    workspace: Workspace,
    *,
    flow: Flow,
    contact_ids: Sequence[int],
    group_ids: Sequence[int],
    urns: Sequence[str],
    params: dict[str, Any],
    restart_participants: bool,
    exclude_active: bool,
    start_type: str,
    created_by_id: int | None,
    extra: dict[str, Any] | None = None,
) -> FlowStart:
    """Record a pending start whose recipients are already resolved to ids and normalised URNs."""
    now = clock.now()
    start = FlowStart(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        flow_id=flow.id,
        start_type=start_type,
        status="pending",
        contact_ids=list(contact_ids),
        group_ids=list(group_ids),
        urns=list(urns),
        urn_contact_ids=[],
        restart_participants=restart_participants,
        exclude_active=exclude_active,
        params=dict(params),
        extra=dict(extra or {}),
        contact_count=-1,
        run_count=0,
        expand_cursor=0,
        created_by_id=created_by_id,
        created_on=now,
        modified_on=now,
    )
    session.add(start)
    await session.flush()
    return start


async def create_start(
    session: AsyncSession,
    workspace: Workspace,
    *,
    flow: Flow,
    contacts: Sequence[Contact | int],
    groups: Sequence[ContactGroup | int],
    urns: Sequence[str],
    params: dict[str, Any] | None,
    restart_participants: bool,
    exclude_active: bool,
    start_type: str,
    created_by_id: int | None,
) -> FlowStart:
    """Record a pending start of ``flow`` (the worker expands it). ``contacts`` and ``groups`` are rows (or
    their ids) the caller already found in the workspace; ``urns`` are URN strings, normalised here with the
    workspace's country (``Invalid`` ``urns``/``invalid_urn`` with the item's index otherwise). At least one
    recipient is needed (``missing_recipients``). Flushes; the caller commits."""
    errors = ErrorCollector()
    if start_type not in START_TYPES:
        errors.add("start_type", "invalid_choice", value=start_type, choices=START_TYPES)
    if flow.workspace_id != workspace.id or not flow.is_active:
        errors.add("flow", "no_such_object", ref=flow.uuid)
    normalised: list[str] = []
    for index, text in enumerate(urns):
        try:
            normalised.append(_normalise(text, workspace))
        except kurns.URNError:
            errors.add("urns", "invalid_urn", index, value=text)
    contact_ids = _ids(contacts)
    group_ids = _ids(groups)
    if not (contact_ids or group_ids or normalised):
        errors.add("", "missing_recipients")
    errors.raise_if_any()
    return await record(
        session,
        workspace,
        flow=flow,
        contact_ids=contact_ids,
        group_ids=group_ids,
        urns=list(dict.fromkeys(normalised)),
        params=dict(params or {}),
        restart_participants=restart_participants,
        exclude_active=exclude_active,
        start_type=start_type,
        created_by_id=created_by_id,
    )


def _normalise(text: str, workspace: Workspace) -> str:
    urn = kurns.parse_normalized(text, workspace.country)
    if urn.scheme not in kurns.PUBLIC_SCHEMES:
        raise kurns.URNError(text, f"unknown scheme {urn.scheme}")
    return kurns.to_string(urn)


def recipients(start: FlowStart, now: Any) -> Select[Any] | None:
    """The start's remaining recipients (ids), with its exclusions, or ``None`` when it names nobody."""
    ids = list(dict.fromkeys([*start.contact_ids, *start.urn_contact_ids]))
    conds: list[Any] = []
    if ids:
        conds.append(Contact.id.in_(ids))
    if start.group_ids:
        members = select(GroupMember.contact_id).where(GroupMember.group_id.in_(list(start.group_ids)))
        conds.append(Contact.id.in_(members))
    if not conds:
        return None
    stmt = (
        scoped(Contact, start.workspace_id, Contact.id)
        .where(Contact.is_active, Contact.status == "active")
        .where(or_(*conds) if len(conds) > 1 else conds[0])
    )
    if start.exclude_active:
        waiting = exists().where(FlowSession.contact_id == Contact.id, FlowSession.status == "waiting")
        stmt = stmt.where(~waiting)
    if not start.restart_participants:
        ran = exists().where(
            FlowRun.contact_id == Contact.id,
            FlowRun.flow_id == start.flow_id,
            FlowRun.created_on >= now - STARTED_PREVIOUSLY,
        )
        stmt = stmt.where(~ran)
    return stmt


async def _resolve_urns(session: AsyncSession, workspace: Workspace, start: FlowStart) -> None:
    ids: list[int] = []
    for text in start.urns:
        contact, _ = await contacts.get_or_create_by_urn(session, workspace, kurns.parse(text))
        if contact.id not in ids:
            ids.append(contact.id)
    start.urn_contact_ids = ids


def _trigger(start: FlowStart) -> dict[str, Any]:
    if start.start_type == "flow":
        return {"type": "flow_action", **start.extra}
    if start.start_type == "campaign":
        return {"type": "campaign", **start.extra}
    trigger: dict[str, Any] = {"type": "manual", "origin": ORIGINS.get(start.start_type, "api"), **start.extra}
    return trigger


async def expand(session: AsyncSession, start: FlowStart, batch: int = BATCH) -> int:
    """One step of the start's expansion (see the module docstring). Returns the sessions started (0 for the
    counting step). Flushes; the worker commits."""
    workspace = await session.get(Workspace, start.workspace_id)
    assert workspace is not None
    now = clock.now()
    flow = await queries.by_id(session, workspace, start.flow_id)
    if flow is None:
        start.status = "failed"
        start.failure = "the flow was deleted"
        start.modified_on = now
        await session.flush()
        return 0
    if start.status == "pending":
        await _resolve_urns(session, workspace, start)
        stmt = recipients(start, now)
        count = 0
        if stmt is not None:
            count = int((await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one())
        start.contact_count = count
        start.status = "queued" if count else "completed"
        start.modified_on = now
        await session.flush()
        return 0
    stmt = recipients(start, now)
    chunk: list[int] = []
    if stmt is not None:
        rows = await session.execute(stmt.where(Contact.id > start.expand_cursor).order_by(Contact.id).limit(batch))
        chunk = list(rows.scalars())
    started = 0
    if chunk:
        mode = "passive" if flow.type == "background" else "interrupt"
        started = await runner.start_contacts(
            session,
            workspace,
            flow,
            chunk,
            trigger=_trigger(start),
            mode=mode,
            start_id=start.id,
            params=start.params if start.start_type != "flow" else None,
        )
        start.expand_cursor = chunk[-1]
        start.run_count += started
    start.status = "completed" if len(chunk) < batch else "started"
    start.modified_on = clock.now()
    await session.flush()
    return started


async def interrupt(session: AsyncSession, workspace: Workspace, start: FlowStart) -> None:
    """Stop a start whose batches have not all run (a user cancelled it)."""
    if start.status in ("pending", "queued", "started"):
        start.status = "interrupted"
        start.modified_on = clock.now()
        await session.flush()
