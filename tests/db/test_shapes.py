"""Selects kept per shape (``db.shapes``): the kept statement, run with another call's values, reads exactly what
that call's own statement reads, on both databases; a builder that does more with a value than compare it is
never kept; and a shape's statement is built once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from sauti.db import plain, shapes
from sauti.domain.scope import scoped
from sauti.models import Contact
from tests.conftest import Backend, Tenant


@dataclass(frozen=True)
class Wanted:
    uuid: str | None = None
    name: str | None = None
    after: datetime | None = None
    active: bool = True


def _build(ws: int, w: Wanted) -> Any:
    stmt = scoped(Contact, ws, Contact.id, Contact.name).where(Contact.is_active.is_(w.active))
    if w.uuid is not None:
        stmt = stmt.where(Contact.uuid == w.uuid)
    if w.name is not None:
        stmt = stmt.where(func.lower(Contact.name) == w.name.lower())  # does more than compare: never kept
    if w.after is not None:
        stmt = stmt.where(Contact.created_on >= w.after)
    return stmt.order_by(Contact.id)


def _kept(kept: shapes.Shapes, ws: int, w: Wanted) -> tuple[Any, dict[str, Any] | None]:
    shape, values = shapes.split(w, ("uuid", "name", "after"))

    def build(v: Mapping[str, Any]) -> Any:
        return _build(v["ws"], Wanted(v.get("uuid"), v.get("name"), v.get("after"), w.active))

    return kept.statement(shape, build, {**values, "ws": ws})


async def _contacts(backend: Backend, tenant: Tenant) -> list[Contact]:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    made = [
        Contact(
            uuid=f"00000000-0000-4000-8000-00000000000{i}",
            workspace_id=tenant.workspace.id,
            name=name,
            status="active",
            is_active=i != 3,
            created_on=now + timedelta(days=i),
            modified_on=now,
        )
        for i, name in enumerate(["Ann", "Bob", "bob", "Cy"])
    ]
    async with backend.sessionmaker() as session:
        session.add_all(made)
        await session.commit()
    return made


async def test_a_kept_shape_reads_what_its_call_would(backend: Backend, tenant: Tenant) -> None:
    made = await _contacts(backend, tenant)
    kept = shapes.Shapes()
    ws = tenant.workspace.id
    calls = [
        Wanted(),
        Wanted(active=False),
        *(Wanted(uuid=c.uuid) for c in made),
        Wanted(uuid="nobody"),
        *(Wanted(after=c.created_on) for c in made),
        Wanted(uuid=made[2].uuid, after=made[1].created_on),
        Wanted(name="BOB"),
        Wanted(name="ann"),
    ]
    sizes = []
    async with backend.sessionmaker() as session:
        for wanted in calls:
            stmt, values = _kept(kept, ws, wanted)
            expected = [tuple(r) for r in (await plain.rows(session, _build(ws, wanted))).all()]
            assert [tuple(r) for r in (await plain.rows(session, stmt, values)).all()] == expected, wanted
            sizes.append(len(expected))
            if wanted.name is not None:
                assert values is None  # lower-cased: built per call, with the call's own value
            else:
                assert values is not None and _kept(kept, ws, wanted)[0] is stmt  # one statement per shape
        # all, the deleted one, each active one by UUID (the deleted one is not active), nobody, from each
        # creation time on, one by UUID and time, the two Bobs, Ann
        assert sizes == [3, 1, 1, 1, 1, 0, 0, 3, 2, 1, 0, 1, 2, 1]
        # another workspace's id bound into the same statement reads none of these
        stmt, values = _kept(kept, ws + 1000, Wanted())
        assert values == {"ws": ws + 1000} and stmt is _kept(kept, ws, Wanted())[0]
        assert (await plain.rows(session, stmt, values)).all() == []


def test_what_a_builder_does_to_a_value_is_never_kept() -> None:
    kept = shapes.Shapes()

    def made_with(change: Any) -> dict[str, Any] | None:
        def build(v: Mapping[str, Any]) -> Any:
            return select(Contact.id).where(Contact.workspace_id == v["ws"], Contact.name == change(v["name"]))

        return kept.statement(("made", change), build, {"ws": 1, "name": "Ann"})[1]

    assert made_with(lambda s: s) == {"ws": 1, "name": "Ann"}
    for change in (str.lower, str.upper, str.strip, lambda s: s[:36], lambda s: f"%{s}%", lambda s: s.replace(" ", "")):
        assert made_with(change) is None, change

    def refuses(v: Mapping[str, Any]) -> Any:
        raise ValueError("not a UUID")

    with pytest.raises(ValueError):  # a shape whose builder refuses a stand-in runs it with the call's values
        kept.statement("refuses", refuses, {"ws": 1})
    unused = kept.statement("unused", lambda v: select(Contact.id), {"ws": 1})
    assert unused[1] is None  # a value the statement never binds: not kept

    def cut_off(v: Mapping[str, Any]) -> Any:
        return select(Contact.id).where(Contact.workspace_id == v["ws"] + 1)

    assert kept.statement("arithmetic", cut_off, {"ws": 1})[1] is None
