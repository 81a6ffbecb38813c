"""Text a caller sends: NUL characters are refused with a 400 everywhere, on both databases, and change
nothing; every other character (control characters included) is stored exactly as sent. Errors collected per
field and per item merge whatever their shapes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sauti.models import Broadcast, Contact, ContactField, ContactGroup, Global, Label, Message
from tests.api.rapidpro.helpers import count, create_contact, create_field, row
from tests.conftest import Backend, Tenant, add_channel

pytestmark = pytest.mark.usefixtures("app")
NUL = "Null characters are not allowed."
TABLES = (Contact, Message, Broadcast, ContactGroup, ContactField, Label, Global)


async def _counts(db: Any) -> dict[str, int]:
    return {t.__tablename__: await count(db, t) for t in TABLES}


async def test_nul_in_any_body_text_is_a_400_that_changes_nothing(client: httpx.AsyncClient, db: Any) -> None:
    joe = await create_contact(client, name="Joe", urns=["tel:+250788123123"])
    await create_field(client, "Nickname")
    cases = [
        ("contacts.json", {"name": "a\x00b"}, {"name": [NUL]}),
        ("contacts.json", {"urns": ["tel:+25078\x00"]}, {"urns": {"0": [NUL]}}),
        ("contacts.json", {"fields": {"nickname": "a\x00b"}}, {"fields": {"nickname": [NUL]}}),
        ("messages.json", {"contact": joe["uuid"], "text": "a\x00b"}, {"text": [NUL]}),
        ("broadcasts.json", {"text": "a\x00b", "urns": ["tel:+250788123124"]}, {"text": [NUL]}),
        ("broadcasts.json", {"text": {"eng": "a\x00b"}, "urns": ["tel:+250788123124"]}, {"text": {"eng": [NUL]}}),
        ("groups.json", {"name": "Adults", "query": 'name = "a\x00"'}, {"query": [NUL]}),
        ("groups.json", {"name": "A\x00"}, {"name": [NUL]}),
        ("labels.json", {"name": "L\x00"}, {"name": [NUL]}),
        ("fields.json", {"name": "F\x00", "type": "text"}, {"name": [NUL]}),
        ("globals.json", {"name": "G", "value": "v\x00"}, {"value": [NUL]}),
        ("contacts.json", {"na\x00me": "x"}, {"non_field_errors": [NUL]}),
        # several NULs in one item are reported once
        ("broadcasts.json", {"quick_replies": [{"text": "\x00", "extra": "\x00"}]}, {"quick_replies": {"0": [NUL]}}),
    ]
    before = await _counts(db)
    for path, payload, errors in cases:
        resp = await client.post(f"/api/v2/{path}", json=payload)
        assert resp.status_code == 400, (path, payload, resp.text)
        assert resp.json() == errors, (path, payload)
    update = await client.post("/api/v2/contacts.json", params={"uuid": joe["uuid"]}, json={"name": "J\x00"})
    assert update.status_code == 400 and update.json() == {"name": [NUL]}
    assert await _counts(db) == before
    assert (await row(db, Contact, Contact.uuid == joe["uuid"])).name == "Joe"


async def test_nul_in_a_query_string_is_a_400(client: httpx.AsyncClient) -> None:
    for path, query in [
        ("contacts.json", "group=a%00b"),
        ("contacts.json", "urn=tel:%2B250788%00"),
        ("messages.json", "label=x%00"),
        ("groups.json", "name=%00"),
        ("contacts.json", "a%00=1"),
    ]:
        resp = await client.get(f"/api/v2/{path}?{query}")
        assert resp.status_code == 400, (path, query, resp.text)
        assert resp.json()["detail"].endswith(NUL), resp.json()


async def test_other_control_characters_are_stored_as_sent(client: httpx.AsyncClient, db: Any) -> None:
    odd = "bell\x07 tab\t esc\x1b del\x7f c1\x85 end"
    contact = await create_contact(client, name=odd[:60], urns=["tel:+250788123123"])
    assert contact["name"] == odd[:60]
    resp = await client.post("/api/v2/messages.json", json={"contact": contact["uuid"], "text": odd})
    assert resp.status_code == 201 and resp.json()["text"] == odd
    assert (await row(db, Message, Message.uuid == resp.json()["uuid"])).text == odd
    listed = (await client.get("/api/v2/contacts.json", params={"uuid": contact["uuid"]})).json()["results"]
    assert listed[0]["name"] == odd[:60]


async def test_attachments_keyed_by_a_bad_language_are_a_400(client: httpx.AsyncClient, db: Any) -> None:
    resp = await client.post("/api/v2/broadcasts.json", json={"text": "hi", "attachments": {"xx": ["a"]}})
    assert resp.status_code == 400, resp.text
    assert resp.json() == {
        "attachments": {"xx": ["Not an allowed ISO 639-3 language code."], "non_field_errors": ["No such object: a"]}
    }
    assert await count(db, Broadcast) == 0


async def test_unknown_field_key_beside_a_bad_value_either_order(client: httpx.AsyncClient, db: Any) -> None:
    await create_field(client, "Nickname")
    expected = {"fields": {"nickname": [NUL]}}
    for fields in ({"nope": "1", "nickname": "a\x00b"}, {"nickname": "a\x00b", "nope": "1"}):
        resp = await client.post("/api/v2/contacts.json", json={"name": "x", "fields": fields})
        assert resp.status_code == 400, resp.text
        assert resp.json() == expected
    assert await count(db, Contact) == 0


def test_the_collector_merges_every_shape() -> None:
    from sauti.api.rapidpro.errors import DRFErrors
    from sauti.domain.errors import Problem

    errors = DRFErrors()
    errors.add("fields", "Invalid contact field key: nope")
    errors.add_item("fields", "age", "Bad value.")
    errors.add("fields", "Another.")
    errors.merge({"urns": {"0": ["Bad URN."]}, "name": ["Too long."], "fields": {"age": ["Twice."]}})
    errors.merge({"urns": ["Whole list is wrong."]})
    errors.problems([Problem("fields", "unknown_field", {"key": "x"}), Problem("", "missing_content")])
    assert errors.errors == {
        "fields": {
            "non_field_errors": ["Invalid contact field key: nope", "Another.", "Invalid contact field key: x"],
            "age": ["Bad value.", "Twice."],
        },
        "urns": {"0": ["Bad URN."], "non_field_errors": ["Whole list is wrong."]},
        "name": ["Too long."],
        "non_field_errors": ["Must provide either text or attachments."],
    }


async def test_a_providers_nul_is_dropped_not_refused(
    anon_client: httpx.AsyncClient, backend: Backend, tenant: Tenant, db: Any
) -> None:
    channel = await add_channel(backend, tenant)
    resp = await anon_client.post(
        f"/c/test/{channel.uuid}/receive", data={"from": "+250788123123", "text": "he\x00llo"}
    )
    assert resp.status_code == 200, resp.text
    stored = await row(db, Message, Message.direction == "in")
    assert stored.text == "hello"
    missing = await anon_client.post(f"/c/test/{channel.uuid}%00/receive", data={"from": "+1", "text": "x"})
    assert missing.status_code == 404


async def test_a_media_path_with_nul_is_not_found(anon_client: httpx.AsyncClient) -> None:
    resp = await anon_client.get("/media/1/abcd/abcd%00/x.png")
    assert resp.status_code == 404
