"""resthooks.json, resthook_subscribers.json and resthook_events.json: what they list, in which order, every
filter and every error, and what each write changed in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from sauti.domain.resthooks import service as resthooks
from sauti.kit import clock
from sauti.models import Membership, Resthook, ResthookEvent, ResthookSubscriber, Workspace
from tests.api.rapidpro.helpers import all_pages, count, row
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("app")
HOOKS = "/api/v2/resthooks.json"
SUBS = "/api/v2/resthook_subscribers.json"
EVENTS = "/api/v2/resthook_events.json"
T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
DAY = "2026-05-04"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def frozen() -> Iterator[Clock]:
    c = Clock()
    clock.set_clock(c)
    yield c
    clock.set_clock(None)


async def make_hooks(db: Any, tenant: Tenant | int, *slugs: str) -> list[Resthook]:
    ws_id = tenant if isinstance(tenant, int) else tenant.workspace.id
    async with db() as session:
        ws = await session.get(Workspace, ws_id)
        assert ws is not None
        made = await resthooks.ensure(session, ws, slugs)
        await session.commit()
        return made


async def add_event(db: Any, hook: Resthook, data: dict[str, Any]) -> None:
    async with db() as session:
        session.add(
            ResthookEvent(workspace_id=hook.workspace_id, resthook_id=hook.id, data=data, created_on=clock.now())
        )
        await session.commit()


async def test_resthooks_list_active_ones_most_recently_modified_first(
    client: httpx.AsyncClient, tenant: Tenant, other: Tenant, db: Any, frozen: Clock
) -> None:
    await make_hooks(db, tenant, "new-mother")
    frozen.move(minutes=1)
    await make_hooks(db, tenant, "  New-Father ")  # trimmed and lower-cased
    frozen.move(minutes=1)
    await make_hooks(db, tenant, "gone")
    await make_hooks(db, other, "not-yours")
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        await resthooks.remove(session, ws, "gone")
        await session.commit()
    resp = await client.get(HOOKS)
    assert resp.status_code == 200
    assert resp.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "resthook": "new-father",
                "modified_on": f"{DAY}T12:01:00.000000Z",
                "created_on": f"{DAY}T12:01:00.000000Z",
            },
            {
                "resthook": "new-mother",
                "modified_on": f"{DAY}T12:00:00.000000Z",
                "created_on": f"{DAY}T12:00:00.000000Z",
            },
        ],
    }
    # subscribing bumps modified_on: new-mother comes first
    frozen.move(minutes=5)
    resp = await client.post(SUBS, json={"resthook": "new-mother", "target_url": "https://example.com/m"})
    assert resp.status_code == 201
    listed = [(h["resthook"], h["modified_on"]) for h in (await client.get(HOOKS)).json()["results"]]
    assert listed == [("new-mother", "2026-05-04T12:07:00.000000Z"), ("new-father", "2026-05-04T12:01:00.000000Z")]
    reverse = [h["resthook"] for h in (await client.get(HOOKS, params={"reverse": "true"})).json()["results"]]
    assert reverse == ["new-father", "new-mother"]
    assert (await row(db, Resthook, Resthook.slug == "new-mother")).modified_on == T0 + timedelta(minutes=7)


async def test_resthooks_paginate_by_cursor(app: Any, client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    await make_hooks(db, tenant, *(f"hook-{i}" for i in range(5)))
    app.state.settings.page_size = 2
    try:
        pages = await all_pages(client, HOOKS)
    finally:
        app.state.settings.page_size = 250
    assert sorted(h["resthook"] for h in pages) == [f"hook-{i}" for i in range(5)]


async def test_subscribe_lists_and_changes_the_database(
    client: httpx.AsyncClient, tenant: Tenant, db: Any, frozen: Clock
) -> None:
    await make_hooks(db, tenant, "new-mother", "new-father")
    resp = await client.post(SUBS, json={"resthook": "new-mother", "target_url": "https://foo.bar/mothers"})
    assert resp.status_code == 201, resp.text
    first = resp.json()
    assert first == {
        "id": first["id"],
        "resthook": "new-mother",
        "target_url": "https://foo.bar/mothers",
        "created_on": "2026-05-04T12:00:00.000000Z",
    }
    assert isinstance(first["id"], int)
    stored = await row(db, ResthookSubscriber, ResthookSubscriber.id == first["id"])
    assert (stored.target_url, stored.is_active, stored.workspace_id) == (
        "https://foo.bar/mothers",
        True,
        tenant.workspace.id,
    )
    frozen.move(seconds=1)
    second = (await client.post(SUBS, json={"resthook": "NEW-FATHER", "target_url": "https://foo.bar/fathers"})).json()
    assert second["resthook"] == "new-father"
    listed = (await client.get(SUBS)).json()["results"]
    assert [s["id"] for s in listed] == [second["id"], first["id"]]  # newest first
    by_hook = (await client.get(SUBS, params={"resthook": "new-mother"})).json()["results"]
    assert [s["id"] for s in by_hook] == [first["id"]]
    by_id = (await client.get(SUBS, params={"id": str(second["id"])})).json()["results"]
    assert [s["target_url"] for s in by_id] == ["https://foo.bar/fathers"]
    assert (await client.get(SUBS, params={"resthook": "nothing"})).json()["results"] == []


async def test_subscribe_errors_change_nothing(
    client: httpx.AsyncClient, tenant: Tenant, other: Tenant, db: Any
) -> None:
    await make_hooks(db, tenant, "new-mother")
    await make_hooks(db, other, "spam")
    cases: list[tuple[Any, dict[str, Any]]] = [
        ({}, {"resthook": ["This field is required."], "target_url": ["This field is required."]}),
        ({"resthook": "spam", "target_url": "https://foo.bar/"}, {"resthook": ["No resthook with slug: spam"]}),
        ({"resthook": "new-mother", "target_url": "not a url"}, {"target_url": ["Enter a valid URL."]}),
        ({"resthook": "new-mother", "target_url": "ftp://foo.bar/x"}, {"target_url": ["Enter a valid URL."]}),
        ({"resthook": 5, "target_url": "https://foo.bar/"}, {"resthook": ["No resthook with slug: 5"]}),
        (
            {"resthook": "new-mother", "target_url": "https://foo.bar/" + "x" * 2048},
            {"target_url": ["Ensure this field has no more than 2048 characters."]},
        ),
        ([1], {"non_field_errors": ["Request body should be a single JSON object"]}),
    ]
    for body, error in cases:
        resp = await client.post(SUBS, json=body)
        assert (resp.status_code, resp.json()) == (400, error), body
    assert await count(db, ResthookSubscriber) == 0
    made = await client.post(SUBS, json={"resthook": "new-mother", "target_url": "https://foo.bar/"})
    assert made.status_code == 201
    again = await client.post(SUBS, json={"resthook": "new-mother", "target_url": "https://foo.bar/"})
    assert (again.status_code, again.json()) == (
        400,
        {"non_field_errors": ["URL is already subscribed to this event."]},
    )
    assert await count(db, ResthookSubscriber) == 1


async def test_delete_by_id_deactivates_and_bumps_the_resthook(
    client: httpx.AsyncClient, tenant: Tenant, other: Tenant, db: Any, frozen: Clock
) -> None:
    (hook,) = await make_hooks(db, tenant, "new-mother")
    sub = (await client.post(SUBS, json={"resthook": "new-mother", "target_url": "https://foo.bar/"})).json()
    frozen.move(minutes=3)
    missing = await client.delete(SUBS)
    assert (missing.status_code, missing.json()) == (
        400,
        {"detail": "URL must contain one of the following parameters: id"},
    )
    bad = await client.delete(SUBS, params={"id": "abc"})
    assert (bad.status_code, bad.json()) == (400, {"detail": "Value for id must be an integer"})
    assert (await client.delete(SUBS, params={"id": "999999"})).status_code == 404
    assert (await row(db, ResthookSubscriber, ResthookSubscriber.id == sub["id"])).is_active is True
    resp = await client.delete(SUBS, params={"id": str(sub["id"])})
    assert (resp.status_code, resp.content) == (204, b"")
    stored = await row(db, ResthookSubscriber, ResthookSubscriber.id == sub["id"])
    assert stored.is_active is False
    assert (await row(db, Resthook, Resthook.id == hook.id)).modified_on == T0 + timedelta(minutes=3)
    assert (await client.get(SUBS)).json()["results"] == []
    assert (await client.delete(SUBS, params={"id": str(sub["id"])})).status_code == 404  # already gone
    # the URL may subscribe again
    assert (
        await client.post(SUBS, json={"resthook": "new-mother", "target_url": "https://foo.bar/"})
    ).status_code == 201


async def test_subscribers_of_removed_resthooks_are_not_listed(
    client: httpx.AsyncClient, tenant: Tenant, db: Any
) -> None:
    await make_hooks(db, tenant, "new-mother")
    await client.post(SUBS, json={"resthook": "new-mother", "target_url": "https://foo.bar/"})
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        await resthooks.remove(session, ws, "new-mother")
        await session.commit()
    assert (await client.get(SUBS)).json()["results"] == []
    assert await count(db, ResthookSubscriber, ResthookSubscriber.is_active) == 0


async def test_subscriber_id_filter_must_be_an_integer(client: httpx.AsyncClient) -> None:
    resp = await client.get(SUBS, params={"id": "x1"})
    assert (resp.status_code, resp.json()) == (400, {"detail": "Value for id must be an integer"})


async def test_events_list_newest_first_filtered_by_resthook(
    client: httpx.AsyncClient, tenant: Tenant, other: Tenant, db: Any, frozen: Clock
) -> None:
    father, mother = await make_hooks(db, tenant, "new-mother", "new-father")  # by slug
    (theirs,) = await make_hooks(db, other, "new-mother")
    await add_event(db, mother, {"contact": {"name": "Ann"}})
    frozen.move(seconds=1)
    await add_event(db, father, {"contact": {"name": "Bob"}})
    await add_event(db, theirs, {"contact": {"name": "Not yours"}})
    resp = await client.get(EVENTS)
    assert resp.status_code == 200
    assert resp.json()["results"] == [
        {"resthook": "new-father", "data": {"contact": {"name": "Bob"}}, "created_on": "2026-05-04T12:00:01.000000Z"},
        {"resthook": "new-mother", "data": {"contact": {"name": "Ann"}}, "created_on": "2026-05-04T12:00:00.000000Z"},
    ]
    filtered = (await client.get(EVENTS, params={"resthook": "new-mother"})).json()["results"]
    assert [e["data"]["contact"]["name"] for e in filtered] == ["Ann"]
    assert (await client.get(EVENTS, params={"resthook": "unknown"})).json()["results"] == []


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [("POST", HOOKS, 405), ("DELETE", HOOKS, 405), ("POST", EVENTS, 405), ("PUT", SUBS, 405)],
)
async def test_methods_not_served(client: httpx.AsyncClient, method: str, url: str, status: int) -> None:
    assert (await client.request(method, url)).status_code == status


async def test_agents_cannot_use_them(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    await make_hooks(db, tenant, "new-mother")
    async with db() as session:
        await session.execute(update(Membership).values(role="agent"))
        await session.commit()
    for method, url in (("GET", HOOKS), ("GET", SUBS), ("GET", EVENTS), ("POST", SUBS)):
        resp = await client.request(method, url, json={"resthook": "new-mother", "target_url": "https://foo.bar/"})
        assert resp.status_code == 403, (method, url)
    assert await count(db, ResthookSubscriber) == 0


async def test_editors_can(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    await make_hooks(db, tenant, "new-mother")
    async with db() as session:
        await session.execute(update(Membership).values(role="editor"))
        await session.commit()
    resp = await client.post(SUBS, json={"resthook": "new-mother", "target_url": "https://foo.bar/"})
    assert resp.status_code == 201
    assert await count(db, ResthookSubscriber, ResthookSubscriber.is_active) == 1


@pytest.mark.parametrize("path", ["/api/v2/resthooks", "/api/v2/resthook_subscribers", "/api/v2/resthook_events"])
async def test_each_has_a_documentation_page(anon_client: httpx.AsyncClient, path: str) -> None:
    resp = await anon_client.get(path)
    assert resp.status_code == 200
    assert "text/html" in resp.headers["content-type"]
    assert path.rsplit("/", 1)[1] + ".json" in resp.text
