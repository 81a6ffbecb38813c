"""Use cases for opt outs. Each change also sets the status of the contact holding the number (stopped while
opted out), in the same transaction; see ``contacts/reachability.py`` for the other direction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.contacts import reachability
from sauti.domain.contacts import service as contacts
from sauti.domain.errors import Invalid, NotFound
from sauti.domain.optouts import queries
from sauti.kit import clock
from sauti.models import OptOut, Workspace


async def get(session: AsyncSession, workspace: Workspace, opt_out_id: int) -> OptOut:
    row = await queries.by_id(session, workspace, opt_out_id)
    if row is None:
        raise NotFound("opt_out", str(opt_out_id))
    return row


async def _stop_holders(session: AsyncSession, workspace: Workspace, phone: str) -> None:
    held = [c for c in await reachability.holders(session, workspace, phone) if c.status == "active"]
    await contacts.set_status(session, workspace, held, "stopped")


async def _start_holders(session: AsyncSession, workspace: Workspace, phone: str) -> None:
    held = [c for c in await reachability.holders(session, workspace, phone) if c.status == "stopped"]
    await contacts.set_status(session, workspace, held, "active")


async def create(session: AsyncSession, workspace: Workspace, *, phone: str, country: str | None = None) -> OptOut:
    """Opt a number out. A number already opted out is refused (``unique``); one that opted back in earlier is
    opted out again (its row, and its creation time, are kept)."""
    e164 = contacts.read_phone(workspace, phone, country)
    row = await queries.by_phone(session, workspace, e164)
    now = clock.now()
    if row is not None and not row.opt_in:
        raise Invalid.field("phone", "unique")
    if row is None:
        row = OptOut(workspace_id=workspace.id, phone=e164, opt_in=False, created_on=now, modified_on=now)
        session.add(row)
    else:
        row.opt_in = False
        row.modified_on = now
    await session.flush()
    await _stop_holders(session, workspace, e164)
    return row


async def set_opt_in(session: AsyncSession, workspace: Workspace, row: OptOut, opt_in: bool | None) -> OptOut:
    """``opt_in`` true: the number opted back in (textable again, the row kept as history); false: opted out
    again; ``None``: nothing changes but the row's modification time."""
    row.modified_on = clock.now()
    if opt_in is not None and opt_in != row.opt_in:
        row.opt_in = opt_in
        await session.flush()
        if opt_in:
            await _start_holders(session, workspace, row.phone)
        else:
            await _stop_holders(session, workspace, row.phone)
    await session.flush()
    return row


async def remove(session: AsyncSession, workspace: Workspace, row: OptOut) -> None:
    """Forget an opt out: the number is textable again."""
    await session.delete(row)
    await session.flush()
    await _start_holders(session, workspace, row.phone)
