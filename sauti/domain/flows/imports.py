"""Importing a RapidPro/TextIt export file (``definitions.json``'s format, version 13): fields, groups, flows,
triggers and, once campaigns land, campaigns, in that order and in the caller's one transaction.

The file is checked for shape first and every flow is read by the engine (older 13.x specs are migrated; legacy
pre-13 flows are refused with the engine's words) before anything is written: a bad file changes nothing.
Importing the same file again updates what the first import made instead of duplicating it:

- a field is found by key; an existing field keeps its name and type (DECISION: values already stored
  under it stay readable);
- a group is found by UUID, then by name (whatever its case); a new group gets a fresh UUID, and the flows'
  references to the file's UUID are rewritten to it (group UUIDs are unique across workspaces);
- a flow is created or updated by UUID within the workspace (``save_flow``);
- a trigger that is already there (same type, keywords, flow and groups) is left alone; an active trigger of
  the same scope holding one of its keywords for another flow is archived first, as an import replaces it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import Invalid
from sauti.domain.fields import queries as field_queries
from sauti.domain.fields import service as fields
from sauti.domain.fields.keys import is_valid_key
from sauti.domain.flows import campaign_hooks, definitions, queries, triggers
from sauti.domain.groups import service as groups
from sauti.domain.groups.queries import by_uuid as group_by_uuid
from sauti.domain.scope import scoped
from sauti.kit import clock
from sauti.models import Channel, ContactGroup, Flow, FlowTrigger, Workspace

TRIGGER_TYPES: Final = {"K": "keyword", "C": "catch_all"}
MATCH_TYPES: Final = {"F": "first_word", "O": "only_word"}
FIELD_TYPES: Final = frozenset({"text", "number", "datetime", "state", "district", "ward"})
LEGACY_FIELD_TYPES: Final = {"T": "text", "N": "number", "D": "datetime", "S": "state", "I": "district", "W": "ward"}


@dataclass
class ImportSummary:
    """What an import did, for the command line to report."""

    fields_created: list[str] = field(default_factory=list)
    fields_kept: list[str] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    groups_kept: list[str] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    triggers_created: int = 0
    triggers_kept: int = 0
    triggers_skipped: int = 0  # types Sauti has no trigger for (missed calls, schedules ...)
    campaigns_imported: int = 0
    campaigns_skipped: int = 0  # the file's campaigns, while campaigns cannot be imported yet


def _bad(message: str) -> Invalid:
    return Invalid.field("file", "import_invalid", message=message)


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(f"'{key}' must be a list")
    return value


def _objects(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = _list(data, key)
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise _bad(f"'{key}[{i}]' must be an object")
    return items


def _text(item: Mapping[str, Any], key: str, where: str, required: bool = True) -> str:
    value = item.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(f"'{where}.{key}' must be a non-empty string")
    return value


def parse(raw: str | bytes) -> dict[str, Any]:
    """The export document in ``raw`` (the text of a file): ``Invalid`` when it is not JSON or not an object."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad(f"the file is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise _bad("the file must hold one JSON object with flows, triggers, fields, groups and campaigns")
    return data


def _check(data: Mapping[str, Any]) -> None:
    if not any(k in data for k in ("flows", "fields", "groups", "triggers", "campaigns")):
        raise _bad("the file has none of flows, triggers, fields, groups or campaigns: is it a RapidPro export?")
    version = data.get("version")
    if version is not None and not isinstance(version, str | int | float):
        raise _bad("'version' must be a string such as \"13\"")
    for i, item in enumerate(_objects(data, "fields")):
        _text(item, "key", f"fields[{i}]")
        _text(item, "name", f"fields[{i}]")
        kind = item.get("type", item.get("value_type", "text"))
        if _field_type(kind) is None:
            raise _bad(f"'fields[{i}].type' {kind!r} is not a field type")
    for i, item in enumerate(_objects(data, "groups")):
        _text(item, "uuid", f"groups[{i}]")
        _text(item, "name", f"groups[{i}]")
        query = item.get("query")
        if query is not None and not isinstance(query, str):
            raise _bad(f"'groups[{i}].query' must be a string or null")
    _objects(data, "flows")
    for i, item in enumerate(_objects(data, "triggers")):
        flow = item.get("flow")
        if not isinstance(flow, Mapping) or not isinstance(flow.get("uuid"), str):
            raise _bad(f"'triggers[{i}].flow' must be an object with a uuid")
        for key in ("groups", "exclude_groups"):
            _objects(item, key)
    _objects(data, "campaigns")


def _field_type(kind: Any) -> str | None:
    if not isinstance(kind, str):
        return None
    if kind in LEGACY_FIELD_TYPES:
        return LEGACY_FIELD_TYPES[kind]
    return "number" if kind == "numeric" else kind if kind in FIELD_TYPES else None


async def import_export(session: AsyncSession, workspace: Workspace, data: Mapping[str, Any]) -> ImportSummary:
    """Import the export document ``data`` into ``workspace`` (see the module docstring). Flushes; the caller
    commits, or rolls back on ``Invalid`` so nothing is half-imported."""
    _check(data)
    flow_items = _objects(data, "flows")
    for i, item in enumerate(flow_items):
        try:
            definitions.read(item)
        except Invalid as exc:
            name = item.get("name") if isinstance(item.get("name"), str) else f"flows[{i}]"
            message = exc.problems[0].params.get("message", "invalid")
            raise _bad(f"flow {name!r} cannot be read: {message}") from None
    summary = ImportSummary()
    await _import_fields(session, workspace, _objects(data, "fields"), summary)
    group_uuids = await _import_groups(session, workspace, _objects(data, "groups"), summary)
    saved: dict[str, Flow] = {}
    for item in flow_items:
        definition = _rewrite(dict(item), group_uuids)
        flow = await definitions.save_flow(session, workspace, definition)
        saved[flow.uuid] = flow
        summary.flows.append(flow)
    await _import_triggers(session, workspace, _objects(data, "triggers"), saved, group_uuids, summary)
    campaigns = _objects(data, "campaigns")
    if campaign_hooks.AVAILABLE:
        summary.campaigns_imported = await campaign_hooks.import_campaigns(session, workspace, campaigns)
    else:
        summary.campaigns_skipped = len(campaigns)
    return summary


async def _import_fields(
    session: AsyncSession, workspace: Workspace, items: Sequence[Mapping[str, Any]], summary: ImportSummary
) -> None:
    for item in items:
        key, name = str(item["key"]), str(item["name"])
        kind = _field_type(item.get("type", item.get("value_type", "text"))) or "text"
        if await field_queries.by_key(session, workspace, key) is not None:
            summary.fields_kept.append(key)
            continue
        created = await fields.create(session, workspace, name=name, value_type=kind)
        if created.key != key:
            # the flows read the field by the file's key: keep it when the name would generate another
            if not is_valid_key(key) or await field_queries.by_key(session, workspace, key) is not None:
                raise _bad(f"field key {key!r} cannot be used in this workspace")
            created.key = key
            await session.flush()
        summary.fields_created.append(key)


async def _import_groups(
    session: AsyncSession, workspace: Workspace, items: Sequence[Mapping[str, Any]], summary: ImportSummary
) -> dict[str, str]:
    """File UUID -> the workspace's group UUID."""
    mapping: dict[str, str] = {}
    for item in items:
        uuid, name, query = str(item["uuid"]), str(item["name"]), item.get("query")
        found = await group_by_uuid(session, workspace, uuid)
        if found is None:
            stmt = (
                scoped(ContactGroup, workspace)
                .where(ContactGroup.is_active, func.lower(ContactGroup.name) == name.lower())
                .order_by(ContactGroup.id)
                .limit(1)
            )
            found = (await session.execute(stmt)).scalar()
        if found is None:
            try:
                found = await groups.create(session, workspace, name=name, query=query or None)
            except Invalid as exc:
                raise exc.renamed({"name": "groups", "query": "groups"}) from exc
            summary.groups_created.append(name)
        else:
            summary.groups_kept.append(found.name)
        mapping[uuid] = found.uuid
    return mapping


def _rewrite(definition: dict[str, Any], uuids: Mapping[str, str]) -> dict[str, Any]:
    """The definition with the file's group UUIDs replaced by the workspace's (UUIDs are unique strings)."""
    changed = {old: new for old, new in uuids.items() if old != new}
    if not changed:
        return definition
    text = json.dumps(definition)
    for old, new in changed.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    rewritten: dict[str, Any] = json.loads(text)
    return rewritten


async def _group_ids(
    session: AsyncSession, workspace: Workspace, refs: Sequence[Mapping[str, Any]], uuids: Mapping[str, str]
) -> list[int]:
    out: list[int] = []
    for ref in refs:
        uuid = str(ref.get("uuid") or "")
        found = await group_by_uuid(session, workspace, uuids.get(uuid, uuid)) if uuid else None
        if found is None and isinstance(ref.get("name"), str):
            stmt = scoped(ContactGroup, workspace).where(
                ContactGroup.is_active, func.lower(ContactGroup.name) == str(ref["name"]).lower()
            )
            found = (await session.execute(stmt.order_by(ContactGroup.id).limit(1))).scalar()
        if found is None:
            raise _bad(f"trigger group {ref.get('name') or uuid!r} is neither in the file nor in the workspace")
        out.append(found.id)
    return out


async def _import_triggers(
    session: AsyncSession,
    workspace: Workspace,
    items: Sequence[Mapping[str, Any]],
    saved: Mapping[str, Flow],
    group_uuids: Mapping[str, str],
    summary: ImportSummary,
) -> None:
    for item in items:
        kind = TRIGGER_TYPES.get(str(item.get("trigger_type", "")))
        if kind is None:
            summary.triggers_skipped += 1
            continue
        flow_uuid = str(item["flow"]["uuid"])
        flow = saved.get(flow_uuid) or await queries.by_uuid(session, workspace, flow_uuid)
        if flow is None:
            raise _bad(f"trigger flow {flow_uuid} is neither in the file nor in the workspace")
        keywords = item.get("keywords")
        if keywords is None and isinstance(item.get("keyword"), str):
            keywords = item["keyword"].split()
        keywords = [str(k) for k in keywords or []] if kind == "keyword" else []
        match_type = MATCH_TYPES.get(str(item.get("match_type") or "F"), "first_word")
        include = await _group_ids(session, workspace, item.get("groups") or [], group_uuids)
        exclude = await _group_ids(session, workspace, item.get("exclude_groups") or [], group_uuids)
        channel_id = await _channel_id(session, workspace, item.get("channel"))
        wanted = {k.strip().casefold() for k in keywords}
        kept = False
        for row in await triggers.listing(session, workspace):
            same_scope = (
                row.trigger_type == kind
                and row.channel_id == channel_id
                and sorted(row.include_group_ids) == sorted(include)
                and sorted(row.exclude_group_ids) == sorted(exclude)
            )
            if not same_scope or (kind == "keyword" and not wanted & set(row.keywords)):
                continue
            if row.flow_id == flow.id and set(row.keywords) == wanted and row.match_type == match_type:
                kept = True
                continue
            await _archive(session, row)
        if kept:
            summary.triggers_kept += 1
            continue
        try:
            await triggers.create(
                session,
                workspace,
                trigger_type=kind,
                flow=flow,
                keywords=keywords,
                match_type=match_type,
                include_group_ids=include,
                exclude_group_ids=exclude,
                channel_id=channel_id,
            )
        except Invalid as exc:
            raise exc.renamed({"keywords": "triggers", "trigger_type": "triggers"}) from exc
        summary.triggers_created += 1


async def _archive(session: AsyncSession, row: FlowTrigger) -> None:
    row.is_archived = True
    row.modified_on = clock.now()
    await session.flush()


async def _channel_id(session: AsyncSession, workspace: Workspace, ref: Any) -> int | None:
    """The trigger's channel when the workspace has it; otherwise the trigger answers on every channel."""
    if not isinstance(ref, Mapping) or not isinstance(ref.get("uuid"), str):
        return None
    stmt = scoped(Channel, workspace, Channel.id).where(Channel.uuid == ref["uuid"])
    found: int | None = (await session.execute(stmt)).scalar()
    return found


__all__ = ["ImportSummary", "import_export", "parse"]
