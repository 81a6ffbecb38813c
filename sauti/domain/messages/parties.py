"""Who is at either end of a message, as the TextUs views of it (API and web hooks) need: a page of messages
turned into :class:`~sauti.payloads.facts.MessageFacts` in a fixed number of queries.

An outgoing message is sent by the user who sent it, or by the account (the workspace) when nobody did (an
auto reply, a flow); it is received by its contact. An incoming message is sent by its contact and received by
the account. The account's phone number is the address of the channel the message went through.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.models import Channel, Contact, ContactURN, Message, User, Workspace
from sauti.payloads.facts import ACCOUNT, CONTACT, USER, MessageFacts, Party


def _full_name(user: User) -> str | None:
    return f"{user.first_name} {user.last_name}".strip() or None


async def facts(session: AsyncSession, workspace: Workspace, messages: Sequence[Message]) -> list[MessageFacts]:
    """The facts of a page of messages (all of the workspace), in at most four queries."""
    if not messages:
        return []
    contact_ids = {m.contact_id for m in messages}
    urn_ids = {m.contact_urn_id for m in messages if m.contact_urn_id}
    channel_ids = {m.channel_id for m in messages if m.channel_id}
    user_ids = {m.created_by_id for m in messages if m.created_by_id}
    contacts = {c.id: c for c in (await session.execute(select(Contact).where(Contact.id.in_(contact_ids)))).scalars()}
    found_urns: dict[int, ContactURN] = {}
    if urn_ids:
        found_urns = {
            u.id: u for u in (await session.execute(select(ContactURN).where(ContactURN.id.in_(urn_ids)))).scalars()
        }
    channels: dict[int, Channel] = {}
    if channel_ids:
        channels = {
            c.id: c for c in (await session.execute(select(Channel).where(Channel.id.in_(channel_ids)))).scalars()
        }
    users: dict[int, User] = {}
    if user_ids:
        users = {u.id: u for u in (await session.execute(select(User).where(User.id.in_(user_ids)))).scalars()}
    out = []
    for m in messages:
        contact = contacts.get(m.contact_id)
        urn = found_urns.get(m.contact_urn_id) if m.contact_urn_id else None
        channel = channels.get(m.channel_id) if m.channel_id else None
        them = Party(
            kind=CONTACT,
            id=m.contact_id,
            phone=urn.path if urn is not None and urn.scheme == "tel" else None,
            name=contact.name if contact is not None else None,
        )
        account_phone = channel.address or None if channel is not None else None
        account = Party(kind=ACCOUNT, id=workspace.id, phone=account_phone, name=workspace.name)
        user = users.get(m.created_by_id) if m.created_by_id else None
        us = (
            Party(kind=USER, id=user.id, phone=account_phone, name=_full_name(user), email=user.email)
            if user is not None
            else account
        )
        sender, receiver = (them, account) if m.direction == "in" else (us, them)
        out.append(
            MessageFacts(
                id=m.id,
                direction=m.direction,
                status=m.status,
                text=m.text,
                read=m.is_read,
                broadcast_id=m.broadcast_id,
                deliver_at=m.deliver_at,
                from_autoresponse=m.from_autoresponse,
                created_on=m.created_on,
                modified_on=m.modified_on,
                sender=sender,
                receiver=receiver,
                attachments=tuple(str(a) for a in m.attachments or ()),
            )
        )
    return out
