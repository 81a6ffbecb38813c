"""Every select for messages: the listing, its folders, and batched loading for a page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from sauti.db import plain, shapes
from sauti.domain.errors import BadParameter
from sauti.domain.scope import scoped
from sauti.kit import clock
from sauti.models import Channel, Contact, ContactURN, Label, Message, MessageLabel, Workspace

# the subsets a listing can be narrowed to by name: messages of flagged contacts or of contacts with notes, unread
# incoming messages, and outgoing ones scheduled for later and not sent yet
SCOPES = ("flagged", "unread", "with_notes", "scheduled")

FOLDERS: dict[str, Any] = {
    "inbox": and_(
        Message.direction == "in",
        Message.visibility == "visible",
        Message.status == "handled",
        Message.flow_id.is_(None),
    ),
    "flows": and_(
        Message.direction == "in",
        Message.visibility == "visible",
        Message.status == "handled",
        Message.flow_id.is_not(None),
    ),
    "archived": and_(Message.direction == "in", Message.visibility == "archived", Message.status == "handled"),
    "outbox": and_(
        Message.direction == "out",
        Message.visibility == "visible",
        Message.status.in_(("initializing", "queued", "sending", "errored")),
    ),
    "sent": and_(
        Message.direction == "out",
        Message.visibility == "visible",
        Message.status.in_(("wired", "sent", "delivered", "read")),
    ),
    "failed": and_(Message.direction == "out", Message.visibility == "visible", Message.status == "failed"),
}


@dataclass(frozen=True)
class MessageFilter:
    """What a message listing may be narrowed by. ``contact`` is a UUID, ``label`` a UUID or exact name;
    date bounds are inclusive and apply to ``created_on``."""

    folder: str | None = None
    uuid: str | None = None
    id: int | None = None
    contact: str | None = None
    label: str | None = None
    broadcast_id: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    contact_id: int | None = None
    text: str | None = None  # a case-insensitive part of the text
    latest_per_contact: bool = False  # only the newest message of each contact
    scope: str | None = None  # one of SCOPES
    newest_first: bool = False  # the select comes ordered, newest (created) first

    @property
    def by_sent_time(self) -> bool:
        """The sent folder is ordered by when messages were sent (and holds only sent ones)."""
        return self.folder is not None and self.folder.lower() == "sent"


async def select_messages(session: AsyncSession, workspace: Workspace, f: MessageFilter) -> Select[Message] | None:
    """The scoped select of the messages ``f`` describes, or ``None`` when nothing can match (an unknown
    folder or label; an unknown contact matches no message)."""
    label: int | None = None
    if f.label is not None:
        label = await label_id(session, workspace, f.label)
        if label is None:
            return None
    return build_messages(workspace, f, label)


_SHAPES: Final = shapes.Shapes()
_VALUES: Final = ("uuid", "id", "contact", "label", "broadcast_id", "created_after", "created_before", "contact_id")


async def listed_messages(
    session: AsyncSession, workspace: Workspace, f: MessageFilter
) -> tuple[Select[Message] | None, dict[str, Any] | None]:
    """:func:`select_messages` kept per shape (``db.shapes``): the statement (``None`` when nothing can match)
    and the values to run it with (``None``: the statement holds them)."""
    shape, values = shapes.split(f, (*_VALUES, "text"))
    if f.label is not None:
        label = await label_id(session, workspace, f.label)
        if label is None:
            return None, None
        values["label"] = label
    given = [k for k in values if k != "label"]

    def build(v: Mapping[str, Any]) -> Select[Message] | None:
        return build_messages(v["ws"], replace(f, **{k: v[k] for k in given}), v.get("label"))

    return _SHAPES.statement(shape, build, {**values, "ws": workspace.id})


def build_messages(workspace: Workspace | int, f: MessageFilter, label: int | None) -> Select[Message] | None:
    """:func:`select_messages` once the label (if any) is found: ``label`` is its id."""
    if f.folder is not None:
        stmt = in_folder(workspace, f.folder)
        if stmt is None:
            return None
    else:
        stmt = listing(workspace)
    if f.uuid is not None:
        stmt = stmt.where(Message.uuid == f.uuid)
    if f.id is not None:
        stmt = stmt.where(Message.id == f.id)
    if f.broadcast_id is not None:
        stmt = stmt.where(Message.broadcast_id == f.broadcast_id)
    if f.contact is not None:  # in the page's own statement: an unknown contact matches no message
        stmt = stmt.where(Message.contact_id == _contact_of(workspace, f.contact))
    if label is not None:
        stmt = with_label(stmt, label)
    if f.created_before is not None:
        stmt = stmt.where(Message.created_on <= f.created_before)
    if f.created_after is not None:
        stmt = stmt.where(Message.created_on >= f.created_after)
    if f.by_sent_time:
        stmt = stmt.where(Message.sent_on.is_not(None))
    if f.contact_id is not None:
        stmt = stmt.where(Message.contact_id == f.contact_id)
    if f.text:
        stmt = stmt.where(func.lower(Message.text).contains(f.text.lower(), autoescape=True))
    if f.scope is not None:
        stmt = stmt.where(_in_scope(f.scope))
    if f.latest_per_contact:
        other = aliased(Message)
        newest = (
            select(func.max(other.id))
            .where(other.contact_id == Message.contact_id, *_same_rows(other))
            .scalar_subquery()
        )
        stmt = stmt.where(Message.id == newest)
    if f.newest_first:
        stmt = stmt.order_by(Message.created_on.desc(), Message.id.desc())
    return stmt


def _same_rows(other: Any) -> list[Any]:
    """The listing's own visibility rule, for the aliased table of a correlated subquery."""
    return [
        other.workspace_id == Message.workspace_id,
        other.visibility.in_(("visible", "archived")),
        ~and_(other.direction == "in", other.status == "pending"),
    ]


def _in_scope(scope: str) -> Any:
    if scope == "unread":
        return and_(Message.direction == "in", Message.is_read.is_(False))
    if scope == "scheduled":
        return and_(
            Message.direction == "out",
            Message.status == "queued",
            Message.deliver_at > clock.now(),
            Message.sent_on.is_(None),
        )
    if scope in ("flagged", "with_notes"):
        cond = (
            Contact.flagged.is_(True)
            if scope == "flagged"
            else and_(Contact.notes.is_not(None), func.trim(Contact.notes) != "")
        )
        return select(Contact.id).where(Contact.id == Message.contact_id, cond).exists()
    raise BadParameter("scope", "invalid_choice", value=scope, choices=SCOPES)


async def by_id(session: AsyncSession, workspace: Workspace, message_id: int) -> Message | None:
    """A listed message (visible or archived, not an incoming one still pending) by its integer id."""
    found: Message | None = (await session.execute(listing(workspace).where(Message.id == message_id))).scalar()
    return found


def listing(workspace: Workspace | int) -> Select[Message]:
    """Visible and archived messages, without incoming ones still pending."""
    return scoped(Message, workspace).where(
        Message.visibility.in_(("visible", "archived")),
        ~and_(Message.direction == "in", Message.status == "pending"),
    )


def in_folder(workspace: Workspace | int, folder: str) -> Select[Message] | None:
    cond = FOLDERS.get(folder.lower())
    if cond is None:
        return None
    return scoped(Message, workspace).where(cond)


def _contact_of(workspace: Workspace | int, uuid: str) -> Any:
    """The id of the workspace's active contact with ``uuid`` (NULL when there is none), as a subquery: one
    statement fewer than reading it first."""
    return scoped(Contact, workspace, Contact.id).where(Contact.uuid == uuid, Contact.is_active).scalar_subquery()


async def label_id(session: AsyncSession, workspace: Workspace, ref: str) -> int | None:
    stmt = scoped(Label, workspace, Label.id).where(Label.is_active, (Label.uuid == ref) | (Label.name == ref))
    found: int | None = (await session.execute(stmt.limit(1))).scalar()
    return found


def with_label(stmt: Select[Message], label: int) -> Select[Message]:
    tagged = select(MessageLabel.message_id).where(
        MessageLabel.label_id == label, MessageLabel.message_id == Message.id
    )
    return stmt.where(tagged.exists())


@dataclass
class PageData:
    """What a page of messages shows of other rows, as plain columns (``uuid``, ``name``, ``scheme``...)."""

    contacts: dict[int, Any] = field(default_factory=dict)
    urns: dict[int, Any] = field(default_factory=dict)
    channels: dict[int, Any] = field(default_factory=dict)
    labels: dict[int, list[Any]] = field(default_factory=dict)


# what a page shows of other rows: built once (building a select cost more than running it), the ids expanded
_PAGE_CONTACTS = select(Contact.id, Contact.uuid, Contact.name).where(Contact.id.in_(bindparam("ids", expanding=True)))
_PAGE_URNS = select(ContactURN.id, ContactURN.scheme, ContactURN.path).where(
    ContactURN.id.in_(bindparam("ids", expanding=True))
)
_PAGE_CHANNELS = select(Channel.id, Channel.uuid, Channel.name).where(Channel.id.in_(bindparam("ids", expanding=True)))
_PAGE_LABELS = (
    select(MessageLabel.message_id, Label.uuid, Label.name)
    .join(Label, Label.id == MessageLabel.label_id)
    .where(MessageLabel.message_id.in_(bindparam("ids", expanding=True)), Label.is_active)
    .order_by(Label.name)
)


async def load_page(session: AsyncSession, messages: Sequence[Any]) -> PageData:
    """Contacts, URNs, channels and labels of a page of messages, in at most four queries."""
    data = PageData()
    if not messages:
        return data
    contact_ids = list({m.contact_id for m in messages})
    urn_ids = list({m.contact_urn_id for m in messages if m.contact_urn_id})
    channel_ids = list({m.channel_id for m in messages if m.channel_id})
    ids = [m.id for m in messages]
    data.contacts = {c.id: c for c in await plain.rows(session, _PAGE_CONTACTS, {"ids": contact_ids})}
    if urn_ids:
        data.urns = {u.id: u for u in await plain.rows(session, _PAGE_URNS, {"ids": urn_ids})}
    if channel_ids:
        data.channels = {c.id: c for c in await plain.rows(session, _PAGE_CHANNELS, {"ids": channel_ids})}
    for label in await plain.rows(session, _PAGE_LABELS, {"ids": ids}):
        data.labels.setdefault(label.message_id, []).append(label)
    return data
