"""Resthooks with the official RapidPro Python client (``rapidpro-python``) against the real server process:
every resthook call, unchanged. What the client hands back and what the database holds are both asserted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temba_client.exceptions import TembaBadRequestError
from temba_client.v2 import TembaClient
from temba_client.v2.types import Resthook as TembaResthook
from temba_client.v2.types import ResthookEvent as TembaResthookEvent
from temba_client.v2.types import ResthookSubscriber as TembaResthookSubscriber

from sauti.domain.resthooks import service as resthooks
from sauti.kit import clock
from sauti.models import ResthookEvent, ResthookSubscriber, Workspace
from tests.api.rapidpro.helpers import count, row
from tests.api.rapidpro.test_official_client import call
from tests.conftest import Backend, Tenant, make_tenant
from tests.support.server import Server, running_server

pytestmark = pytest.mark.usefixtures("app")
Db = async_sessionmaker[AsyncSession]


@pytest.fixture(scope="module")
def server(backend: Backend) -> Iterator[Server]:
    with running_server(backend.url) as srv:
        yield srv


@pytest.fixture
async def rw(app: Any, backend: Backend) -> Tenant:
    return await make_tenant(backend, "Nyaruka", "admin@nyaruka.com", country="RW", languages=["eng"])


@pytest.fixture
def temba(server: Server, rw: Tenant) -> TembaClient:
    return TembaClient(server.base_url, rw.token)


async def test_resthook_calls(temba: TembaClient, rw: Tenant, db: Db) -> None:
    async with db() as session:
        ws = await session.get(Workspace, rw.workspace.id)
        assert ws is not None
        (hook,) = await resthooks.ensure(session, ws, ["new-mother"])
        session.add(
            ResthookEvent(
                workspace_id=ws.id, resthook_id=hook.id, data={"contact": {"name": "Ann"}}, created_on=clock.now()
            )
        )
        await session.commit()

    (listed,) = (await call(temba.get_resthooks)).all()
    assert isinstance(listed, TembaResthook)
    assert listed.resthook == "new-mother" and listed.created_on is not None and listed.modified_on is not None

    made = await call(temba.create_resthook_subscriber, "new-mother", "https://foo.bar/mothers")
    assert isinstance(made, TembaResthookSubscriber)
    assert (made.resthook, made.target_url) == ("new-mother", "https://foo.bar/mothers")
    assert isinstance(made.id, int)
    stored = await row(db, ResthookSubscriber, ResthookSubscriber.id == made.id)
    assert (stored.is_active, stored.target_url) == (True, "https://foo.bar/mothers")

    with pytest.raises(TembaBadRequestError) as refused:
        await call(temba.create_resthook_subscriber, "spam", "https://foo.bar/")
    assert refused.value.errors == {"resthook": ["No resthook with slug: spam"]}

    subscribers = (await call(temba.get_resthook_subscribers)).all()
    assert [s.id for s in subscribers] == [made.id]
    assert [s.id for s in (await call(temba.get_resthook_subscribers, id=made.id)).all()] == [made.id]
    assert (await call(temba.get_resthook_subscribers, resthook="other")).all() == []

    (event,) = (await call(temba.get_resthook_events)).all()
    assert isinstance(event, TembaResthookEvent)
    assert (event.resthook, event.data) == ("new-mother", {"contact": {"name": "Ann"}})
    assert (await call(temba.get_resthook_events, resthook="new-mother")).first().resthook == "new-mother"

    await call(temba.delete_resthook_subscriber, made)
    assert (await row(db, ResthookSubscriber, ResthookSubscriber.id == made.id)).is_active is False
    assert (await call(temba.get_resthook_subscribers)).all() == []
    assert await count(db, ResthookSubscriber, ResthookSubscriber.is_active) == 0
