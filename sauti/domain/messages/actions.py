"""What a user does to incoming messages by hand: label, unlabel, archive, restore and delete.

Only incoming messages take these actions. Each changed message's ``modified_on`` moves; a message an action
leaves as it was (restoring a visible one, labelling one already labelled) is not touched.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete as sql_delete
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import GENERAL, ErrorCollector, Problem
from sauti.domain.labels import queries as label_queries
from sauti.domain.labels import service as label_service
from sauti.domain.names import check_name
from sauti.domain.scope import scoped
from sauti.kit import clock
from sauti.models import Label, Message, MessageLabel, Workspace

# visibilities a user can still act on; deleted messages are gone for good
ACTIONABLE = ("visible", "archived")
# ids are 64-bit: anything outside cannot name a message (and must not reach the database driver)
_MAX_ID = 2**63 - 1


@dataclass
class Found:
    """Messages found for a list of references, in request order, and the references that found nothing."""

    pairs: list[tuple[object, Message]] = field(default_factory=list)
    failures: list[object] = field(default_factory=list)

    @property
    def messages(self) -> list[Message]:
        return [m for _, m in self.pairs]


def _as_id(ref: object) -> int | None:
    if isinstance(ref, int) and not isinstance(ref, bool) and -_MAX_ID <= ref <= _MAX_ID:
        return ref
    return None


def _as_uuid(ref: object) -> str | None:
    if not isinstance(ref, str):
        return None
    try:
        return str(uuidlib.UUID(ref))
    except ValueError:
        return None


async def find(session: AsyncSession, workspace: Workspace, refs: Sequence[object]) -> Found:
    """Messages of this workspace that are visible or archived, by integer id or by UUID string, in two queries.

    A reference that is neither (a numeric string, a float, null...), names no such message, or names one that
    was deleted or belongs to another workspace is a failure, not an error. Repeats count once.
    """
    ids = {i for r in refs if (i := _as_id(r)) is not None}
    uuids = {u for r in refs if (u := _as_uuid(r)) is not None}
    base = scoped(Message, workspace).where(Message.visibility.in_(ACTIONABLE))
    by_id: dict[int, Message] = {}
    by_uuid: dict[str, Message] = {}
    if ids:
        by_id = {m.id: m for m in (await session.execute(base.where(Message.id.in_(ids)))).scalars()}
    if uuids:
        by_uuid = {m.uuid: m for m in (await session.execute(base.where(Message.uuid.in_(uuids)))).scalars()}
    found = Found()
    seen: set[int] = set()
    failed: set[str] = set()
    for ref in refs:
        message: Message | None = None
        if (i := _as_id(ref)) is not None:
            message = by_id.get(i)
        elif (u := _as_uuid(ref)) is not None:
            message = by_uuid.get(u)
        if message is None:
            if repr(ref) not in failed:  # repr: 1 and True are different references; dicts are unhashable
                failed.add(repr(ref))
                found.failures.append(ref)
        elif message.id not in seen:
            seen.add(message.id)
            found.pairs.append((ref, message))
    return found


def first_outgoing(found: Found) -> object | None:
    """The reference of the first found message that is not incoming (actions refuse those)."""
    return next((ref for ref, m in found.pairs if m.direction != "in"), None)


def _touch(messages: Sequence[Message]) -> None:
    now = clock.now()
    for m in messages:
        m.modified_on = now


async def _labelled(session: AsyncSession, messages: Sequence[Message], label: Label) -> set[int]:
    rows = await session.execute(
        select(MessageLabel.message_id).where(
            MessageLabel.label_id == label.id, MessageLabel.message_id.in_([m.id for m in messages])
        )
    )
    return set(rows.scalars())


async def label(session: AsyncSession, messages: Sequence[Message], label: Label) -> None:
    """Put ``label`` on every message that does not have it yet."""
    assert all(m.direction == "in" for m in messages)
    if not messages:
        return
    have = await _labelled(session, messages, label)
    changed = [m for m in messages if m.id not in have]
    if changed:
        await session.execute(insert(MessageLabel), [{"message_id": m.id, "label_id": label.id} for m in changed])
        _touch(changed)
    await session.flush()


async def unlabel(session: AsyncSession, messages: Sequence[Message], label: Label) -> None:
    """Take ``label`` off every message that has it."""
    if not messages:
        return
    have = await _labelled(session, messages, label)
    changed = [m for m in messages if m.id in have]
    if changed:
        await session.execute(
            sql_delete(MessageLabel).where(
                MessageLabel.label_id == label.id, MessageLabel.message_id.in_([m.id for m in changed])
            )
        )
        _touch(changed)
    await session.flush()


async def _move(session: AsyncSession, messages: Sequence[Message], source: str, target: str) -> None:
    assert all(m.direction == "in" for m in messages)
    changed = [m for m in messages if m.visibility == source]
    for m in changed:
        m.visibility = target
    _touch(changed)
    await session.flush()


async def archive(session: AsyncSession, messages: Sequence[Message]) -> None:
    """Visible messages become archived (out of the inbox, still listed)."""
    await _move(session, messages, "visible", "archived")


async def restore(session: AsyncSession, messages: Sequence[Message]) -> None:
    """Archived messages become visible again."""
    await _move(session, messages, "archived", "visible")


async def delete(session: AsyncSession, messages: Sequence[Message]) -> None:
    """Soft delete: the messages lose their content and labels and are never shown again. The rows stay, so a
    provider's repeated delivery of the same message is still recognised and not received twice."""
    assert all(m.direction == "in" for m in messages)
    if not messages:
        return
    await session.execute(sql_delete(MessageLabel).where(MessageLabel.message_id.in_([m.id for m in messages])))
    for m in messages:
        m.visibility = "deleted"
        m.text = ""
        m.attachments = []
    _touch(messages)
    await session.flush()


LABEL_ACTIONS = ("label", "unlabel")
ACTIONS = ("label", "unlabel", "archive", "restore", "delete")


@dataclass(frozen=True)
class MessageAction:
    """One action on many incoming messages, as a caller asks for it: messages by integer id or UUID, the
    label by UUID or name (``label``) or by a name that labelling creates when missing (``label_name``)."""

    messages: Sequence[object]
    action: str
    label: str | None = None
    label_name: str | None = None


@dataclass
class _Checked:
    found: Found
    label: Label | None


async def _check(session: AsyncSession, workspace: Workspace, req: MessageAction, errors: ErrorCollector) -> _Checked:
    found = await find(session, workspace, req.messages)
    if (outgoing := first_outgoing(found)) is not None:
        errors.add("messages", "not_incoming", ref=outgoing)
    label_row: Label | None = None
    if req.label is not None:
        label_row = await label_queries.by_reference(session, workspace, req.label)
        if label_row is None:
            errors.add("label", "no_such_object", ref=req.label)
    if req.label_name is not None:
        check_name(req.label_name, errors, "label_name")
    return _Checked(found, label_row)


async def check(session: AsyncSession, workspace: Workspace, req: MessageAction) -> list[Problem]:
    """The problems with the request's references (what a dialect reports beside its own)."""
    errors = ErrorCollector()
    await _check(session, workspace, req, errors)
    return errors.problems


async def apply(session: AsyncSession, workspace: Workspace, req: MessageAction) -> list[object]:
    """Apply the action to every message found; returns the references that found no message (a partial
    success, not an error). Labelling by ``label_name`` creates the label; unlabelling by a name that names
    no label does nothing."""
    errors = ErrorCollector()
    checked = await _check(session, workspace, req, errors)
    errors.raise_if_any()
    action = req.action
    if req.label is not None and req.label_name is not None:
        errors.add(GENERAL, "label_and_label_name")
    elif action in LABEL_ACTIONS and req.label is None and req.label_name is None:
        errors.add(GENERAL, "label_required", action=action)
    elif action not in LABEL_ACTIONS and (req.label is not None or req.label_name is not None):
        errors.add(GENERAL, "label_not_allowed", action=action)
    errors.raise_if_any()
    messages = checked.found.messages
    label_row = checked.label
    if action == "label":
        if label_row is None:
            assert req.label_name is not None
            label_row = await label_service.get_or_create(session, workspace, req.label_name, field="label_name")
        await label(session, messages, label_row)
    elif action == "unlabel":
        if label_row is None:
            assert req.label_name is not None
            label_row = await label_queries.by_name(session, workspace, req.label_name)
        if label_row is not None:
            await unlabel(session, messages, label_row)
    elif action == "archive":
        await archive(session, messages)
    elif action == "restore":
        await restore(session, messages)
    else:
        await delete(session, messages)
    return checked.found.failures
