"""Membership changes, with every group's ``member_count`` kept right in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.campaigns import fires
from sauti.models import ContactGroup, GroupMember


async def current(session: AsyncSession, contact_ids: Iterable[int]) -> dict[int, set[int]]:
    """Group ids each contact belongs to."""
    ids = list(contact_ids)
    out: dict[int, set[int]] = {cid: set() for cid in ids}
    if not ids:
        return out
    rows = await session.execute(
        select(GroupMember.contact_id, GroupMember.group_id).where(GroupMember.contact_id.in_(ids))
    )
    for contact_id, group_id in rows:
        out[contact_id].add(group_id)
    return out


async def _bump(session: AsyncSession, deltas: dict[int, int]) -> None:
    by_delta: dict[int, list[int]] = {}
    for group_id, delta in deltas.items():
        if delta:
            by_delta.setdefault(delta, []).append(group_id)
    for delta, group_ids in by_delta.items():
        await session.execute(
            update(ContactGroup)
            .where(ContactGroup.id.in_(group_ids))
            .values(member_count=ContactGroup.member_count + delta)
        )


async def apply(session: AsyncSession, adds: Iterable[tuple[int, int]], removes: Iterable[tuple[int, int]]) -> None:
    """Insert ``(group_id, contact_id)`` pairs in ``adds`` and delete those in ``removes`` (callers pass only
    real changes), move the counts by the same amounts, and add or drop the campaign fires they bring."""
    adds = list(adds)
    removes = list(removes)
    deltas: dict[int, int] = {}
    if adds:
        await session.execute(insert(GroupMember), [{"group_id": g, "contact_id": c} for g, c in adds])
        for g, _ in adds:
            deltas[g] = deltas.get(g, 0) + 1
    for g, c in removes:
        await session.execute(delete(GroupMember).where(GroupMember.group_id == g, GroupMember.contact_id == c))
        deltas[g] = deltas.get(g, 0) - 1
    await _bump(session, deltas)
    await fires.membership_changed(session, adds, removes)  # joiners get the group's campaign fires, leavers lose them


async def set_for_contact(session: AsyncSession, contact_id: int, before: set[int], after: set[int]) -> bool:
    """Move one contact from the groups in ``before`` to those in ``after``; True if anything changed."""
    adds = [(g, contact_id) for g in sorted(after - before)]
    removes = [(g, contact_id) for g in sorted(before - after)]
    await apply(session, adds, removes)
    return bool(adds or removes)


async def recount(session: AsyncSession, group: ContactGroup) -> None:
    """Set a group's count from its rows (after a bulk re-evaluation)."""
    from sqlalchemy import func

    count = (
        await session.execute(select(func.count()).select_from(GroupMember).where(GroupMember.group_id == group.id))
    ).scalar_one()
    group.member_count = int(count)
