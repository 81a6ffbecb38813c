"""Use cases for blocked numbers. Each change also sets the status of the contact holding the number (blocked
while the number is), in the same transaction; see ``contacts/reachability.py`` for the other direction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.blocked_numbers import queries
from sauti.domain.contacts import reachability
from sauti.domain.contacts import service as contacts
from sauti.domain.errors import Invalid, NotFound
from sauti.kit import clock
from sauti.models import BlockedNumber, Workspace


async def get(session: AsyncSession, workspace: Workspace, blocked_id: int) -> BlockedNumber:
    row = await queries.by_id(session, workspace, blocked_id)
    if row is None:
        raise NotFound("blocked_number", str(blocked_id))
    return row


async def create(
    session: AsyncSession, workspace: Workspace, *, phone: str, country: str | None = None
) -> BlockedNumber:
    """Block a number (``unique`` when it already is); the contact holding it becomes blocked."""
    e164 = contacts.read_phone(workspace, phone, country)
    if await reachability.blocked(session, workspace, [e164]):
        raise Invalid.field("phone", "unique")
    now = clock.now()
    row = BlockedNumber(workspace_id=workspace.id, phone=e164, created_on=now, modified_on=now)
    session.add(row)
    await session.flush()
    held = [c for c in await reachability.holders(session, workspace, e164) if c.status != "blocked"]
    await contacts.set_status(session, workspace, held, "blocked")
    return row


async def remove(session: AsyncSession, workspace: Workspace, row: BlockedNumber) -> None:
    """Unblock a number: its contact is active again (stopped if the number is still opted out)."""
    await session.delete(row)
    await session.flush()
    await contacts.unblock(session, workspace, await reachability.holders(session, workspace, row.phone))
