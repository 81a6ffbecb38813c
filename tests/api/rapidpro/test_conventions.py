"""The dialect's shared conventions: authentication, check order, throttling, pagination, dates, docs."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, update

from sauti.kit import clock
from sauti.models import APIToken, Contact, Membership, User, Workspace
from tests.api.rapidpro.helpers import create_contact
from tests.conftest import Backend, Tenant, make_tenant

pytestmark = pytest.mark.usefixtures("app")


def basic(email: str, key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:{key}".encode()).decode()}


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Authentication credentials were not provided."),
        ({"Authorization": "Token 1234567890"}, "Invalid token"),
        ({"Authorization": "Token"}, "Invalid token header. No credentials provided."),
        ({"Authorization": "Token a b"}, "Invalid token header. Token string should not contain spaces."),
        ({"Authorization": "Bearer 1234567890"}, "Authentication credentials were not provided."),
        (basic("admin@x.com", "1234567890"), "Invalid token or email"),
        ({"Authorization": "Basic !!!"}, "Invalid basic header. Credentials not correctly base64 encoded."),
    ],
)
async def test_auth_failures(
    anon_client: httpx.AsyncClient, tenant: Tenant, headers: dict[str, str], detail: str
) -> None:
    resp = await anon_client.get("/api/v2/contacts.json", headers=headers)
    assert resp.status_code == 403
    assert resp.json() == {"detail": detail}
    assert "X-Temba-Workspace" not in resp.headers


async def test_token_and_basic_success(anon_client: httpx.AsyncClient, tenant: Tenant) -> None:
    for headers in (
        {"Authorization": f"Token {tenant.token}"},
        {"Authorization": f"token {tenant.token}"},
        basic("admin@nyaruka.com", tenant.token),
    ):
        resp = await anon_client.get("/api/v2/workspace.json", headers=headers)
        assert resp.status_code == 200, headers
        assert resp.headers["X-Temba-Workspace"] == tenant.workspace.uuid
    wrong_email = await anon_client.get("/api/v2/workspace.json", headers=basic("Admin@nyaruka.com", tenant.token))
    assert wrong_email.status_code == 403 and wrong_email.json() == {"detail": "Invalid token or email"}


async def test_check_order(anon_client: httpx.AsyncClient, tenant: Tenant) -> None:
    # 405 comes before the anonymous check, but after bad credentials
    assert (await anon_client.delete("/api/v2/fields.json")).status_code == 405
    assert (await anon_client.get("/api/v2/fields.json")).status_code == 403
    bad = await anon_client.delete("/api/v2/fields.json", headers={"Authorization": "Token nope"})
    assert bad.status_code == 403 and bad.json() == {"detail": "Invalid token"}
    put = await anon_client.put("/api/v2/contacts.json", headers={"Authorization": f"Token {tenant.token}"})
    assert put.status_code == 405 and put.json() == {"detail": 'Method "PUT" not allowed.'}


async def test_revoked_inactive_and_agent(anon_client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    headers = {"Authorization": f"Token {tenant.token}"}
    async with db() as session:
        await session.execute(update(Membership).values(role="agent"))
        await session.commit()
    resp = await anon_client.get("/api/v2/contacts.json", headers=headers)
    assert resp.status_code == 403 and resp.json() == {"detail": "You do not have permission to perform this action."}
    async with db() as session:
        await session.execute(update(Membership).values(role="editor"))
        await session.commit()
    assert (await anon_client.get("/api/v2/contacts.json", headers=headers)).status_code == 200
    async with db() as session:
        await session.execute(update(User).values(is_active=False))
        await session.commit()
    assert (await anon_client.get("/api/v2/contacts.json", headers=headers)).json() == {"detail": "Invalid token"}
    async with db() as session:
        await session.execute(update(User).values(is_active=True))
        await session.execute(update(APIToken).values(is_active=False))
        await session.commit()
    assert (await anon_client.get("/api/v2/contacts.json", headers=headers)).json() == {"detail": "Invalid token"}


async def test_tokens_are_stored_hashed(tenant: Tenant, db: Any) -> None:
    async with db() as session:
        from sqlalchemy import select

        token = (await session.execute(select(APIToken))).scalar_one()
    assert len(tenant.token) == 40 and all(c in "0123456789abcdef" for c in tenant.token)
    assert tenant.token not in (token.digest, token.prefix) and token.prefix == tenant.token[:8]


async def test_throttling_per_workspace_and_scope(
    anon_client: httpx.AsyncClient, tenant: Tenant, other: Tenant, db: Any
) -> None:
    async with db() as session:
        await session.execute(
            update(Workspace).where(Workspace.id == tenant.workspace.id).values(api_rates={"v2": "3/hour"})
        )
        await session.commit()
    headers = {"Authorization": f"Token {tenant.token}"}
    for _ in range(3):
        assert (await anon_client.get("/api/v2/fields.json", headers=headers)).status_code == 200
    throttled = await anon_client.get("/api/v2/groups.json", headers=headers)
    assert throttled.status_code == 429
    wait = int(throttled.headers["Retry-After"])
    assert 3500 < wait <= 3600
    assert throttled.json() == {"detail": f"Request was throttled. Expected available in {wait} seconds."}
    # another scope of the same workspace, and another workspace, are counted separately
    assert (await anon_client.get("/api/v2/contacts.json", headers=headers)).status_code == 200
    assert (await anon_client.get("/api/v2/fields.json", headers=other.headers)).status_code == 200


async def test_pagination_walks_forward_and_back(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    same_time = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
    async with db() as session:
        await session.execute(
            insert(Contact),
            [
                {
                    "uuid": clock.new_uuid(),
                    "workspace_id": tenant.workspace.id,
                    "status": "active",
                    "is_active": True,
                    "tickets": 0,
                    "created_on": same_time,
                    "modified_on": same_time,
                }
                for _ in range(1255)
            ],
        )
        await session.commit()
    pages: list[dict[str, Any]] = []
    resp = await client.get("/api/v2/contacts.json", params={"deleted": "false"})
    while True:
        body = resp.json()
        assert list(body) == ["next", "previous", "results"]
        pages.append(body)
        if body["next"] is None:
            break
        assert body["next"].startswith("http://testserver/api/v2/contacts.json?")
        assert "deleted=false" in body["next"]  # filters survive in the next link
        resp = await client.get(body["next"])
    assert [len(p["results"]) for p in pages] == [250, 250, 250, 250, 250, 5]
    assert pages[0]["previous"] is None
    uuids = [c["uuid"] for p in pages for c in p["results"]]
    assert len(set(uuids)) == 1255
    async with db() as session:
        from sqlalchemy import select

        ids = dict((await session.execute(select(Contact.uuid, Contact.id))).all())
    order = [ids[u] for u in uuids]
    assert order == sorted(order, reverse=True)  # ties on modified_on broken by id, strictly
    # walk back with previous links: the same pages in reverse
    back = [pages[-1]]
    while back[-1]["previous"] is not None:
        back.append((await client.get(back[-1]["previous"])).json())
    assert [[c["uuid"] for c in p["results"]] for p in reversed(back)] == [
        [c["uuid"] for c in p["results"]] for p in pages
    ]
    bad = await client.get("/api/v2/contacts.json", params={"cursor": "garbage"})
    assert bad.status_code == 404 and bad.json() == {"detail": "Invalid cursor"}


async def test_dates_always_have_six_fraction_digits(client: httpx.AsyncClient) -> None:
    clock.set_clock(lambda: datetime(2026, 3, 4, 5, 6, 7, 0, tzinfo=UTC))
    try:
        contact = await create_contact(client)
    finally:
        clock.set_clock(None)
    assert contact["created_on"] == "2026-03-04T05:06:07.000000Z"
    exact = await client.get("/api/v2/contacts.json", params={"after": "2026-03-04T05:06:07.000000Z"})
    assert [c["uuid"] for c in exact.json()["results"]] == [contact["uuid"]]
    day = await client.get("/api/v2/contacts.json", params={"before": "2026-03-04"})
    assert day.json()["results"] == []  # a bare date is midnight UTC


async def test_docs_pages_and_root(anon_client: httpx.AsyncClient) -> None:
    page = await anon_client.get("/api/v2/contacts")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "List, Create, Update or Delete Contacts" in page.text and "expand_urns" in page.text
    assert (await anon_client.post("/api/v2/contacts")).status_code == 403
    root = await anon_client.get("/api/v2/")
    assert root.status_code == 200 and "/api/v2/contacts" in root.text
    assert (await anon_client.post("/api/v2/")).status_code == 405
    listing = await anon_client.get("/api/v2/.json")
    assert listing.status_code == 200
    assert listing.json()["contacts"] == "http://testserver/api/v2/contacts"
    assert list(listing.json()) == [
        "archives", "broadcasts", "campaigns", "campaign_events", "channels", "classifiers", "contacts",
        "contact_actions", "fields", "flow_starts", "flows", "globals", "groups", "labels", "media", "messages",
        "message_actions", "resthooks", "resthook_events", "resthook_subscribers", "runs", "tickets", "ticket_actions",
        "topics", "users", "workspace",
    ]  # fmt: skip
    # /api/ is the TextUs dialect's root now; it points to this one
    textus_root = await anon_client.get("/api/")
    assert textus_root.status_code == 200 and "href='/api/v2/'" in textus_root.text
    assert (await anon_client.get("/api/v2/contacts/")).status_code == 404
    assert (await anon_client.get("/api/v2/contacts.xml")).status_code == 404


async def test_trailing_slash_after_suffix(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v2/contacts.json/")).status_code == 200


async def test_explorer_and_openapi(anon_client: httpx.AsyncClient) -> None:
    page = await anon_client.get("/api/v2/explorer/")
    assert page.status_code == 200
    assert "/api/v2/explorer/static/swagger-ui-bundle.js" in page.text and "//cdn" not in page.text
    assert (await anon_client.get("/api/v2/explorer/static/swagger-ui-bundle.js")).status_code == 200
    spec = (await anon_client.get("/api/v2/openapi.json")).json()
    assert set(spec["paths"]["/api/v2/contacts.json"]) == {"get", "post", "delete"}
    post = spec["paths"]["/api/v2/contacts.json"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert "urns" in spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert spec["components"]["securitySchemes"]["Token"]["name"] == "Authorization"


async def test_server_error_is_plain_text(app: Any, backend: Backend) -> None:
    tenant = await make_tenant(backend, "Broken", "b@broken.org")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=tenant.headers) as c:
        async with backend.sessionmaker() as session:  # a workspace whose timezone is unknown breaks rendering
            await session.execute(
                update(Workspace).where(Workspace.id == tenant.workspace.id).values(timezone="Nowhere/Nothing")
            )
            await session.commit()
        resp = await c.post("/api/v2/contacts.json", json={})
    assert resp.status_code == 500
    assert resp.text == "Server Error. Site administrators have been notified."


def test_every_scope_defaults_to_the_seeds_limit_and_the_setting_overrides_only_what_it_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sauti.api.throttle import Throttle
    from sauti.settings import Settings

    assert {rate for scope, rate in Settings().api_rates.items() if scope.startswith("v2")} == {"2500/hour"}
    monkeypatch.setenv("SAUTI_API_RATES", '{"v2": "100/minute"}')
    rates = Settings().api_rates
    assert rates["v2"] == "100/minute" and rates["v2.contacts"] == rates["v2.messages"] == "2500/hour"
    throttle = Throttle(rates)
    probe = Workspace(api_rates={})
    limits = {scope: str(throttle.rate_for(probe, scope)) for scope in ("v2", "v2.contacts", "v2.messages")}
    assert limits == {"v2": "100 per 1 minute", "v2.contacts": "2500 per 1 hour", "v2.messages": "2500 per 1 hour"}
    # a scope nobody named is counted under its dialect's base scope, never left unlimited
    assert str(throttle.rate_for(probe, "v2.somewhere")) == "100 per 1 minute"


async def test_the_root_page_states_the_rate_limit(anon_client: httpx.AsyncClient) -> None:
    page = (await anon_client.get("/api/v2/")).text
    assert "The rate limit for all endpoints is 2,500 requests per hour, counted per workspace." in page
    assert "Retry-After" in page


async def test_contacts_are_throttled_on_their_own_scope(client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    async with db() as session:
        await session.execute(
            update(Workspace).where(Workspace.id == tenant.workspace.id).values(api_rates={"v2.contacts": "2/hour"})
        )
        await session.commit()
    assert [(await client.get("/api/v2/contacts.json")).status_code for _ in range(3)] == [200, 200, 429]
    assert (await client.get("/api/v2/messages.json")).status_code == 200


async def test_a_docs_page_reads_as_words(anon_client: httpx.AsyncClient) -> None:
    import re

    text = re.sub(r"<[^>]+>", "", (await anon_client.get("/api/v2/contacts")).text)
    assert "DELETE Delete a contact" in text and "POST Create a contact" in text


async def test_openapi_describes_bodies_and_statuses(anon_client: httpx.AsyncClient) -> None:
    spec = (await anon_client.get("/api/v2/openapi.json")).json()
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    names = {f"#/components/schemas/{n}" for n in spec["components"]["schemas"]}
    assert refs and set(refs) <= names  # every reference resolves inside the document
    contacts = spec["paths"]["/api/v2/contacts.json"]
    assert set(contacts["get"]["responses"]) == {"200", "400", "403", "404", "429"}
    assert set(contacts["post"]["responses"]) == {"200", "201", "400", "403", "404", "415", "429"}
    assert set(contacts["delete"]["responses"]) == {"204", "400", "403", "404", "429"}
    page = contacts["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["properties"]["results"]["items"] == {"$ref": "#/components/schemas/ContactOut"}
    assert "409" in spec["paths"]["/api/v2/groups.json"]["post"]["responses"]
    actions = spec["paths"]["/api/v2/message_actions.json"]["post"]["responses"]
    assert set(actions) >= {"200", "204"} and "content" not in actions["204"]
    quick = spec["components"]["schemas"]["MessageBody"]["properties"]["quick_replies"]["items"]
    assert quick == {"$ref": "#/components/schemas/QuickReplyBody"}
    media = spec["paths"]["/api/v2/media.json"]["post"]["requestBody"]["content"]
    assert list(media) == ["multipart/form-data"]
