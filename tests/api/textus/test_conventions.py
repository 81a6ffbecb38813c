"""What every TextUs route shares: Basic authentication, the version header, parameters in JSON, forms and
multipart, the error shape and statuses, page pagination with its headers, rate limits, and the root page."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from sauti.kit.secrets import hash_password
from sauti.models import Broadcast, Contact, ContactGroup, User
from tests.api.textus.helpers import count, create, rates
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("app")


def _client(app: Any, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", **kwargs)


async def test_basic_auth_with_the_api_token_the_v2_dialect_takes(app: Any, tenant: Tenant) -> None:
    async with _client(app, auth=(tenant.user.email, tenant.token)) as c:
        resp = await c.get("/api/contacts", headers={"Accept": "application/vnd.textus-v2"})
    assert resp.status_code == 200 and resp.json() == []
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    async with _client(app, headers={"Authorization": f"Token {tenant.token}"}) as c:
        assert (await c.get("/api/v2/contacts.json")).status_code == 200
    # the email compares case-insensitively; any Accept gets v2
    async with _client(app, auth=(tenant.user.email.upper(), tenant.token)) as c:
        for accept in ("application/json", "*/*", "application/vnd.textus-v1"):
            assert (await c.get("/api/contacts", headers={"Accept": accept})).status_code == 200


async def test_the_raw_authorization_form_the_documentation_prints(app: Any, tenant: Tenant) -> None:
    async with _client(app, headers={"Authorization": f"{tenant.user.email}:{tenant.token}"}) as c:
        assert (await c.get("/api/users")).status_code == 200


async def test_password_auth_and_its_switch(app: Any, tenant: Tenant, db: Any) -> None:
    async with db() as session:
        await session.execute(
            update(User).where(User.id == tenant.user.id).values(password_hash=hash_password("s3cret-pass"))
        )
        await session.commit()
    async with _client(app, auth=(tenant.user.email, "s3cret-pass")) as c:
        resp = await c.get("/api/users/current")
        assert resp.status_code == 200 and resp.json()[0]["email"] == tenant.user.email
        assert (await c.get("/api/users/current", auth=(tenant.user.email, "wrong-pass"))).status_code == 401
        app.state.settings.textus_password_auth = False
        try:
            assert (await c.get("/api/users/current")).status_code == 401
        finally:
            app.state.settings.textus_password_auth = True


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Basic",
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer abc",
        "Token abc",
        "admin@nyaruka.com:wrong-key",
        "Basic " + base64.b64encode(b"someone@else.org:{token}").decode(),
    ],
)
async def test_bad_credentials_are_401(app: Any, tenant: Tenant, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header.replace("{token}", tenant.token)}
    async with _client(app, headers=headers) as c:
        resp = await c.get("/api/contacts")
    assert resp.status_code == 401
    assert resp.json() == {"error": "Unauthorized"}
    assert resp.headers["www-authenticate"] == 'Basic realm="TextUs"'


async def test_a_deactivated_user_cannot_sign_in(app: Any, tenant: Tenant, db: Any) -> None:
    async with db() as session:
        await session.execute(update(User).where(User.id == tenant.user.id).values(is_active=False))
        await session.commit()
    async with _client(app, auth=(tenant.user.email, tenant.token)) as c:
        assert (await c.get("/api/contacts")).status_code == 401


async def test_methods_a_path_lacks_are_405_and_there_is_no_cors(api: httpx.AsyncClient) -> None:
    resp = await api.request("PATCH", "/api/contacts")
    assert resp.status_code == 405 and resp.json() == {"error": "405 Not Allowed"}
    assert resp.headers["allow"] == "GET, POST"
    preflight = await api.options(
        "/api/contacts", headers={"Origin": "http://elsewhere", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 405
    assert not any(h.startswith("access-control-") for h in preflight.headers)
    assert (await api.delete("/api/tags")).status_code == 405


@pytest.mark.parametrize("ref", ["abc", "0", "-1", "1.5", "99999999999999999999999", "１"])
async def test_an_id_that_is_not_one_is_404(api: httpx.AsyncClient, ref: str) -> None:
    resp = await api.get(f"/api/contacts/{ref}")
    assert resp.status_code == 404 and resp.json() == {"error": "Not Found"}


async def test_parameters_as_json_form_multipart_and_query(api: httpx.AsyncClient, db: Any) -> None:
    as_json = await api.post("/api/contacts", json={"phone": "+12025550111", "first_name": "Jay"})
    as_form = await api.post("/api/contacts", data={"phone": "+12025550112", "tags[]": ["a", "b"]})
    as_multipart = await api.post(
        "/api/contacts", data={"phone": "+12025550113", "last_name": "Multi"}, files={"unused": ("x.txt", b"x")}
    )
    in_query = await api.post("/api/contacts?phone=%2B12025550114&first_name=Query", json={"first_name": "Body"})
    for resp in (as_json, as_form, as_multipart, in_query):
        assert resp.status_code == 201, resp.text
    assert as_form.json()["tags"] == ["a", "b"]
    assert as_multipart.json()["last_name"] == "Multi"
    # the body wins over the query string
    assert in_query.json()["phone"] == "12025550114" and in_query.json()["first_name"] == "Body"
    assert await count(db, Contact) == 4


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"content": b"[1, 2]", "headers": {"Content-Type": "application/json"}}, 400, "must be a JSON object"),
        ({"content": b"{nope", "headers": {"Content-Type": "application/json"}}, 400, "not valid JSON"),
        ({"content": b"phone", "headers": {"Content-Type": "text/plain"}}, 415, "'text/plain' is not supported"),
        ({"json": {}}, 400, "phone is missing"),
        ({"json": {"phone": None}}, 400, "phone is missing"),
        ({"json": {"phone": ["+12025550111"]}}, 400, "phone is invalid"),
        ({"json": {"phone": "+12025550111", "tags": [{"a": 1}]}}, 400, "tags is invalid"),
        ({"json": {"phone": "+1202\x005550111"}}, 400, "phone is invalid: Null characters are not allowed."),
        ({"data": {"phone": "+12025550111", "first_\x00name": "x"}}, 400, "first_name is invalid"),
        ({"json": {"phone": "+1 nope"}}, 422, "Validation failed: Phone is invalid"),
        ({"json": {"phone": "+12025550111", "country": "XX"}}, 422, "Validation failed: Country is invalid"),
    ],
)
async def test_bad_input_is_a_4xx_in_the_dialects_shape_and_changes_nothing(
    api: httpx.AsyncClient, db: Any, kwargs: dict[str, Any], status: int, error: str
) -> None:
    resp = await api.post("/api/contacts", **kwargs)
    assert resp.status_code == status, resp.text
    assert list(resp.json()) == ["error"] and error in resp.json()["error"]
    assert await count(db, Contact) == 0


async def test_nul_in_the_query_string_is_refused(api: httpx.AsyncClient) -> None:
    resp = await api.get("/api/contacts", params={"q": "a\x00b"})
    assert resp.status_code == 400 and resp.json() == {"error": "q is invalid: Null characters are not allowed."}


async def test_several_missing_parameters_are_named_together(api: httpx.AsyncClient, db: Any) -> None:
    resp = await api.post("/api/broadcasts", json={"message_body": "Hi"})
    assert resp.status_code == 400
    assert resp.json() == {"error": "sender is missing, group is missing"}
    assert await count(db, Broadcast) == 0


@pytest.mark.parametrize(
    ("params", "error"),
    [({"page": "abc"}, "page is invalid"), ({"per_page": "1.5x"}, "per_page is invalid"), ({"scope": "x"}, "scope")],
)
async def test_bad_query_parameters_are_400(api: httpx.AsyncClient, params: dict[str, str], error: str) -> None:
    resp = await api.get("/api/contacts", params=params)
    assert resp.status_code == 400 and error in resp.json()["error"]


async def _contacts(api: httpx.AsyncClient, n: int) -> list[int]:
    return [(await create(api, "/api/contacts", phone=f"+1202555{i:04d}"))["id"] for i in range(n)]


async def test_pages_and_their_headers(api: httpx.AsyncClient) -> None:
    ids = await _contacts(api, 30)
    first = await api.get("/api/contacts")
    assert [c["id"] for c in first.json()] == ids[:25]  # 25 by default, oldest first
    assert {k: first.headers[k] for k in ("x-total", "x-total-pages", "x-page", "x-per-page", "x-offset")} == {
        "x-total": "30",
        "x-total-pages": "2",
        "x-page": "1",
        "x-per-page": "25",
        "x-offset": "0",
    }
    assert first.headers["x-next-page"] == "2" and first.headers["x-prev-page"] == ""
    assert 'rel="next"' in first.headers["link"] and "page=2" in first.headers["link"]
    padded = await api.get("/api/contacts", params={"page": 2, "per_page": 10, "offset": 3})
    assert [c["id"] for c in padded.json()] == ids[13:23]
    assert padded.headers["x-total"] == "30" and padded.headers["x-total-pages"] == "3"
    assert padded.headers["x-next-page"] == "3" and padded.headers["x-prev-page"] == "1"
    last = await api.get("/api/contacts", params={"page": 3, "per_page": 10, "offset": 3})
    assert [c["id"] for c in last.json()] == ids[23:]
    assert last.headers["x-next-page"] == ""
    beyond = await api.get("/api/contacts", params={"page": 9})
    assert beyond.json() == [] and beyond.headers["x-page"] == "9"
    # page 0 (a public client starts there) is page 1; per_page is clamped; a negative offset is none
    zero = await api.get("/api/contacts", params={"page": 0, "per_page": 500, "offset": -4})
    assert len(zero.json()) == 30
    assert (zero.headers["x-page"], zero.headers["x-per-page"], zero.headers["x-offset"]) == ("1", "100", "0")
    assert (await api.get("/api/contacts", params={"per_page": 0})).headers["x-per-page"] == "25"


async def test_an_empty_list_has_no_pages(api: httpx.AsyncClient) -> None:
    resp = await api.get("/api/opt_outs")
    assert resp.json() == [] and resp.headers["x-total"] == "0" and resp.headers["x-total-pages"] == "0"
    assert resp.headers["x-next-page"] == ""


async def test_every_request_counts_against_the_hourly_rate(api: httpx.AsyncClient, db: Any, tenant: Tenant) -> None:
    await rates(db, tenant, textus="3/hour")
    for _ in range(3):
        assert (await api.get("/api/tags")).status_code == 200
    resp = await api.post("/api/contacts", json={"phone": "+12025550111"})
    assert resp.status_code == 429
    wait = int(resp.headers["retry-after"])
    assert 0 < wait <= 3600
    assert resp.json() == {"error": f"Rate limit exceeded. Try again in {wait} seconds."}
    assert await count(db, Contact) == 0


async def test_broadcasts_are_limited_to_one_a_minute_apart_from_the_rest(
    api: httpx.AsyncClient, db: Any, tenant: Tenant, channel: Any
) -> None:
    group = await create(api, "/api/groups", name="Team")
    body = {"sender": tenant.user.id, "group": group["id"], "message_body": "Hello team"}
    assert (await api.post("/api/broadcasts", json=body)).status_code == 201
    again = await api.post("/api/broadcasts", json=body)
    assert again.status_code == 429 and 0 < int(again.headers["retry-after"]) <= 60
    assert await count(db, Broadcast) == 1
    # reading broadcasts (and anything else) is an ordinary request
    assert (await api.get("/api/broadcasts")).status_code == 200
    assert (await api.get(f"/api/groups/{group['id']}/broadcasts")).status_code == 200


async def test_request_id_runtime_and_etag(api: httpx.AsyncClient) -> None:
    resp = await api.get("/api/tags", headers={"X-Request-Id": "abc-123"})
    assert resp.headers["x-request-id"] == "abc-123" and float(resp.headers["x-runtime"]) >= 0
    assert resp.headers["etag"].startswith('W/"') and "must-revalidate" in resp.headers["cache-control"]
    fresh = await api.get("/api/tags", headers={"X-Request-Id": "bad id with spaces"})
    assert len(fresh.headers["x-request-id"]) == 32
    assert "etag" not in (await api.post("/api/groups", json={"name": "G"})).headers


async def test_the_root_page_lists_every_resource(anon_client: httpx.AsyncClient) -> None:
    from sauti.api.textus.router import RESOURCES

    page = await anon_client.get("/api/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for resource in RESOURCES:
        assert f"href='{resource.routes[0].path}'" in page.text, resource.name
    assert "href='/api/v2/'" in page.text and "/api/explorer/" in page.text
    assert (await anon_client.post("/api/")).status_code == 405
    # API v2's root is as it was
    assert "/api/v2/contacts" in (await anon_client.get("/api/v2/")).text


async def test_openapi_document_and_explorer(anon_client: httpx.AsyncClient) -> None:
    spec = (await anon_client.get("/api/openapi.json")).json()
    assert set(spec["paths"]["/api/contacts/{id}"]) == {"get", "put", "patch", "delete"}
    assert spec["components"]["securitySchemes"]["Basic"] == {
        "type": "http",
        "scheme": "basic",
        "description": "Your email as the user name and your API token (or password) as the password",
    }
    post = spec["paths"]["/api/messages"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert post["requestBody"]["content"]["application/json"]["schema"]["required"] == ["sender", "receiver"]
    explorer = await anon_client.get("/api/explorer/")
    assert "/api/openapi.json" in explorer.text and "/api/v2/openapi.json" in explorer.text
    assert "//cdn" not in explorer.text


async def test_a_locked_group_and_a_missing_one(api: httpx.AsyncClient, db: Any) -> None:
    async with db() as session:
        from sqlalchemy import select

        system = (await session.execute(select(ContactGroup.id).where(ContactGroup.is_system))).scalars().first()
    resp = await api.put(f"/api/groups/{system}", json={"name": "Mine now"})
    assert resp.status_code == 422 and resp.json() == {"error": "Validation failed: Group is locked"}
    assert (await api.get("/api/groups/987654")).status_code == 404
