"""Campaigns with the official RapidPro Python client (``rapidpro-python``) against the real server process:
every campaign and campaign-event call, unchanged. What the client hands back and what the database holds
afterwards are both asserted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temba_client.exceptions import TembaBadRequestError
from temba_client.v2 import TembaClient
from temba_client.v2.types import Campaign as TembaCampaign
from temba_client.v2.types import CampaignEvent as TembaCampaignEvent

from sauti.models import Campaign, CampaignEvent
from tests.api.rapidpro.helpers import row
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
    return await make_tenant(
        backend, "Nyaruka", "admin@nyaruka.com", country="RW", languages=["eng", "kin"], timezone="Africa/Kigali"
    )


@pytest.fixture
def temba(server: Server, rw: Tenant) -> TembaClient:
    return TembaClient(server.base_url, rw.token)


async def test_campaign_calls(temba: TembaClient, db: Db) -> None:
    reporters = await call(temba.create_group, "Reporters")
    others = await call(temba.create_group, "Others")
    await call(temba.create_field, "Registration", "datetime")

    campaign = await call(temba.create_campaign, "Reminders", reporters)
    assert isinstance(campaign, TembaCampaign)
    assert (campaign.name, campaign.archived, campaign.group.uuid) == ("Reminders", False, reporters.uuid)
    stored = await row(db, Campaign, Campaign.uuid == campaign.uuid)
    assert stored.name == "Reminders"

    listed = (await call(temba.get_campaigns)).all()
    assert [c.uuid for c in listed] == [campaign.uuid]
    assert (await call(temba.get_campaigns, uuid=campaign.uuid)).first().name == "Reminders"

    updated = await call(temba.update_campaign, campaign, "Reminders 2", others.uuid)
    assert (updated.name, updated.group.name) == ("Reminders 2", "Others")
    assert (await row(db, Campaign, Campaign.uuid == campaign.uuid)).name == "Reminders 2"

    event = await call(temba.create_campaign_event, campaign, "registration", 3, "days", 9, message="Welcome")
    assert isinstance(event, TembaCampaignEvent)
    assert (event.campaign.uuid, event.relative_to.key, event.offset, event.unit, event.delivery_hour) == (
        campaign.uuid,
        "registration",
        3,
        "days",
        9,
    )
    assert event.message == {"eng": "Welcome"} and event.flow is None
    stored_event = await row(db, CampaignEvent, CampaignEvent.uuid == event.uuid)
    assert (stored_event.unit, stored_event.offset, stored_event.status) == ("D", 3, "scheduling")

    # while the worker schedules it, the event cannot change (this server runs no worker)
    with pytest.raises(TembaBadRequestError) as refused:
        await call(temba.update_campaign_event, event, "registration", 1, "weeks", -1, message="Hi")
    assert refused.value.errors == {"non_field_errors": ["Cannot modify events which are currently being scheduled."]}
    async with db() as session:
        found = await session.get(CampaignEvent, stored_event.id)
        assert found is not None
        found.status = "ready"
        await session.commit()
    # the client leaves out campaign on update: the event's own campaign is kept
    changed = await call(temba.update_campaign_event, event, "registration", 1, "weeks", -1, message="Hi")
    assert (changed.unit, changed.offset, changed.delivery_hour, changed.message) == ("weeks", 1, -1, {"eng": "Hi"})
    stored_event = await row(db, CampaignEvent, CampaignEvent.uuid == event.uuid)
    assert (stored_event.unit, stored_event.fire_version, stored_event.status) == ("W", 2, "scheduling")

    events = (await call(temba.get_campaign_events, campaign=campaign)).all()
    assert [e.uuid for e in events] == [event.uuid]
    assert (await call(temba.get_campaign_events, uuid=event.uuid)).first().message == {"eng": "Hi"}

    await call(temba.delete_campaign_event, event)
    assert (await row(db, CampaignEvent, CampaignEvent.uuid == event.uuid)).is_active is False
    assert (await call(temba.get_campaign_events)).all() == []
