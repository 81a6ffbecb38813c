"""The caller's user and workspace, made from authentication's row of plain columns (``db/entities.py``): the
same values as the ORM loads, the workspace in the session as if loaded (``session.get`` runs no statement and
returns it), and a change to it flushed as any loaded object's, on both databases and on every kind of session."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, inspect, select

from sauti.db.inline import ReadSessions
from sauti.domain.contacts import service as contacts
from sauti.domain.workspaces import service
from sauti.kit import urns
from sauti.models import Contact, User, Workspace
from tests.conftest import Backend, make_tenant

AMA, OTHER = "tel:+250788000001", "tel:+250788000002"


def _values(obj: Any) -> dict[str, Any]:
    return {prop.key: getattr(obj, prop.key) for prop in inspect(type(obj)).column_attrs}


@pytest.fixture
async def tenant(app: Any, backend: Backend) -> Any:
    return await make_tenant(backend, "Entities", "e@example.com", country="RW", languages=["eng", "kin"])


def _sessions(app: Any, backend: Backend, kind: str) -> Any:
    """The sessions a GET takes (on a SQLite file, ReadSessions: on PostgreSQL, the same as a write's) or a write's."""
    if kind == "read":
        made = app.state.read_sessionmaker
        assert isinstance(made, ReadSessions) == (backend.name == "sqlite")
        return made
    return backend.sessionmaker


@pytest.mark.parametrize("kind", ["read", "write"])
async def test_the_callers_objects_are_what_the_orm_loads(app: Any, backend: Backend, tenant: Any, kind: str) -> None:
    async with _sessions(app, backend, kind)() as session:
        caller = await service.authenticate(session, tenant.token)
        assert caller is not None and caller.role == "administrator" and caller.token_id is not None
        made_user, made_ws = _values(caller.user), _values(caller.workspace)
    async with backend.sessionmaker() as session:
        loaded_ws = (
            await session.execute(select(Workspace).where(Workspace.uuid == tenant.workspace.uuid))
        ).scalar_one()
        loaded_user = (await session.execute(select(User).where(User.email == "e@example.com"))).scalar_one()
        assert made_ws == _values(loaded_ws) and made_user == _values(loaded_user)
    assert made_ws["languages"] == ["eng", "kin"] and made_ws["created_on"].tzinfo is not None


@pytest.mark.parametrize("kind", ["read", "write"])
async def test_the_workspace_is_in_the_session_as_loaded(app: Any, backend: Backend, tenant: Any, kind: str) -> None:
    heard: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        heard.append(sql)

    engines = [*app.state.engines, *backend.engines]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        async with _sessions(app, backend, kind)() as session:
            caller = await service.authenticate(session, tenant.token)
            assert caller is not None and len(heard) == 1
            assert await session.get(Workspace, caller.workspace.id) is caller.workspace
            assert len(heard) == 1  # found in the session: no statement
            assert caller.workspace in session and not session.dirty
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


async def test_a_change_to_the_callers_workspace_is_written(app: Any, backend: Backend, tenant: Any) -> None:
    async with backend.sessionmaker() as session:
        caller = await service.authenticate(session, tenant.token)
        assert caller is not None
        caller.workspace.name = "Renamed"
        await session.commit()
    async with backend.sessionmaker() as session:
        stored = (await session.execute(select(Workspace.name).where(Workspace.id == tenant.workspace.id))).scalar()
    assert stored == "Renamed"


async def test_bad_credentials_find_no_caller(app: Any, backend: Backend, tenant: Any) -> None:
    async with backend.sessionmaker() as session:
        assert await service.authenticate(session, tenant.token + "x") is None
        assert await service.authenticate(session, tenant.token, email="E@example.com") is None  # exact email
        assert await service.authenticate(session, tenant.token, email="e@example.com") is not None


async def _ama(backend: Backend, tenant: Any) -> int:
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        row = await contacts.create(session, ws, contacts.ContactInput(name="Ama", urns=[AMA, OTHER]))
        await session.commit()
        return row.id


async def test_a_sender_the_session_holds_is_that_object_unchanged(backend: Backend, tenant: Any) -> None:
    """An inbound message's sender is read as plain columns (``entities.adopt``): a contact and URN rows the
    session holds are answered as an ORM select answers them, the held objects, their unflushed changes kept."""
    ama = await _ama(backend, tenant)
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        held = await session.get(Contact, ama)
        assert held is not None
        held.name = "Not yet written"
        contact, row, urn_rows = await contacts.sender(session, ws, urns.parse_normalized(AMA, "RW"))
        assert contact is held and contact.name == "Not yet written" and held in session.dirty
        assert row.identity == AMA and urn_rows is not None and [u.identity for u in urn_rows] == [AMA, OTHER]
        assert all(u in session for u in urn_rows) and not any(u in session.dirty for u in urn_rows)


async def test_an_expired_sender_is_filled_from_the_row(app: Any, backend: Backend, tenant: Any) -> None:
    """A held contact whose columns were expired (as a rollback leaves it) gets them from the sender's row: they
    are read with no further statement."""
    ama = await _ama(backend, tenant)
    heard: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        heard.append(sql)

    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        held = await session.get(Contact, ama)
        assert ws is not None and held is not None
        session.expire(held)
        engines = [*app.state.engines, *backend.engines]
        for engine in engines:
            event.listen(engine, "before_cursor_execute", record)
        try:
            contact, _row, _urns = await contacts.sender(session, ws, urns.parse_normalized(AMA, "RW"))
            assert contact is held and len(heard) == 1
            assert contact.name == "Ama" and contact.id == ama and len(heard) == 1  # filled: no load
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", record)
