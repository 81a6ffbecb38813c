"""The engine's view of a workspace: its environment and the assets a session may use, built from the rows.

One :class:`Assets` serves one start or resume (or one batch of starts of the same flow). Flows are read once per
saved definition and kept (:func:`definition`): reading a definition costs more than the rest of a sprint. The
flows given are loaded with every flow they enter or start, transitively, so subflows are there when the engine
looks for them. Labels, globals, ticket topics and users are only loaded when one of the flows can use them (an
``add_input_labels`` action; the word ``globals`` anywhere in its definition; an ``open_ticket`` action).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.channels import queries as channel_queries
from sauti.domain.fields import queries as field_queries
from sauti.domain.flows import queries
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
from sauti.models import Channel, ContactField, Flow, Global, Label, Topic, Workspace

DATE_FORMATS: Final = {"day_first": "DD-MM-YYYY", "month_first": "MM-DD-YYYY", "year_first": "YYYY-MM-DD"}


def environment(workspace: Workspace) -> Environment:
    """The workspace's settings as the engine reads them."""
    return Environment(
        date_format=DATE_FORMATS.get(workspace.date_style, "DD-MM-YYYY"),
        timezone=workspace.timezone or "UTC",
        allowed_languages=tuple(workspace.languages or ()),
        default_country=workspace.country or None,
        redaction_policy="urns" if workspace.anon else "none",
    )


@dataclass(frozen=True)
class _Read:
    """A saved definition as the engine read it, with what loading its assets needs to know about it."""

    flow: Definition
    subflows: frozenset[str]  # the flows it enters or starts
    labels: bool  # it labels messages (add_input_labels)
    globals: bool  # its templates may read globals
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
            flow, subflows, b'"add_input_labels"' in raw, b"globals" in raw, b'"open_ticket"' in raw
        )
    return found


def definition(row: Flow) -> Definition:
    """The engine's reading of a saved flow, read once per distinct definition (keyed by its content: serialising
    a definition costs a small fraction of reading it)."""
    return _reading(row).flow


async def _with_dependencies(session: AsyncSession, workspace: Workspace, flows: Iterable[Flow]) -> list[Flow]:
    found = {f.uuid: f for f in flows}
    todo = list(found.values())
    while todo:
        wanted = {uuid for row in todo for uuid in _reading(row).subflows if uuid not in found}
        todo = []
        if wanted:
            rows = await session.execute(queries.listing(workspace).where(Flow.uuid.in_(sorted(wanted))))
            for row in rows.scalars():
                found[row.uuid] = row
                todo.append(row)
    return list(found.values())


def channel_asset(channel: Channel) -> ChannelAsset:
    roles = tuple(r for code, r in (("S", "send"), ("R", "receive")) if code in (channel.role or ""))
    return ChannelAsset(
        channel.uuid, channel.name, channel.address or "", tuple(channel.schemes or ()), roles, channel.country
    )


@dataclass(frozen=True)
class Loaded:
    """What a start or resume runs with: the environment, the assets, and the row id of each flow in them."""

    env: Environment
    assets: Assets
    flow_ids: dict[str, int]
    fields: list[ContactField]  # the user fields (the engine contacts' values are keyed by them)
    channels: list[Channel]  # the channels that can send, oldest first (routing replies)


async def load(session: AsyncSession, workspace: Workspace, flows: Iterable[Flow]) -> Loaded:
    """The environment and the assets for sessions of ``flows`` (and the flows they enter or start)."""
    env = environment(workspace)
    rows = await _with_dependencies(session, workspace, flows)
    fields = await field_queries.user_fields(session, workspace)
    groups = (await session.execute(group_queries.listing(workspace))).scalars()
    readings = [_reading(r) for r in rows]
    # labels and globals are read only for flows that can use them (most flows do neither)
    labels: Iterable[Label] = ()
    if any(r.labels for r in readings):
        labels = (await session.execute(scoped(Label, workspace).where(Label.is_active).order_by(Label.id))).scalars()
    channels = await channel_queries.senders(session, workspace)
    globals_: Iterable[Global] = ()
    if any(r.globals for r in readings):
        globals_ = (await session.execute(scoped(Global, workspace).where(Global.is_active))).scalars()
    topics: list[TopicAsset] = []
    users: list[UserAsset] = []
    if any(r.tickets for r in readings):
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
        fields=[FieldAsset(f.key, f.name, f.value_type) for f in fields],
        groups=[GroupAsset(g.uuid, g.name, g.query if g.group_type == "smart" else None) for g in groups],
        labels=[LabelAsset(x.uuid, x.name) for x in labels],
        channels=[channel_asset(c) for c in channels],
        globals=[GlobalAsset(g.key, g.name, g.value) for g in globals_],
        topics=topics,
        users=users,
    )
    return Loaded(env, assets, {r.uuid: r.id for r in rows}, list(fields), list(channels))
