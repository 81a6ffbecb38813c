"""Keyword and catch-all triggers: which flow an inbound message starts.

Matching (:func:`match`): the message's first word (the engine's word tokenizer) is compared case-insensitively
with each active keyword trigger's keywords; ``first_word`` matches when the keyword is the first word,
``only_word`` only when the message is that one word. A trigger restricted to a channel matches only messages on
it; one with include groups only contacts in one of them; one with exclude groups never a contact in one of
them. Among the matches the most specific wins: its channel +4, an include group +2, exclude groups +1 (then the
oldest trigger). When no keyword trigger matches, catch-all triggers are scored the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import regex
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.db import versioning
from sauti.domain.errors import ErrorCollector, NotFound
from sauti.domain.flows import queries
from sauti.domain.groups import membership
from sauti.engine.excellent.words import tokenize
from sauti.kit import clock
from sauti.models import Flow, FlowTrigger, Workspace

TRIGGER_TYPES: Final = ("keyword", "catch_all")
MATCH_TYPES: Final = ("first_word", "only_word")
_KEYWORD_RE = regex.compile(r"^[\p{M}\p{L}\p{N}_']{1,16}$")


@dataclass(frozen=True)
class Live:
    """An active trigger of a live flow, as matching reads it (kept per workspace: :data:`_LIVE`)."""

    id: int
    trigger_type: str
    keywords: frozenset[str]
    match_type: str
    flow_id: int
    include_group_ids: tuple[int, ...]
    exclude_group_ids: tuple[int, ...]
    channel_id: int | None


@dataclass(frozen=True)
class Match:
    trigger: Live
    keyword: str | None  # the keyword that matched (None for a catch-all)


# the live triggers of each workspace, read again when its assets version moves (triggers and flows move it)
_LIVE: Final[versioning.Kept[tuple[Live, ...]]] = versioning.Kept()


def words(text: str) -> list[str]:
    return tokenize(text or "")


def _score(trigger: Live, channel_id: int | None, groups: set[int]) -> int | None:
    """The trigger's specificity for this contact and channel, or ``None`` when it does not apply."""
    score = 0
    if trigger.channel_id is not None:
        if trigger.channel_id != channel_id:
            return None
        score += 4
    if trigger.include_group_ids:
        if not groups.intersection(trigger.include_group_ids):
            return None
        score += 2
    if trigger.exclude_group_ids:
        if groups.intersection(trigger.exclude_group_ids):
            return None
        score += 1
    return score


def _best(candidates: Sequence[tuple[Live, str | None]], channel_id: int | None, groups: set[int]) -> Match | None:
    scored = []
    for trigger, keyword in candidates:
        score = _score(trigger, channel_id, groups)
        if score is not None:
            scored.append((-score, trigger.id, trigger, keyword))
    if not scored:
        return None
    _, _, trigger, keyword = min(scored, key=lambda s: (s[0], s[1]))
    return Match(trigger, keyword)


async def match(
    session: AsyncSession, workspace: Workspace, contact_id: int, text: str, channel_id: int | None
) -> Match | None:
    """The trigger an inbound message from ``contact_id`` on ``channel_id`` matches, if any (triggers of
    archived or deleted flows are ignored)."""

    async def read() -> tuple[Live, ...]:
        live = (
            queries.triggers(workspace)
            .join(Flow, Flow.id == FlowTrigger.flow_id)
            .where(FlowTrigger.is_archived.is_(False), Flow.is_active, Flow.is_archived.is_(False))
        )
        return tuple(
            Live(
                t.id,
                t.trigger_type,
                frozenset(t.keywords or ()),
                t.match_type,
                t.flow_id,
                tuple(t.include_group_ids or ()),
                tuple(t.exclude_group_ids or ()),
                t.channel_id,
            )
            for t in (await session.execute(live)).scalars()
        )

    rows = await _LIVE.get(session, workspace.id, read)
    if not rows:
        return None
    groups = (await membership.current(session, [contact_id]))[contact_id]
    tokens = words(text)
    first = tokens[0].casefold() if tokens else None
    keyword_hits: list[tuple[Live, str | None]] = []
    if first is not None:
        for row in rows:
            if row.trigger_type != "keyword" or first not in row.keywords:
                continue
            if row.match_type == "only_word" and len(tokens) != 1:
                continue
            keyword_hits.append((row, first))
    found = _best(keyword_hits, channel_id, groups)
    if found is not None:
        return found
    return _best([(r, None) for r in rows if r.trigger_type == "catch_all"], channel_id, groups)


def _clean_keywords(keywords: Sequence[str], errors: ErrorCollector) -> list[str]:
    out: list[str] = []
    for index, keyword in enumerate(keywords):
        word = keyword.strip().casefold()
        if not _KEYWORD_RE.match(word):
            errors.add("keywords", "trigger_keyword", index, value=keyword)
        elif word not in out:
            out.append(word)
    if not keywords:
        errors.add("keywords", "required")
    return out


async def create(
    session: AsyncSession,
    workspace: Workspace,
    *,
    trigger_type: str,
    flow: Flow,
    keywords: Sequence[str] = (),
    match_type: str = "first_word",
    include_group_ids: Sequence[int] = (),
    exclude_group_ids: Sequence[int] = (),
    channel_id: int | None = None,
) -> FlowTrigger:
    """Add a trigger. A keyword trigger needs one or more keywords (single words); an active trigger of the
    same type, keyword, channel and groups already there is ``trigger_taken``."""
    errors = ErrorCollector()
    if trigger_type not in TRIGGER_TYPES:
        errors.add("trigger_type", "invalid_choice", value=trigger_type, choices=TRIGGER_TYPES)
    if match_type not in MATCH_TYPES:
        errors.add("match_type", "invalid_choice", value=match_type, choices=MATCH_TYPES)
    if flow.workspace_id != workspace.id or not flow.is_active:
        errors.add("flow", "no_such_object", ref=flow.uuid)
    cleaned = _clean_keywords(keywords, errors) if trigger_type == "keyword" else []
    errors.raise_if_any()
    existing = (await session.execute(queries.triggers(workspace).where(FlowTrigger.is_archived.is_(False)))).scalars()
    for row in existing:
        same_scope = (
            row.trigger_type == trigger_type
            and row.channel_id == channel_id
            and sorted(row.include_group_ids) == sorted(include_group_ids)
            and sorted(row.exclude_group_ids) == sorted(exclude_group_ids)
        )
        if not same_scope:
            continue
        if trigger_type == "catch_all":
            errors.add("trigger_type", "trigger_taken", value="catch_all")
        for word in cleaned:
            if word in row.keywords:
                errors.add("keywords", "trigger_taken", value=word)
    errors.raise_if_any()
    now = clock.now()
    row = FlowTrigger(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        trigger_type=trigger_type,
        keywords=cleaned,
        match_type=match_type,
        flow_id=flow.id,
        include_group_ids=list(dict.fromkeys(include_group_ids)),
        exclude_group_ids=list(dict.fromkeys(exclude_group_ids)),
        channel_id=channel_id,
        is_archived=False,
        created_on=now,
        modified_on=now,
    )
    session.add(row)
    await session.flush()
    return row


async def listing(session: AsyncSession, workspace: Workspace, *, archived: bool = False) -> list[FlowTrigger]:
    stmt = queries.triggers(workspace)
    if not archived:
        stmt = stmt.where(FlowTrigger.is_archived.is_(False))
    return list((await session.execute(stmt)).scalars())


async def remove(session: AsyncSession, workspace: Workspace, uuid: str) -> FlowTrigger:
    """Archive a trigger (it stops matching; exports still see it)."""
    row = await queries.trigger_by_uuid(session, workspace, uuid)
    if row is None or row.is_archived:
        raise NotFound("trigger", uuid)
    row.is_archived = True
    row.modified_on = clock.now()
    await session.flush()
    return row
