"""campaigns.json and campaign_events.json: every field, filter and error of the reference, and the fires they
lead to (scheduled by the worker, carried out when the injected clock reaches them), on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.kit import clock
from sauti.models import Broadcast, Campaign, CampaignEvent, CampaignFire, Contact, Message
from tests.api.rapidpro.helpers import count, create_contact, create_field, create_group, row
from tests.conftest import Backend, Tenant, add_channel

pytestmark = pytest.mark.usefixtures("app")
CAMPAIGNS = "/api/v2/campaigns.json"
EVENTS = "/api/v2/campaign_events.json"
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # 10:00 in Kigali, the tenant's timezone


class Clock:
    def __init__(self) -> None:
        self.now = START

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def frozen() -> Iterator[Clock]:
    c = Clock()
    clock.set_clock(lambda: c.now)
    yield c
    clock.set_clock(None)


@pytest.fixture
async def channel(backend: Backend, tenant: Tenant) -> Any:
    return await add_channel(backend, tenant)


async def _setup(client: httpx.AsyncClient) -> dict[str, Any]:
    await create_field(client, "Registration", "datetime")
    await create_field(client, "Age", "number")
    group = await create_group(client, "Mothers")
    resp = await client.post(CAMPAIGNS, json={"name": "Reminders", "group": group["uuid"]})
    assert resp.status_code == 201, resp.text
    return {"group": group, "campaign": resp.json()}


async def _fires(db: Any, *conds: Any) -> list[tuple[str, str, datetime]]:
    """(contact name, status, fire time) of the fires, in time order."""
    async with db() as session:
        rows = await session.execute(
            select(Contact.name, CampaignFire.status, CampaignFire.fire_on)
            .join(Contact, Contact.id == CampaignFire.contact_id)
            .where(*conds)
            .order_by(CampaignFire.fire_on, Contact.name)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


# campaigns.json


async def test_campaign_create_list_update(client: httpx.AsyncClient, db: Any, frozen: Clock) -> None:
    reporters = await create_group(client, "Reporters")
    resp = await client.post(CAMPAIGNS, json={"name": "Reminders #3", "group": "reporters"})  # by name, any case
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created == {
        "uuid": created["uuid"],
        "name": "Reminders #3",
        "archived": False,
        "group": {"uuid": reporters["uuid"], "name": "Reporters"},
        "created_on": "2026-03-01T08:00:00.000000Z",
    }
    stored = await row(db, Campaign, Campaign.uuid == created["uuid"])
    assert (stored.name, stored.is_archived, stored.is_active) == ("Reminders #3", False, True)

    frozen.move(seconds=1)
    other = await create_group(client, "Others")
    resp = await client.post(CAMPAIGNS, json={"name": "Second", "group": other["uuid"]})
    second = resp.json()
    listing = (await client.get(CAMPAIGNS)).json()
    assert [c["name"] for c in listing["results"]] == ["Second", "Reminders #3"]  # newest first
    assert (await client.get(CAMPAIGNS, params={"uuid": created["uuid"]})).json()["results"] == [created]

    resp = await client.post(f"{CAMPAIGNS}?uuid={created['uuid']}", json={"name": "Renamed", "group": other["name"]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["name"] == "Renamed" and resp.json()["group"]["uuid"] == other["uuid"]
    stored = await row(db, Campaign, Campaign.uuid == created["uuid"])
    assert stored.name == "Renamed"
    # renaming to its own name (another case) is fine; another campaign's name is not
    resp = await client.post(f"{CAMPAIGNS}?uuid={created['uuid']}", json={"name": "RENAMED", "group": other["name"]})
    assert resp.status_code == 200
    resp = await client.post(f"{CAMPAIGNS}?uuid={second['uuid']}", json={"name": "renamed", "group": other["name"]})
    assert resp.status_code == 400 and resp.json() == {"name": ["This field must be unique."]}


async def test_campaign_errors(client: httpx.AsyncClient, db: Any) -> None:
    group = await create_group(client, "Reporters")
    cases = [
        ({}, 400, {"name": ["This field is required."], "group": ["This field is required."]}),
        (
            {"name": "x" * 65, "group": group["uuid"]},
            400,
            {"name": ["Ensure this field has no more than 64 characters."]},
        ),
        ({"name": 'Say "hi"', "group": group["uuid"]}, 400, {"name": ['Cannot contain the character: "']}),
        ({"name": " padded", "group": group["uuid"]}, 400, {"name": ["Cannot begin or end with whitespace."]}),
        ({"name": "Fine", "group": "Nobody"}, 400, {"group": ["No such object: Nobody"]}),
        ({"name": "Fine", "group": ["x"]}, 400, {"group": ["Not a valid string."]}),
    ]
    for payload, status, errors in cases:
        resp = await client.post(CAMPAIGNS, json=payload)
        assert (resp.status_code, resp.json()) == (status, errors), payload
    assert await count(db, Campaign) == 0
    resp = await client.post(CAMPAIGNS, json={"name": "Reminders", "group": group["uuid"]})
    assert resp.status_code == 201
    resp = await client.post(CAMPAIGNS, json={"name": "REMINDERS", "group": group["uuid"]})
    assert resp.json() == {"name": ["This field must be unique."]}
    missing = "f14e4ff0-724d-43fe-a953-1d16aefd1c00"
    resp = await client.post(f"{CAMPAIGNS}?uuid={missing}", json={"name": "X", "group": group["uuid"]})
    assert (resp.status_code, resp.json()) == (404, {"detail": "Not found."})
    resp = await client.get(CAMPAIGNS, params={"uuid": "xyz"})
    assert (resp.status_code, resp.json()) == (400, {"detail": "Param 'uuid': xyz is not a valid UUID."})
    assert (await client.delete(CAMPAIGNS)).status_code == 405
    assert await count(db, Campaign) == 1


async def test_archived_campaigns_are_hidden_and_refused(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> None:
    from sauti.domain.campaigns import service
    from sauti.models import Workspace

    made = await _setup(client)
    uuid = made["campaign"]["uuid"]
    resp = await client.post(
        EVENTS,
        json={
            "campaign": uuid,
            "relative_to": "registration",
            "offset": 1,
            "unit": "days",
            "delivery_hour": -1,
            "message": "Hi",
        },
    )
    event = resp.json()
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        await service.archive_campaign(session, ws, uuid)
        await session.commit()
    assert (await client.get(CAMPAIGNS)).json()["results"] == []
    resp = await client.post(f"{CAMPAIGNS}?uuid={uuid}", json={"name": "X", "group": made["group"]["uuid"]})
    assert resp.status_code == 404
    body = {"relative_to": "registration", "offset": 1, "unit": "days", "delivery_hour": -1, "message": "Hi"}
    resp = await client.post(EVENTS, json={**body, "campaign": uuid})
    assert resp.json() == {"campaign": [f"No such object: {uuid}"]}
    async with db() as session:  # scheduling is over, so the refusal is about the campaign
        await session.execute(
            CampaignEvent.__table__.update().values(status="ready")  # type: ignore[attr-defined]
        )
        await session.commit()
    resp = await client.post(f"{EVENTS}?uuid={event['uuid']}", json={**body, "campaign": uuid})
    assert (resp.status_code, resp.json()) == (400, {"campaign": [f"No such object: {uuid}"]})
    resp = await client.post(f"{EVENTS}?uuid={event['uuid']}", json=body)  # its own campaign, archived
    assert (resp.status_code, resp.json()) == (400, {"campaign": [f"No such object: {uuid}"]})
    # still listed (the reference: events of archived campaigns are not filtered out)
    assert [e["uuid"] for e in (await client.get(EVENTS)).json()["results"]] == [event["uuid"]]


# campaign_events.json


async def test_event_errors(client: httpx.AsyncClient, db: Any) -> None:
    made = await _setup(client)
    k1 = made["campaign"]["uuid"]
    base = {"campaign": k1, "relative_to": "registration", "offset": 15, "unit": "weeks", "delivery_hour": -1}
    cases = [
        (
            {},
            {
                "campaign": ["This field is required."],
                "relative_to": ["This field is required."],
                "offset": ["This field is required."],
                "unit": ["This field is required."],
                "delivery_hour": ["This field is required."],
            },
        ),
        (
            {**base, "unit": "epocs", "delivery_hour": 25, "message": {"kin": "Muraho"}},
            {
                "unit": ['"epocs" is not a valid choice.'],
                "delivery_hour": ["Ensure this value is less than or equal to 23."],
                "message": ["Message text in default flow language is required."],
            },
        ),
        (
            {**base, "delivery_hour": -2, "message": "Hi"},
            {"delivery_hour": ["Ensure this value is greater than or equal to -1."]},
        ),
        (base, {"non_field_errors": ["Flow or a message text required."]}),
        (
            {**base, "message": "Hi", "flow": "5f05311e-8f81-4a67-a5b5-1501b6d6496a"},
            {"non_field_errors": ["Flow or a message text required."]},
        ),
        ({**base, "message": ""}, {"message": {"eng": ["This field may not be blank."]}}),
        (
            {**base, "message": {"eng": "Hi", "xyz": "?"}},
            {"message": {"xyz": ["Not an allowed ISO 639-3 language code."]}},
        ),
        (
            {**base, "message": "x" * 4097},
            {"message": {"eng": ["Ensure this field has no more than 4096 characters."]}},
        ),
        ({**base, "message": 5}, {"message": ["Must be a string or an object of language codes to texts."]}),
        ({**base, "offset": "soon", "message": "Hi"}, {"offset": ["A valid integer is required."]}),
        ({**base, "relative_to": "nope", "message": "Hi"}, {"relative_to": ["No such object: nope"]}),
        (
            {**base, "relative_to": "age", "message": "Hi"},
            {"relative_to": ["Contact field must be a datetime field: age"]},
        ),
        (
            {**base, "campaign": "f14e4ff0-724d-43fe-a953-1d16aefd1c00", "message": "Hi"},
            {"campaign": ["No such object: f14e4ff0-724d-43fe-a953-1d16aefd1c00"]},
        ),
        (
            {**base, "flow": "5f05311e-8f81-4a67-a5b5-1501b6d6496a"},
            {"flow": ["No such object: 5f05311e-8f81-4a67-a5b5-1501b6d6496a"]},
        ),
    ]
    for payload, errors in cases:
        resp = await client.post(EVENTS, json=payload)
        assert (resp.status_code, resp.json()) == (400, errors), payload
    assert await count(db, CampaignEvent) == 0
    resp = await client.post(f"{EVENTS}?uuid=1234", json=base)
    assert (resp.status_code, resp.json()) == (400, {"detail": "Param 'uuid': 1234 is not a valid UUID."})
    resp = await client.post(f"{EVENTS}?uuid=5f05311e-8f81-4a67-a5b5-1501b6d6496a", json=base)
    assert (resp.status_code, resp.json()) == (404, {"detail": "Not found."})
    resp = await client.delete(EVENTS)
    assert resp.json() == {"detail": "URL must contain one of the following parameters: uuid"}
    resp = await client.delete(f"{EVENTS}?uuid=1234")
    assert resp.json() == {"detail": "Param 'uuid': 1234 is not a valid UUID."}
    resp = await client.delete(f"{EVENTS}?uuid=5f05311e-8f81-4a67-a5b5-1501b6d6496a")
    assert resp.status_code == 404


async def test_event_create_list_update_delete(client: httpx.AsyncClient, db: Any, worker: Any, frozen: Clock) -> None:
    made = await _setup(client)
    k1 = made["campaign"]
    resp = await client.post(
        EVENTS,
        json={
            "campaign": k1["uuid"],
            "relative_to": "registration",
            "offset": 15,
            "unit": "weeks",
            "delivery_hour": -1,
            "message": "You are @fields.age",
        },
    )
    assert resp.status_code == 201, resp.text
    event = resp.json()
    assert event == {
        "uuid": event["uuid"],
        "campaign": {"uuid": k1["uuid"], "name": "Reminders"},
        "relative_to": {"key": "registration", "name": "Registration", "label": "Registration"},
        "offset": 15,
        "unit": "weeks",
        "delivery_hour": -1,
        "flow": None,
        "message": {"eng": "You are @fields.age"},
        "created_on": "2026-03-01T08:00:00.000000Z",
    }
    stored = await row(db, CampaignEvent, CampaignEvent.uuid == event["uuid"])
    assert (stored.unit, stored.translations, stored.base_language) == (
        "W",
        {"eng": {"text": "You are @fields.age"}},
        "eng",
    )
    assert (stored.status, stored.fire_version, stored.event_type, stored.start_mode) == ("scheduling", 1, "M", "I")

    body = {
        "relative_to": "registration",
        "offset": 2,
        "unit": "days",
        "delivery_hour": 9,
        "message": {"eng": "Hi", "kin": "Muraho"},
    }
    resp = await client.post(f"{EVENTS}?uuid={event['uuid']}", json=body)
    assert (resp.status_code, resp.json()) == (
        400,
        {"non_field_errors": ["Cannot modify events which are currently being scheduled."]},
    )
    await worker.drain()
    stored = await row(db, CampaignEvent, CampaignEvent.uuid == event["uuid"])
    assert stored.status == "ready"

    # another campaign in the body is refused; leaving campaign out (as the official client does) is fine
    other = (await client.post(CAMPAIGNS, json={"name": "Other", "group": made["group"]["uuid"]})).json()
    resp = await client.post(f"{EVENTS}?uuid={event['uuid']}", json={**body, "campaign": other["uuid"]})
    assert (resp.status_code, resp.json()) == (400, {"campaign": ["Cannot change campaign for existing events"]})
    resp = await client.post(f"{EVENTS}?uuid={event['uuid']}", json=body)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["unit"], resp.json()["delivery_hour"], resp.json()["message"]) == (
        "days",
        9,
        {"eng": "Hi", "kin": "Muraho"},
    )
    stored = await row(db, CampaignEvent, CampaignEvent.uuid == event["uuid"])
    assert (stored.status, stored.fire_version, stored.unit, stored.offset) == ("scheduling", 2, "D", 2)
    await worker.drain()
    # a change of content only keeps the schedule
    resp = await client.post(
        f"{EVENTS}?uuid={event['uuid']}", json={**body, "campaign": k1["uuid"], "message": "Changed"}
    )
    assert resp.status_code == 200 and resp.json()["message"] == {"eng": "Changed"}
    stored = await row(db, CampaignEvent, CampaignEvent.uuid == event["uuid"])
    assert (stored.status, stored.fire_version) == ("ready", 2)

    frozen.move(seconds=1)
    second = (
        await client.post(
            EVENTS,
            json={
                "campaign": other["uuid"],
                "relative_to": "created_on",
                "offset": -1,
                "unit": "hours",
                "delivery_hour": -1,
                "message": "Hey",
            },
        )
    ).json()
    listing = (await client.get(EVENTS)).json()["results"]
    assert [e["uuid"] for e in listing] == [second["uuid"], event["uuid"]]
    assert listing[0]["relative_to"] == {"key": "created_on", "name": "Created On", "label": "Created On"}
    assert [e["uuid"] for e in (await client.get(EVENTS, params={"campaign": "Other"})).json()["results"]] == [
        second["uuid"]
    ]
    assert [e["uuid"] for e in (await client.get(EVENTS, params={"campaign": k1["uuid"]})).json()["results"]] == [
        event["uuid"]
    ]
    assert (await client.get(EVENTS, params={"campaign": "other"})).json()["results"] == []  # names: exact case
    assert (await client.get(EVENTS, params={"campaign": "Nothing"})).json()["results"] == []
    assert [e["uuid"] for e in (await client.get(EVENTS, params={"uuid": second["uuid"]})).json()["results"]] == [
        second["uuid"]
    ]

    resp = await client.delete(f"{EVENTS}?uuid={event['uuid']}")
    assert (resp.status_code, resp.content) == (204, b"")
    stored = await row(db, CampaignEvent, CampaignEvent.uuid == event["uuid"])
    assert stored.is_active is False
    assert [e["uuid"] for e in (await client.get(EVENTS)).json()["results"]] == [second["uuid"]]
    assert (await client.delete(f"{EVENTS}?uuid={event['uuid']}")).status_code == 404


async def test_fires_follow_the_contacts(
    client: httpx.AsyncClient, db: Any, worker: Any, frozen: Clock, channel: Any
) -> None:
    """Create a campaign, see fires scheduled, move the clock and see messages queued in each contact's
    language; change a contact's date and see the fire move; take a contact out of the group and see it go."""
    made = await _setup(client)
    group = made["group"]["uuid"]
    ann = await create_contact(
        client,
        name="Ann",
        urns=["tel:+250788000001"],
        groups=[group],
        language="kin",
        fields={"registration": "2026-03-01T09:30:00+02:00"},
    )
    bob = await create_contact(
        client,
        name="Bob",
        urns=["tel:+250788000002"],
        groups=[group],
        fields={"registration": "2026-03-02T14:00:00+02:00"},
    )
    await create_contact(client, name="Cat", urns=["tel:+250788000003"], groups=[group])  # no date: no fire
    await create_contact(
        client, name="Dan", urns=["tel:+250788000004"], fields={"registration": "2026-03-01T09:30:00+02:00"}
    )  # not a member
    resp = await client.post(
        EVENTS,
        json={
            "campaign": made["campaign"]["uuid"],
            "relative_to": "registration",
            "offset": 1,
            "unit": "days",
            "delivery_hour": 9,
            "message": {"eng": "Hello", "kin": "Muraho"},
        },
    )
    assert resp.status_code == 201, resp.text
    assert await _fires(db) == []  # the request computes nothing
    await worker.drain()
    kigali_9 = lambda day: datetime(2026, 3, day, 7, 0, tzinfo=UTC)  # noqa: E731
    assert await _fires(db) == [("Ann", "pending", kigali_9(2)), ("Bob", "pending", kigali_9(3))]

    # Bob's date moves: his fire moves with it; Ann's stays
    resp = await client.post(
        f"/api/v2/contacts.json?uuid={bob['uuid']}", json={"fields": {"registration": "2026-03-05T08:00:00+02:00"}}
    )
    assert resp.status_code == 200
    assert await _fires(db, CampaignFire.status == "pending") == [
        ("Ann", "pending", kigali_9(2)),
        ("Bob", "pending", kigali_9(6)),
    ]
    # Cat gets a date now: a fire appears; a date in the past gives none
    cat = (await client.get("/api/v2/contacts.json", params={"urn": "tel:+250788000003"})).json()["results"][0]
    await client.post(
        f"/api/v2/contacts.json?uuid={cat['uuid']}", json={"fields": {"registration": "2026-02-01T08:00:00+02:00"}}
    )
    assert [f[0] for f in await _fires(db)] == ["Ann", "Bob"]
    # Dan joins the group: he is scheduled; Ann leaves it: her fire goes
    dan = (await client.get("/api/v2/contacts.json", params={"urn": "tel:+250788000004"})).json()["results"][0]
    resp = await client.post(
        "/api/v2/contact_actions.json", json={"contacts": [dan["uuid"]], "action": "add", "group": group}
    )
    assert resp.status_code == 204
    resp = await client.post(
        "/api/v2/contact_actions.json", json={"contacts": [ann["uuid"]], "action": "remove", "group": group}
    )
    assert resp.status_code == 204
    assert await _fires(db) == [("Dan", "pending", kigali_9(2)), ("Bob", "pending", kigali_9(6))]
    assert await count(db, Message) == 0

    # nothing is due yet; then the clock passes Dan's fire
    await worker.drain()
    assert await count(db, Message) == 0
    frozen.now = kigali_9(2)
    await worker.drain()
    assert await _fires(db) == [("Dan", "fired", kigali_9(2)), ("Bob", "pending", kigali_9(6))]
    async with db() as session:
        sent = (
            await session.execute(select(Message.text, Message.contact_id, Message.status, Message.broadcast_id))
        ).all()
        dan_id = (await session.execute(select(Contact.id).where(Contact.uuid == dan["uuid"]))).scalar_one()
    assert [(t, c) for t, c, _, _ in sent] == [("Hello", dan_id)]
    assert sent[0][3] is None and await count(db, Broadcast) == 0  # not a broadcast: the campaign's own message
    await worker.drain()  # fired once, never again
    assert await count(db, Message) == 1

    # Ann rejoins a minute later: her day-2 fire is in the past, so nothing; Bob, in Kinyarwanda, fires on day 6
    frozen.move(minutes=1)
    await client.post("/api/v2/contact_actions.json", json={"contacts": [ann["uuid"]], "action": "add", "group": group})
    await client.post(f"/api/v2/contacts.json?uuid={bob['uuid']}", json={"language": "kin"})
    assert [f[0] for f in await _fires(db, CampaignFire.status == "pending")] == ["Bob"]
    frozen.now = kigali_9(7)
    await worker.drain()
    async with db() as session:
        texts = sorted((await session.execute(select(Message.text))).scalars())
    assert texts == ["Hello", "Muraho"]


async def test_stale_fires_are_skipped_and_rescheduling(
    client: httpx.AsyncClient, db: Any, worker: Any, frozen: Clock, channel: Any, tenant: Tenant
) -> None:
    from sauti.domain.campaigns import service
    from sauti.models import Workspace

    made = await _setup(client)
    group, uuid = made["group"]["uuid"], made["campaign"]["uuid"]
    ann = await create_contact(
        client,
        name="Ann",
        urns=["tel:+250788000001"],
        groups=[group],
        fields={"registration": "2026-03-01T09:30:00+02:00"},
    )
    body = {
        "campaign": uuid,
        "relative_to": "registration",
        "offset": 60,
        "unit": "minutes",
        "delivery_hour": -1,
        "message": "Soon",
    }
    event = (await client.post(EVENTS, json=body)).json()
    await worker.drain()
    at = lambda h, m: datetime(2026, 3, 1, h, m, tzinfo=UTC)  # noqa: E731
    assert await _fires(db) == [("Ann", "pending", at(8, 30))]

    # archiving stops the fires: the due fire is skipped
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        await service.archive_campaign(session, ws, uuid)
        await session.commit()
    frozen.now = at(8, 30)
    await worker.drain()
    assert await _fires(db) == [("Ann", "skipped", at(8, 30))]
    assert await count(db, Message) == 0

    # restoring reschedules with a new version (what was missed meanwhile is not back-filled)
    resp = await client.post(
        f"/api/v2/contacts.json?uuid={ann['uuid']}", json={"fields": {"registration": "2026-03-01T11:00:00+02:00"}}
    )
    assert resp.status_code == 200
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        await service.restore_campaign(session, ws, uuid)
        await session.commit()
    stored = await row(db, CampaignEvent, CampaignEvent.uuid == event["uuid"])
    assert (stored.status, stored.fire_version) == ("scheduling", 2)
    await worker.drain()
    assert await _fires(db, CampaignFire.status == "pending") == [("Ann", "pending", at(10, 0))]

    # a new schedule drops the pending fire and writes the new version's
    resp = await client.post(f"{EVENTS}?uuid={event['uuid']}", json={**body, "offset": 40})
    assert resp.status_code == 200
    await worker.drain()
    assert await _fires(db, CampaignFire.status == "pending") == [("Ann", "pending", at(9, 40))]
    # a fire of an older version that is still there when due (written by a worker that raced the change) is stale
    async with db() as session:
        contact_id = (await session.execute(select(Contact.id).where(Contact.uuid == ann["uuid"]))).scalar_one()
        session.add(
            CampaignFire(
                workspace_id=tenant.workspace.id,
                event_id=stored.id,
                contact_id=contact_id,
                fire_version=2,
                fire_on=START,
                status="pending",
            )
        )
        await session.commit()
    frozen.now = at(9, 45)
    await worker.drain()
    assert [f[1:] for f in await _fires(db)] == [("skipped", START), ("skipped", at(8, 30)), ("fired", at(9, 40))]
    async with db() as session:
        assert list((await session.execute(select(Message.text))).scalars()) == ["Soon"]


async def test_fields_usages_and_refusals(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> None:
    from sauti.domain.errors import Invalid
    from sauti.domain.fields import service as fields
    from sauti.models import ContactField, ContactGroup, Workspace

    made = await _setup(client)
    body = {
        "campaign": made["campaign"]["uuid"],
        "relative_to": "registration",
        "offset": 1,
        "unit": "days",
        "delivery_hour": -1,
        "message": "Hi",
    }
    await client.post(EVENTS, json=body)
    await client.post(EVENTS, json=body)
    third = (await client.post(EVENTS, json=body)).json()
    listed = {f["key"]: f["usages"] for f in (await client.get("/api/v2/fields.json")).json()["results"]}
    assert listed["registration"] == {"flows": 0, "groups": 0, "campaign_events": 3}
    assert listed["age"]["campaign_events"] == 0
    # kept per process under the assets version: a deleted event is seen by the next listing
    assert (await client.delete(f"{EVENTS}?uuid={third['uuid']}")).status_code == 204
    listed = {f["key"]: f["usages"] for f in (await client.get("/api/v2/fields.json")).json()["results"]}
    assert listed["registration"] == {"flows": 0, "groups": 0, "campaign_events": 2}
    resp = await client.post("/api/v2/fields.json?key=registration", json={"name": "Registration", "type": "text"})
    assert (resp.status_code, resp.json()) == (
        400,
        {"type": ["Can't change type of date field being used by campaign events."]},
    )
    # nor is the campaign's group deleted while the campaign is live
    resp = await client.delete(f"/api/v2/groups.json?uuid={made['group']['uuid']}")
    assert (resp.status_code, resp.json()) == (
        400,
        {"detail": "Group is being used by campaigns which must be archived first."},
    )
    assert (await row(db, ContactGroup, ContactGroup.uuid == made["group"]["uuid"])).is_active is True
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        with pytest.raises(Invalid) as refused:
            await fields.delete_field(session, ws, "registration")
        assert refused.value.problems[0].code == "field_in_use"
        await fields.delete_field(session, ws, "age")  # unused: deleted
        await session.commit()
    assert (await row(db, ContactField, ContactField.key == "registration")).is_active is True
    assert (await row(db, ContactField, ContactField.key == "age")).is_active is False


async def test_flow_events_start_flows_in_their_mode(
    client: httpx.AsyncClient, db: Any, worker: Any, frozen: Clock, channel: Any, tenant: Tenant
) -> None:
    import json
    from pathlib import Path

    from sauti.domain.flows.definitions import save_flow
    from sauti.models import FlowSession, Workspace

    definition = json.loads((Path(__file__).parents[2] / "domain" / "flow_defs" / "registration.json").read_text())
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        flow = await save_flow(session, ws, definition)
        await session.commit()
    made = await _setup(client)
    group, uuid = made["group"]["uuid"], made["campaign"]["uuid"]
    for name, phone in (("Ann", "+250788000001"), ("Bob", "+250788000002")):
        await create_contact(
            client,
            name=name,
            urns=[f"tel:{phone}"],
            groups=[group],
            fields={"registration": "2026-03-01T10:30:00+02:00"},
        )
    body = {
        "campaign": uuid,
        "relative_to": "registration",
        "offset": 0,
        "unit": "minutes",
        "delivery_hour": -1,
        "flow": flow.uuid,
    }
    resp = await client.post(EVENTS, json=body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["flow"] == {"uuid": flow.uuid, "name": "Mini Registration"} and resp.json()["message"] is None
    first = await row(db, CampaignEvent, CampaignEvent.uuid == resp.json()["uuid"])
    assert (first.event_type, first.flow_id, first.translations, first.start_mode) == ("F", flow.id, None, "I")
    # a second event at the same time in skip mode, and a third later in interrupt mode
    second = (await client.post(EVENTS, json={**body, "offset": 1, "message": None})).json()  # null: no message
    assert (await client.post(EVENTS, json={**body, "offset": 2})).status_code == 201
    async with db() as session:
        await session.execute(
            CampaignEvent.__table__.update().where(CampaignEvent.uuid == second["uuid"]).values(start_mode="S")  # type: ignore[attr-defined]
        )
        await session.commit()
    await worker.drain()
    assert len(await _fires(db)) == 6

    async def sessions() -> list[tuple[str | None, str, str]]:
        async with db() as session:
            rows = await session.execute(
                select(Contact.name, FlowSession.status, FlowSession.state)
                .join(Contact, Contact.id == FlowSession.contact_id)
                .order_by(FlowSession.id)
            )
            return [(n, s, state["trigger"]["type"]) for n, s, state in rows]

    frozen.now = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    await worker.drain()
    assert await sessions() == [("Ann", "waiting", "campaign"), ("Bob", "waiting", "campaign")]
    async with db() as session:
        texts = list((await session.execute(select(Message.text).order_by(Message.id))).scalars())
    assert texts == ["Hi! What is your name?"] * 2
    frozen.now = datetime(2026, 3, 1, 8, 31, tzinfo=UTC)  # skip: both wait in a flow, so nothing starts
    await worker.drain()
    assert len(await sessions()) == 2
    assert [f[1] for f in await _fires(db)] == ["fired"] * 4 + ["pending"] * 2
    frozen.now = datetime(2026, 3, 1, 8, 32, tzinfo=UTC)  # interrupt: the waiting sessions end, new ones begin
    await worker.drain()
    assert await sessions() == [
        ("Ann", "interrupted", "campaign"),
        ("Bob", "interrupted", "campaign"),
        ("Ann", "waiting", "campaign"),
        ("Bob", "waiting", "campaign"),
    ]


async def test_an_inbound_message_moves_last_seen_fires(
    client: httpx.AsyncClient, db: Any, worker: Any, frozen: Clock, channel: Any
) -> None:
    made = await _setup(client)
    group = made["group"]["uuid"]
    await create_contact(client, name="Ann", urns=["tel:+250788000001"], groups=[group])
    # a message before the event exists: the workspace's plans on last_seen_on are read (none) and kept; the
    # event's creation must move the assets version, or Ann's message below would be planned with none
    warm = await client.post(f"/c/test/{channel.uuid}/receive", data={"from": "+250788000099", "text": "hi"})
    assert warm.status_code == 200, warm.text
    body = {
        "campaign": made["campaign"]["uuid"],
        "relative_to": "last_seen_on",
        "offset": 2,
        "unit": "days",
        "delivery_hour": -1,
        "message": "We miss you",
    }
    assert (await client.post(EVENTS, json=body)).status_code == 201
    await worker.drain()
    assert await _fires(db) == []  # never seen: no date
    frozen.move(minutes=5, seconds=30)
    resp = await client.post(f"/c/test/{channel.uuid}/receive", data={"from": "+250788000001", "text": "hello"})
    assert resp.status_code == 200, resp.text
    # seen at 08:05:30, rounded up to the minute, two days later
    assert await _fires(db) == [("Ann", "pending", datetime(2026, 3, 3, 8, 6, tzinfo=UTC))]
    frozen.move(days=1)
    await client.post(f"/c/test/{channel.uuid}/receive", data={"from": "+250788000001", "text": "again"})
    assert await _fires(db) == [("Ann", "pending", datetime(2026, 3, 4, 8, 6, tzinfo=UTC))]


async def _texts(db: Any) -> list[tuple[str | None, str]]:
    """(contact name, text) of the outgoing messages, in the order they were queued."""
    async with db() as session:
        rows = await session.execute(
            select(Contact.name, Message.text).join(Contact, Contact.id == Message.contact_id).order_by(Message.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_message_texts_are_evaluated_for_each_contact(
    client: httpx.AsyncClient, db: Any, worker: Any, frozen: Clock, channel: Any
) -> None:
    """A message event's text is an Excellent template evaluated for each recipient, in their language (else
    the base language); a failing expression writes nothing, as in a flow; a text without ``@`` goes as is."""
    made = await _setup(client)
    await create_field(client, "EDD", "text")
    group, uuid = made["group"]["uuid"], made["campaign"]["uuid"]
    for name, phone, edd, lang in (
        ("Ann Mutesi", "+250788000001", "May 4", None),
        ("Bob Kagame", "+250788000002", "June 9", "kin"),
        ("Cat Uwase", "+250788000003", "July 1", "fra"),  # no French text: the base language's
    ):
        await create_contact(
            client,
            name=name,
            urns=[f"tel:{phone}"],
            groups=[group],
            fields={"registration": "2026-03-01T10:30:00+02:00", "edd": edd},
            **({"language": lang} if lang else {}),
        )
    body = {"campaign": uuid, "relative_to": "registration", "offset": 0, "unit": "minutes", "delivery_hour": -1}
    message = {
        "eng": "Hi @contact.first_name, your date is @fields.edd",
        "kin": "Muraho @contact.first_name (@(upper(contact.name))), @fields.edd @trigger.campaign.name",
    }
    resp = await client.post(EVENTS, json={**body, "message": message})
    assert resp.status_code == 201, resp.text
    broken = 'Count @(1 / 0)! and @(fields.edd & "!") @contact.nope.'
    assert (await client.post(EVENTS, json={**body, "offset": 1, "message": broken})).status_code == 201
    assert (await client.post(EVENTS, json={**body, "offset": 2, "message": "Plain, 50% off"})).status_code == 201
    event = await row(db, CampaignEvent, CampaignEvent.uuid == resp.json()["uuid"])
    assert event.translations == {"eng": {"text": message["eng"]}, "kin": {"text": message["kin"]}}
    await worker.drain()
    frozen.now = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    await worker.drain()
    assert await _texts(db) == [
        ("Ann Mutesi", "Hi Ann, your date is May 4"),
        ("Bob Kagame", "Muraho Bob (BOB KAGAME), June 9 Reminders"),
        ("Cat Uwase", "Hi Cat, your date is July 1"),
    ]
    frozen.now = datetime(2026, 3, 1, 8, 32, tzinfo=UTC)
    await worker.drain()
    assert [t for _, t in (await _texts(db))[3:]] == [
        "Count ! and May 4! .",
        "Count ! and June 9! .",
        "Count ! and July 1! .",
        "Plain, 50% off",
        "Plain, 50% off",
        "Plain, 50% off",
    ]
    assert [f[1] for f in await _fires(db)] == ["fired"] * 9


async def test_evaluating_a_batch_takes_a_fixed_number_of_queries(
    client: httpx.AsyncClient, db: Any, worker: Any, channel: Any, tenant: Tenant
) -> None:
    """Evaluating the texts of a fire batch reads the recipients' URNs, groups and values together: the same
    number of statements for two contacts as for six."""
    from types import SimpleNamespace

    from sauti.domain.campaigns import fires
    from tests.support.queries import counted

    made = await _setup(client)
    group = made["group"]["uuid"]
    ids = []
    for n in range(6):
        contact = await create_contact(
            client, name=f"C{n}", urns=[f"tel:+25078800001{n}"], groups=[group], fields={"age": n}
        )
        ids.append((await row(db, Contact, Contact.uuid == contact["uuid"])).id)
    body = {
        "campaign": made["campaign"]["uuid"],
        "relative_to": "registration",
        "offset": 1,
        "unit": "days",
        "delivery_hour": -1,
    }
    resp = await client.post(EVENTS, json={**body, "message": "@contact.name is @fields.age in @contact.groups"})
    assert resp.status_code == 201, resp.text
    await worker.drain()

    async def statements(contact_ids: list[int]) -> int:
        async with db() as session:
            event = (await session.execute(select(CampaignEvent))).scalar_one()
            bind = getattr(session.bind, "sync_engine", session.bind)  # on SQLite the session's own engine
            async with counted(SimpleNamespace(state=SimpleNamespace(engines=[bind]))) as seen:
                assert await fires.send_message(session, event, contact_ids) == len(contact_ids)
            await session.rollback()
        return len(seen)

    assert await statements(ids[:2]) == await statements(ids)
    async with db() as session:
        event = (await session.execute(select(CampaignEvent))).scalar_one()
        await fires.send_message(session, event, ids[:2])
        await session.commit()
    assert await _texts(db) == [("C0", "C0 is 0 in [Mothers]"), ("C1", "C1 is 1 in [Mothers]")]


async def test_message_events_follow_their_start_mode(
    client: httpx.AsyncClient, db: Any, worker: Any, frozen: Clock, channel: Any, tenant: Tenant
) -> None:
    """E3: the start mode applies to message events too. Passive sends and leaves a waiting flow alone; skip
    leaves out the contacts waiting in a flow; interrupt (the default) ends their sessions and sends."""
    import json
    from pathlib import Path

    from sauti.domain.flows.definitions import save_flow
    from sauti.models import FlowSession, Workspace

    definition = json.loads((Path(__file__).parents[2] / "domain" / "flow_defs" / "registration.json").read_text())
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        flow = await save_flow(session, ws, definition)
        await session.commit()
    made = await _setup(client)
    group, uuid = made["group"]["uuid"], made["campaign"]["uuid"]
    people = {}
    for name, phone in (("Ann", "+250788000001"), ("Bob", "+250788000002"), ("Cat", "+250788000003")):
        people[name] = await create_contact(
            client,
            name=name,
            urns=[f"tel:{phone}"],
            groups=[group],
            fields={"registration": "2026-03-01T10:30:00+02:00"},
        )
    body = {"campaign": uuid, "relative_to": "registration", "unit": "minutes", "delivery_hour": -1}
    assert (await client.post(EVENTS, json={**body, "offset": 0, "flow": flow.uuid})).status_code == 201
    modes = {}
    for offset, mode in ((1, "P"), (2, "S"), (3, None)):
        resp = await client.post(EVENTS, json={**body, "offset": offset, "message": f"Note {offset}"})
        assert resp.status_code == 201, resp.text
        modes[offset] = resp.json()["uuid"]
        if mode is not None:
            async with db() as session:
                await session.execute(
                    CampaignEvent.__table__.update()
                    .where(CampaignEvent.uuid == resp.json()["uuid"])
                    .values(start_mode=mode)  # type: ignore[attr-defined]
                )
                await session.commit()
    assert (await row(db, CampaignEvent, CampaignEvent.uuid == modes[3])).start_mode == "I"  # the default
    await worker.drain()

    async def sessions() -> list[tuple[str | None, str]]:
        async with db() as session:
            rows = await session.execute(
                select(Contact.name, FlowSession.status)
                .join(Contact, Contact.id == FlowSession.contact_id)
                .order_by(FlowSession.id)
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]

    frozen.now = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)  # the flow starts for all three; Cat is interrupted
    await worker.drain()
    resp = await client.post(
        "/api/v2/contact_actions.json", json={"contacts": [people["Cat"]["uuid"]], "action": "interrupt"}
    )
    assert resp.status_code == 204, resp.text
    assert await sessions() == [("Ann", "waiting"), ("Bob", "waiting"), ("Cat", "interrupted")]
    asked = await _texts(db)

    frozen.now = datetime(2026, 3, 1, 8, 31, tzinfo=UTC)  # passive: everyone gets it, the sessions stay
    await worker.drain()
    assert (await _texts(db))[len(asked) :] == [("Ann", "Note 1"), ("Bob", "Note 1"), ("Cat", "Note 1")]
    assert await sessions() == [("Ann", "waiting"), ("Bob", "waiting"), ("Cat", "interrupted")]

    frozen.now = datetime(2026, 3, 1, 8, 32, tzinfo=UTC)  # skip: only Cat, who is in no flow
    await worker.drain()
    assert (await _texts(db))[len(asked) + 3 :] == [("Cat", "Note 2")]
    assert await sessions() == [("Ann", "waiting"), ("Bob", "waiting"), ("Cat", "interrupted")]

    frozen.now = datetime(2026, 3, 1, 8, 33, tzinfo=UTC)  # interrupt: the waiting sessions end, everyone gets it
    await worker.drain()
    assert (await _texts(db))[len(asked) + 4 :] == [("Ann", "Note 3"), ("Bob", "Note 3"), ("Cat", "Note 3")]
    assert await sessions() == [("Ann", "interrupted"), ("Bob", "interrupted"), ("Cat", "interrupted")]
    assert [f[1] for f in await _fires(db)] == ["fired"] * 12


async def test_docs_pages_and_openapi(anon_client: httpx.AsyncClient) -> None:
    for name, title in (
        ("campaigns", "List, Create or Update Campaigns"),
        ("campaign_events", "List, Create, Update or Delete Campaign Events"),
    ):
        page = await anon_client.get(f"/api/v2/{name}")
        assert page.status_code == 200 and title in page.text
    assert "delivery_hour" in (await anon_client.get("/api/v2/campaign_events")).text
    document = (await anon_client.get("/api/v2/openapi.json")).json()
    assert set(document["paths"]["/api/v2/campaigns.json"]) == {"get", "post"}
    assert set(document["paths"]["/api/v2/campaign_events.json"]) == {"get", "post", "delete"}
    assert (await anon_client.get(CAMPAIGNS)).status_code == 403


async def test_definitions_export_and_sauti_import(
    client: httpx.AsyncClient, db: Any, tenant: Tenant, other: Tenant, backend: Backend, tmp_path: Any
) -> None:
    import json
    from pathlib import Path

    from sauti.domain.flows.definitions import save_flow
    from sauti.models import Workspace
    from tests.test_cli import sauti

    definition = json.loads((Path(__file__).parents[2] / "domain" / "flow_defs" / "registration.json").read_text())
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        flow = await save_flow(session, ws, definition)
        await session.commit()
    made = await _setup(client)
    uuid = made["campaign"]["uuid"]
    body = {"campaign": uuid, "relative_to": "registration", "offset": 2, "unit": "hours", "delivery_hour": -1}
    message = (await client.post(EVENTS, json={**body, "message": {"eng": "Hi", "kin": "Muraho"}})).json()
    started = (await client.post(EVENTS, json={**body, "flow": flow.uuid})).json()

    resp = await client.get("/api/v2/definitions.json", params={"campaign": uuid, "dependencies": "none"})
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["flows"] == [] and doc["fields"] == [] and doc["groups"] == []
    [item] = doc["campaigns"]
    assert (item["uuid"], item["name"], item["group"]) == (
        uuid,
        "Reminders",
        {"uuid": made["group"]["uuid"], "name": "Mothers"},
    )
    assert [(e["uuid"], e["event_type"], e["unit"], e["start_mode"]) for e in item["events"]] == [
        (message["uuid"], "M", "H", "I"),
        (started["uuid"], "F", "H", "I"),
    ]
    assert item["events"][0]["message"] == {"eng": "Hi", "kin": "Muraho"}
    assert item["events"][1]["flow"] == {"uuid": flow.uuid, "name": "Mini Registration"}
    # with every dependency: the flow the campaign starts, its field and group come along
    doc = (await client.get("/api/v2/definitions.json", params={"campaign": uuid})).json()
    assert [f["uuid"] for f in doc["flows"]] == [flow.uuid]
    assert "registration" in [f["key"] for f in doc["fields"]]
    assert "Mothers" in [g["name"] for g in doc["groups"]]
    # exporting the flow brings the campaigns that start it
    doc_by_flow = (await client.get("/api/v2/definitions.json", params={"flow": flow.uuid})).json()
    assert [c["uuid"] for c in doc_by_flow["campaigns"]] == [uuid]

    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    done = sauti(backend, tmp_path, "import", str(path), "--workspace", "Other Org")
    assert done.returncode == 0, done.stderr
    assert "imported 1 campaigns" in done.stdout
    async with db() as session:
        rows = await session.execute(
            select(Campaign.name, CampaignEvent.event_type, CampaignEvent.unit, CampaignEvent.status)
            .join(CampaignEvent, CampaignEvent.campaign_id == Campaign.id)
            .where(Campaign.workspace_id == other.workspace.id)
            .order_by(CampaignEvent.id)
        )
        assert [tuple(r) for r in rows] == [
            ("Reminders", "M", "H", "scheduling"),
            ("Reminders", "F", "H", "scheduling"),
        ]
    again = sauti(backend, tmp_path, "import", str(path), "--workspace", "Other Org")  # in place, not twice
    assert again.returncode == 0, again.stderr
    assert await count(db, Campaign, Campaign.workspace_id == other.workspace.id) == 1
    assert (
        await count(db, CampaignEvent, CampaignEvent.workspace_id == other.workspace.id, CampaignEvent.is_active) == 2
    )


async def test_cli_lists_archives_and_restores(
    client: httpx.AsyncClient, db: Any, backend: Backend, tmp_path: Any, worker: Any
) -> None:
    from tests.test_cli import sauti

    made = await _setup(client)
    uuid = made["campaign"]["uuid"]
    body = {"campaign": uuid, "relative_to": "registration", "offset": 1, "unit": "days", "delivery_hour": 9}
    event = (await client.post(EVENTS, json={**body, "message": "Hi"})).json()
    await worker.drain()
    listed = sauti(backend, tmp_path, "campaign", "list", "--workspace", "Nyaruka")
    assert listed.returncode == 0, listed.stderr
    assert uuid in listed.stdout and "Reminders" in listed.stdout and "Mothers" in listed.stdout

    done = sauti(backend, tmp_path, "campaign", "archive", uuid, "--workspace", "Nyaruka")
    assert (done.returncode, done.stdout.strip()) == (0, f"campaign {uuid} archived")
    assert (await row(db, Campaign, Campaign.uuid == uuid)).is_archived is True
    assert uuid not in sauti(backend, tmp_path, "campaign", "list", "--workspace", "Nyaruka").stdout
    assert uuid in sauti(backend, tmp_path, "campaign", "list", "--workspace", "Nyaruka", "--archived").stdout
    assert (await client.get(CAMPAIGNS)).json()["results"] == []

    done = sauti(backend, tmp_path, "campaign", "restore", uuid, "--workspace", "Nyaruka")
    assert (done.returncode, done.stdout.strip()) == (0, f"campaign {uuid} restored")
    stored = await row(db, CampaignEvent, CampaignEvent.uuid == event["uuid"])
    assert (stored.status, stored.fire_version) == ("scheduling", 2)
    assert [c["uuid"] for c in (await client.get(CAMPAIGNS)).json()["results"]] == [uuid]
    again = sauti(backend, tmp_path, "campaign", "restore", uuid, "--workspace", "Nyaruka")
    assert again.returncode != 0 and uuid in again.stderr + again.stdout  # not archived: nothing to restore
