"""Recording broadcasts, and expanding them into messages a batch at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.contacts import service as contacts
from sauti.domain.messages.send import Content, queue_many
from sauti.kit import clock, urns
from sauti.models import Broadcast, Contact, GroupMember, User, Workspace

BATCH = 1000


async def create(
    session: AsyncSession,
    workspace: Workspace,
    *,
    translations: Mapping[str, Mapping[str, Any]],
    base_language: str,
    urn_list: Sequence[str] = (),
    contact_ids: Sequence[int] = (),
    group_ids: Sequence[int] = (),
    user: User | None = None,
    due_on: datetime | None = None,
) -> Broadcast:
    """Record a broadcast; nothing is sent here. The worker resolves recipients once it is due."""
    now = clock.now()
    broadcast = Broadcast(
        uuid=clock.new_uuid(),
        workspace_id=workspace.id,
        status="pending" if due_on is not None and due_on > now else "queued",
        translations={k: dict(v) for k, v in translations.items()},
        base_language=base_language,
        urns=list(urn_list),
        contact_ids=list(contact_ids),
        urn_contact_ids=[],
        group_ids=list(group_ids),
        high_priority=False,
        total=-1,
        started=0,
        expand_cursor=0,
        created_by_id=user.id if user else None,
        due_on=due_on,
        is_active=True,
        created_on=now,
        modified_on=now,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


def _recipients(broadcast: Broadcast) -> Any:
    """Active contacts among the broadcast's contacts and the members of its groups."""
    conds: list[Any] = []
    explicit = [*broadcast.contact_ids, *broadcast.urn_contact_ids]
    if explicit:
        conds.append(Contact.id.in_(explicit))
    if broadcast.group_ids:
        members = select(GroupMember.contact_id).where(
            GroupMember.group_id.in_(list(broadcast.group_ids)), GroupMember.contact_id == Contact.id
        )
        conds.append(members.exists())
    if not conds:
        return None
    return select(Contact).where(
        Contact.workspace_id == broadcast.workspace_id,
        Contact.is_active,
        Contact.status == "active",
        or_(*conds),
    )


def content_for(broadcast: Broadcast, contact: Contact) -> Content:
    """The translation in the contact's language when there is one, else the base language."""
    lang = contact.language if contact.language in broadcast.translations else broadcast.base_language
    tr = broadcast.translations.get(lang) or {}
    return Content(
        text=tr.get("text") or "",
        attachments=tuple(tr.get("attachments") or ()),
        quick_replies=tuple(tr.get("quick_replies") or ()),
    )


async def _resolve_urns(session: AsyncSession, workspace: Workspace, broadcast: Broadcast) -> None:
    """URNs named in the request become contacts (created when new); they are kept apart from the contacts
    the request named, which is what the API shows."""
    ids: list[int] = []
    for text in broadcast.urns:
        urn = urns.parse_normalized(text, workspace.country)
        contact, _ = await contacts.get_or_create_by_urn(session, workspace, urn)
        if contact.id not in ids:
            ids.append(contact.id)
    broadcast.urn_contact_ids = ids


async def expand(session: AsyncSession, broadcast: Broadcast, batch: int = BATCH) -> int:
    """Create the next batch of the broadcast's messages (contacts in id order after ``expand_cursor``).
    Returns how many were created; the broadcast is completed when none remain."""
    workspace = await session.get(Workspace, broadcast.workspace_id)
    assert workspace is not None
    now = clock.now()
    if broadcast.status in ("pending", "queued"):
        await _resolve_urns(session, workspace, broadcast)
        stmt = _recipients(broadcast)
        if stmt is None:
            broadcast.total = 0
        else:
            from sqlalchemy import func

            broadcast.total = int(
                (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
            )
        broadcast.status = "started"
    stmt = _recipients(broadcast)
    chunk: list[Contact] = []
    if stmt is not None:
        rows = await session.execute(stmt.where(Contact.id > broadcast.expand_cursor).order_by(Contact.id).limit(batch))
        chunk = list(rows.scalars())
    created = 0
    if chunk:
        created = await queue_many(
            session,
            workspace,
            chunk,
            {c.id: content_for(broadcast, c) for c in chunk},
            broadcast_id=broadcast.id,
            high_priority=broadcast.high_priority,
        )
        broadcast.expand_cursor = chunk[-1].id
        broadcast.started += created
    if len(chunk) < batch:
        broadcast.status = "completed"
    broadcast.modified_on = now
    await session.flush()
    return created
