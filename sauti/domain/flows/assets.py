"""The engine's view of a workspace: its environment and the assets a session may use, built from the rows.

One :class:`Assets` serves one start or resume (or one batch of starts of the same flow). Flows are read once per
saved definition and kept (:func:`definition`): reading a definition costs more than the rest of a sprint. The
flows given are loaded with every flow they enter or start, transitively, so subflows are there when the engine
looks for them. Labels, globals, ticket topics and users are only loaded when one of the flows can use them (an
``add_input_labels`` action; the word ``globals`` anywhere in its definition; an ``open_ticket`` action), and the
workspace's classifiers (with their tokens, for
the classifier service, never for the engine) only for flows with a ``call_classifier`` action.

What is read is kept per process, per workspace, under the workspace's assets version (``db/versioning.py``
moves it with every write to these rows): an inbound message that resumes a session reads no flow, field, group
or channel rows while nothing changed. A session whose own transaction changed them reads them afresh and keeps
nothing. DECISION: a process holding an older workspace row (the worker within one round) runs with the assets
as they were when it read that row, never older. Topics and users (for ``open_ticket``) are not kept: a flow
that opens tickets reads them each time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import versioning
from sauti.domain.channels import queries as channel_queries
from sauti.domain.classifiers import queries as classifier_queries
from sauti.domain.fields import queries as field_queries
from sauti.domain.flows import queries
from sauti.domain.flows.classifiers import Snapshot, snapshot
from sauti.domain.groups import queries as group_queries
from sauti.domain.scope import scoped
from sauti.engine.assets import (
    Assets,
    ChannelAsset,
    FieldAsset,
    GlobalAsset,
    GroupAsset,
    LabelAsset,
    TopicAsset,
    UserAsset,
)
from sauti.engine.definition import Flow as Definition
from sauti.engine.definition import inspect_flow, read_flow
from sauti.engine.env import Environment
from sauti.models import Channel, Flow, Global, Label, Topic, Workspace

DATE_FORMATS: Final = {"day_first": "DD-MM-YYYY", "month_first": "MM-DD-YYYY", "year_first": "YYYY-MM-DD"}


def environment(workspace: Workspace) -> Environment:
    """The workspace's settings as the engine reads them, one environment per distinct settings (it is
    immutable; every resume asks for it, and a new one is checked field by field and merged afresh)."""
    settings = (
        DATE_FORMATS.get(workspace.date_style, "DD-MM-YYYY"),
        workspace.timezone or "UTC",
        tuple(workspace.languages or ()),
        workspace.country or None,
        "urns" if workspace.anon else "none",
    )
    try:
        found = _ENVIRONMENTS.get(settings)
    except TypeError:  # a language that is no text: the environment refuses it below, as ever
        found = None
    if found is None:
        date_format, timezone, languages, country, redaction = settings
        found = Environment(
            date_format=date_format,
            timezone=timezone,
            allowed_languages=languages,
            default_country=country,
            redaction_policy=redaction,
        )
        if len(_ENVIRONMENTS) >= _KEEP_ENVIRONMENTS:
            _ENVIRONMENTS.clear()
        _ENVIRONMENTS[settings] = found
    return found


_ENVIRONMENTS: dict[tuple[str, str, tuple[str, ...], str | None, str], Environment] = {}
_KEEP_ENVIRONMENTS: Final = 1024


@dataclass(frozen=True)
class _Read:
    """A saved definition as the engine read it, with what loading its assets needs to know about it."""

    flow: Definition
    subflows: frozenset[str]  # the flows it enters or starts
    labels: bool  # it labels messages (add_input_labels)
    globals: bool  # its templates may read globals
    classifiers: bool  # it calls classifiers (call_classifier)
    tickets: bool  # it opens tickets (open_ticket)


_READ: dict[tuple[str, bytes], _Read] = {}
_KEEP: Final = 512


def _reading(row: Flow) -> _Read:
    raw = orjson.dumps(row.definition)
    key = (row.uuid, hashlib.blake2b(raw, digest_size=16).digest())
    found = _READ.get(key)
    if found is None:
        if len(_READ) >= _KEEP:
            _READ.clear()
        flow = read_flow(row.definition)
        subflows = frozenset(d.uuid for d in inspect_flow(flow).dependencies if d.type == "flow" and d.uuid is not None)
        found = _READ[key] = _Read(
            flow,
            subflows,
            b'"add_input_labels"' in raw,
            b"globals" in raw,
            b'"call_classifier"' in raw,
            b'"open_ticket"' in raw,
        )
    return found


def definition(row: Flow) -> Definition:
    """The engine's reading of a saved flow, read once per distinct definition (keyed by its content: serialising
    a definition costs a small fraction of reading it)."""
    return _reading(row).flow


def channel_asset(channel: Channel) -> ChannelAsset:
    roles = tuple(r for code, r in (("S", "send"), ("R", "receive")) if code in (channel.role or ""))
    return ChannelAsset(
        channel.uuid, channel.name, channel.address or "", tuple(channel.schemes or ()), roles, channel.country
    )


@dataclass(frozen=True)
class FieldKey:
    """A custom field as a sprint's contacts need it: their values are keyed by it."""

    id: int
    key: str


@dataclass(frozen=True)
class Sender:
    """A channel that can send, as routing replies needs it (``domain/messages/send.route``)."""

    id: int
    uuid: str
    schemes: tuple[str, ...]


@dataclass(frozen=True)
class Loaded:
    """What a start or resume runs with: the environment, the assets, and the row id of each flow in them."""

    env: Environment
    assets: Assets
    flow_ids: dict[str, int]
    fields: list[FieldKey]  # the user fields (the engine contacts' values are keyed by them)
    channels: list[Sender]  # the channels that can send, oldest first (routing replies)
    classifiers: list[Snapshot] = field(default_factory=list)  # for flows that call classifiers, with tokens


@dataclass
class _Snapshot:
    """The assets of one workspace as read under one assets version (``db/versioning.py``)."""

    version: int
    fields: list[FieldAsset]
    field_keys: list[FieldKey]
    groups: list[GroupAsset]
    channels: list[ChannelAsset]
    senders: list[Sender]
    flows: dict[str, tuple[int, _Read]] = field(default_factory=dict)  # uuid: (row id, reading), found so far
    labels: list[LabelAsset] | None = None  # read when a flow first needs them
    globals: list[GlobalAsset] | None = None
    classifiers: list[Snapshot] | None = None  # read when a flow first calls one
    built: dict[tuple[frozenset[str], Environment], Loaded] = field(default_factory=dict)


_SNAPSHOTS: dict[tuple[str, str], _Snapshot] = {}
_KEEP_WORKSPACES: Final = 1024
_KEEP_BUILT: Final = 64


async def _snapshot(session: AsyncSession, workspace: Workspace, keep: bool) -> _Snapshot:
    version = workspace.assets_version or 0
    key = versioning.place(session, workspace)
    found = _SNAPSHOTS.get(key)
    if keep and found is not None and found.version == version:
        return found
    fields = await field_queries.user_fields(session, workspace)
    groups = (await session.execute(group_queries.listing(workspace))).scalars()
    channels = await channel_queries.senders(session, workspace)
    made = _Snapshot(
        version,
        fields=[FieldAsset(f.key, f.name, f.value_type) for f in fields],
        field_keys=[FieldKey(f.id, f.key) for f in fields],
        groups=[GroupAsset(g.uuid, g.name, g.query if g.group_type == "smart" else None) for g in groups],
        channels=[channel_asset(c) for c in channels],
        senders=[Sender(c.id, c.uuid, tuple(c.schemes or ())) for c in channels],
    )
    if keep:
        if len(_SNAPSHOTS) >= _KEEP_WORKSPACES:
            _SNAPSHOTS.clear()
        _SNAPSHOTS[key] = made
    return made


async def _add_flows(session: AsyncSession, workspace: Workspace, snap: _Snapshot, uuids: Iterable[str]) -> None:
    """Read the flows among ``uuids`` that ``snap`` has not read yet (a deleted or unknown one stays out)."""
    wanted = sorted({u for u in uuids if u not in snap.flows})
    if wanted:
        rows = await session.execute(queries.listing(workspace).where(Flow.uuid.in_(wanted)))
        for row in rows.scalars():
            snap.flows[row.uuid] = (row.id, _reading(row))


async def _closure(session: AsyncSession, workspace: Workspace, snap: _Snapshot, uuids: Iterable[str]) -> list[str]:
    """``uuids`` and every flow they enter or start, transitively, as far as they exist."""
    found: list[str] = []
    seen: set[str] = set()
    todo = list(dict.fromkeys(uuids))
    while todo:
        await _add_flows(session, workspace, snap, todo)
        nxt: list[str] = []
        for uuid in todo:
            if uuid in seen or uuid not in snap.flows:
                continue
            seen.add(uuid)
            found.append(uuid)
            nxt.extend(u for u in snap.flows[uuid][1].subflows if u not in seen)
        todo = nxt
    return found


async def load(session: AsyncSession, workspace: Workspace, flows: Iterable[Flow]) -> Loaded:
    """The environment and the assets for sessions of ``flows`` (and the flows they enter or start)."""
    rows = list(flows)
    keep = versioning.keeps(session)
    snap = await _snapshot(session, workspace, keep)
    for row in rows:  # the rows given are current: they replace what was read of them
        snap.flows[row.uuid] = (row.id, _reading(row))
    return await _build(session, workspace, snap, [r.uuid for r in rows], keep)


async def load_uuids(session: AsyncSession, workspace: Workspace, uuids: Iterable[str]) -> Loaded:
    """:func:`load` by the flows' UUIDs: a resume knows its flows by UUID, and kept assets need no query."""
    keep = versioning.keeps(session)
    snap = await _snapshot(session, workspace, keep)
    return await _build(session, workspace, snap, list(uuids), keep)


async def _build(session: AsyncSession, workspace: Workspace, snap: _Snapshot, uuids: list[str], keep: bool) -> Loaded:
    env = environment(workspace)
    names = await _closure(session, workspace, snap, uuids)
    key = (frozenset(names), env)
    built = snap.built.get(key) if keep else None
    if built is not None:
        return built
    readings = [snap.flows[u][1] for u in names]
    # labels and globals are read only for flows that can use them (most flows do neither)
    if any(r.labels for r in readings) and snap.labels is None:
        labels = await session.execute(scoped(Label, workspace).where(Label.is_active).order_by(Label.id))
        snap.labels = [LabelAsset(x.uuid, x.name) for x in labels.scalars()]
    if any(r.globals for r in readings) and snap.globals is None:
        globals_ = await session.execute(scoped(Global, workspace).where(Global.is_active))
        snap.globals = [GlobalAsset(g.key, g.name, g.value) for g in globals_.scalars()]
    topics: list[TopicAsset] = []
    users: list[UserAsset] = []
    tickets = any(r.tickets for r in readings)
    if tickets:  # read each time (not kept: users and memberships do not move the assets version)
        from sauti.domain.tickets import queries as ticket_queries
        from sauti.domain.topics import queries as topic_queries

        rows_t = await session.execute(topic_queries.listing(workspace).order_by(Topic.id))
        topics = [TopicAsset(t.uuid, t.name, t.is_default) for t in rows_t.scalars()]
        users = [
            UserAsset(u.uuid, f"{u.first_name or ''} {u.last_name or ''}".strip(), u.email)
            for u in await ticket_queries.members(session, workspace)
        ]
    assets = Assets.build(
        env,
        flows=[r.flow for r in readings],
        fields=snap.fields,
        groups=snap.groups,
        labels=snap.labels if any(r.labels for r in readings) and snap.labels else [],
        channels=snap.channels,
        globals=snap.globals if any(r.globals for r in readings) and snap.globals else [],
        topics=topics,
        users=users,
    )
    classifiers: list[Snapshot] = []
    if any(r.classifiers for r in readings):  # read only for flows that call one (most flows don't)
        if snap.classifiers is None:
            snap.classifiers = [snapshot(c) for c in await classifier_queries.active(session, workspace)]
        classifiers = snap.classifiers
    made = Loaded(env, assets, {u: snap.flows[u][0] for u in names}, snap.field_keys, snap.senders, classifiers)
    if keep and not tickets:
        if len(snap.built) >= _KEEP_BUILT:
            snap.built.clear()
        snap.built[key] = made
    return made
