"""Whether a phone number may be texted: opt outs and blocked numbers, kept in step with contact status.

An opt out (a row of ``opt_outs`` with ``opt_in`` false) is what API v2 calls a *stopped* contact, and a blocked
number a *blocked* one. Both lists exist apart from contacts because a number can be opted out or blocked before
anybody has it, but the two views never disagree: every change of a contact's status writes the rows of its
phone numbers here, and every change of the rows sets the status of the contacts that hold those numbers (see
``optouts/service.py`` and ``blocked_numbers/service.py``), in the same transaction.

This module only reads and writes the rows; it never changes a contact, so the services on either side can call
it without calling each other back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.scope import owned_by, scoped
from sauti.kit import clock
from sauti.models import BlockedNumber, Contact, ContactURN, OptOut, Workspace


async def tel_phones(session: AsyncSession, contact_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each contact's phone numbers (E.164), highest priority first."""
    ids = list(contact_ids)
    out: dict[int, list[str]] = {cid: [] for cid in ids}
    if not ids:
        return out
    rows = await session.execute(
        select(ContactURN.contact_id, ContactURN.path)
        .where(ContactURN.contact_id.in_(ids), ContactURN.scheme == "tel")
        .order_by(ContactURN.contact_id, ContactURN.priority.desc(), ContactURN.id)
    )
    for contact_id, path in rows:
        assert contact_id is not None
        out[contact_id].append(path)
    return out


async def opted_out(session: AsyncSession, workspace: Workspace, phones: Iterable[str]) -> set[str]:
    """Which of ``phones`` have an active opt out."""
    wanted = list(set(phones))
    if not wanted:
        return set()
    rows = await session.execute(
        scoped(OptOut, workspace, OptOut.phone).where(OptOut.phone.in_(wanted), OptOut.opt_in.is_(False))
    )
    return set(rows.scalars())


async def blocked(session: AsyncSession, workspace: Workspace, phones: Iterable[str]) -> set[str]:
    """Which of ``phones`` are blocked."""
    wanted = list(set(phones))
    if not wanted:
        return set()
    rows = await session.execute(
        scoped(BlockedNumber, workspace, BlockedNumber.phone).where(BlockedNumber.phone.in_(wanted))
    )
    return set(rows.scalars())


async def status_for(session: AsyncSession, workspace: Workspace, phones: Sequence[str]) -> str:
    """The status a contact holding ``phones`` should have: ``blocked`` if one is blocked, else ``stopped`` if
    one is opted out, else ``active``."""
    if await blocked(session, workspace, phones):
        return "blocked"
    if await opted_out(session, workspace, phones):
        return "stopped"
    return "active"


async def opt_out(session: AsyncSession, workspace: Workspace, phones: Iterable[str]) -> None:
    """Active opt outs for ``phones``: new rows, or lifted ones (``opt_in`` true) made active again."""
    wanted = sorted(set(phones))
    if not wanted:
        return
    now = clock.now()
    existing = {
        o.phone: o for o in (await session.execute(scoped(OptOut, workspace).where(OptOut.phone.in_(wanted)))).scalars()
    }
    for phone in wanted:
        row = existing.get(phone)
        if row is None:
            session.add(OptOut(workspace_id=workspace.id, phone=phone, opt_in=False, created_on=now, modified_on=now))
        elif row.opt_in:
            row.opt_in = False
            row.modified_on = now
    await session.flush()


async def opt_in(session: AsyncSession, workspace: Workspace, phones: Iterable[str]) -> None:
    """Lift the active opt outs of ``phones`` (the rows stay, with ``opt_in`` true, as history)."""
    wanted = list(set(phones))
    if wanted:
        await session.execute(
            update(OptOut)
            .where(owned_by(OptOut, workspace), OptOut.phone.in_(wanted), OptOut.opt_in.is_(False))
            .values(opt_in=True, modified_on=clock.now())
            .execution_options(synchronize_session="fetch")
        )


async def block(session: AsyncSession, workspace: Workspace, phones: Iterable[str]) -> None:
    """Blocked-number rows for ``phones`` (those already blocked are left as they are)."""
    wanted = sorted(set(phones))
    if not wanted:
        return
    have = await blocked(session, workspace, wanted)
    now = clock.now()
    for phone in wanted:
        if phone not in have:
            session.add(BlockedNumber(workspace_id=workspace.id, phone=phone, created_on=now, modified_on=now))
    await session.flush()


async def unblock(session: AsyncSession, workspace: Workspace, phones: Iterable[str]) -> None:
    wanted = list(set(phones))
    if wanted:
        await session.execute(
            delete(BlockedNumber)
            .where(owned_by(BlockedNumber, workspace), BlockedNumber.phone.in_(wanted))
            .execution_options(synchronize_session="fetch")
        )


async def follow_status(
    session: AsyncSession, workspace: Workspace, contacts: Sequence[Contact], before: Mapping[int, str], after: str
) -> None:
    """Write the rows that contacts' change of status (``before[id]`` -> ``after``) means for their phones:
    blocking blocks them, leaving blocked unblocks them, stopping opts them out, and a stopped contact made
    active again (they wrote to us, say) opts them back in."""
    phones = await tel_phones(session, [c.id for c in contacts])

    def of(was: str | None = None) -> list[str]:
        return [p for c in contacts if was is None or before.get(c.id) == was for p in phones[c.id]]

    if after == "blocked":
        await block(session, workspace, of())
    else:
        await unblock(session, workspace, of(was="blocked"))
    if after == "stopped":
        await opt_out(session, workspace, of())
    elif after == "active":
        await opt_in(session, workspace, of(was="stopped"))


async def holders(session: AsyncSession, workspace: Workspace, phone: str) -> list[Contact]:
    """The live contacts holding a phone number (at most one: a URN has one owner)."""
    rows = await session.execute(
        scoped(Contact, workspace)
        .join(ContactURN, ContactURN.contact_id == Contact.id)
        .where(ContactURN.workspace_id == workspace.id, ContactURN.identity == f"tel:{phone}", Contact.is_active)
    )
    return list(rows.scalars())
