"""/api/messages: sending through the outbox (now or at deliver_at), deleting what still waits, reading
conversations and the inbox, marking read; the refusals that queue nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.kit import clock
from sauti.models import Contact, Message
from tests.api.textus.conftest import ACCOUNT_NUMBER, inject
from tests.api.textus.helpers import count, create, row
from tests.support.queries import query_count

pytestmark = pytest.mark.usefixtures("app")

KEYS = [
    "read", "broadcast_id", "status", "deliver_at", "from_autoresponse", "id", "created_at", "updated_at",
    "sender_id", "receiver_id", "sender_type", "receiver_type", "content", "sender_phone", "sender_name",
    "sender_email", "receiver_phone", "receiver_name", "image_url", "thumb_url", "media_urls",
]  # fmt: skip


async def test_send_to_a_new_number_goes_through_the_outbox(
    api: httpx.AsyncClient, channel: Any, worker: Any, db: Any, tenant: Any
) -> None:
    resp = await api.post(
        "/api/messages", json={"sender": tenant.user.email, "receiver": "+12025550147", "content": "Hello"}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert list(body) == KEYS
    assert (body["status"], body["read"], body["deliver_at"], body["from_autoresponse"]) == (
        "created",
        False,
        None,
        None,
    )
    assert (body["sender_type"], body["sender_id"], body["sender_email"]) == ("User", tenant.user.id, tenant.user.email)
    assert (body["sender_name"], body["sender_phone"]) == ("Ann Admin", ACCOUNT_NUMBER)
    assert (body["receiver_type"], body["receiver_phone"], body["receiver_name"]) == ("Contact", "+12025550147", None)
    assert body["content"] == "Hello" and body["image_url"] is None and body["media_urls"] is None
    contact = await row(db, Contact, Contact.id == body["receiver_id"])
    assert contact.name is None  # a number nobody had became a contact without a name
    stored = await row(db, Message, Message.id == body["id"])
    assert (stored.status, stored.high_priority, stored.created_by_id) == ("queued", True, tenant.user.id)
    assert stored.channel_id == channel.id
    assert await worker.drain() >= 1
    assert (await row(db, Message, Message.id == body["id"])).status == "delivered"
    listed = (await api.get("/api/messages")).json()
    assert [m["id"] for m in listed] == [body["id"]] and listed[0]["status"] == "delivered"


async def test_sender_and_receiver_by_id(api: httpx.AsyncClient, channel: Any, tenant: Any) -> None:
    contact = await create(api, "/api/contacts", phone="+12025550147", first_name="Bart", last_name="Simpson")
    for receiver in (contact["id"], str(contact["id"])):
        resp = await api.post("/api/messages", json={"sender": tenant.user.id, "receiver": receiver, "content": "x"})
        assert resp.status_code == 201, resp.text
        assert resp.json()["receiver_id"] == contact["id"] and resp.json()["receiver_name"] == "Bart Simpson"
    # the receiver without + is read with the account's country (Rwanda here)
    local = await api.post(
        "/api/messages", json={"sender": str(tenant.user.id), "receiver": "0788123123", "content": "x"}
    )
    assert local.status_code == 201 and local.json()["receiver_phone"] == "+250788123123"


async def test_the_documented_multipart_shape(api: httpx.AsyncClient, channel: Any, tenant: Any, db: Any) -> None:
    image = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    resp = await api.post(
        "/api/messages",
        data={"sender": tenant.user.email, "receiver": "+12025550147", "content": "See this"},
        files={"file": ("pic.png", image, "image/png")},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["image_url"] and body["image_url"] == body["thumb_url"] and body["media_urls"] == [body["image_url"]]
    stored = await row(db, Message, Message.id == body["id"])
    assert stored.attachments == [f"image/png:{body['image_url']}"]
    # an image alone is a message too
    alone = await api.post(
        "/api/messages",
        data={"sender": tenant.user.email, "receiver": "+12025550147"},
        files={"file": ("pic.png", image, "image/png")},
    )
    assert alone.status_code == 201 and alone.json()["content"] == ""
    wrong = await api.post(
        "/api/messages",
        data={"sender": tenant.user.email, "receiver": "+12025550147"},
        files={"file": ("x.exe", b"MZ", "application/x-msdownload")},
    )
    assert wrong.status_code == 422 and wrong.json() == {
        "error": "Validation failed: File is not a supported type of file"
    }


async def test_scheduled_messages_wait_and_can_be_deleted(
    api: httpx.AsyncClient, channel: Any, worker: Any, db: Any, tenant: Any, travel: Any
) -> None:
    when = (clock.now() + timedelta(hours=2)).replace(microsecond=0)
    send = {"sender": tenant.user.email, "receiver": "+12025550147", "content": "Later"}
    resp = await api.post("/api/messages", json={**send, "deliver_at": when.isoformat()})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["deliver_at"] == when.strftime("%Y-%m-%dT%H:%M:%SZ") and body["status"] == "created"
    stored = await row(db, Message, Message.id == body["id"])
    assert stored.next_attempt == when and stored.deliver_at == when
    await worker.drain()
    assert (await row(db, Message, Message.id == body["id"])).status == "queued"
    scheduled = (await api.get("/api/messages", params={"scope": "scheduled"})).json()
    assert [m["id"] for m in scheduled] == [body["id"]]
    # a second one is deleted while it waits: gone, never sent
    other = (await api.post("/api/messages", json={**send, "deliver_at": when.isoformat()})).json()
    deleted = await api.delete(f"/api/messages/{other['id']}")
    assert deleted.status_code == 200 and deleted.json()["id"] == other["id"]
    assert await row(db, Message, Message.id == other["id"]) is None
    assert (await api.delete(f"/api/messages/{other['id']}")).status_code == 404
    # its time comes: the first one goes, and can no longer be deleted
    travel(timedelta(hours=2, minutes=1))
    await worker.drain()
    assert (await row(db, Message, Message.id == body["id"])).status == "delivered"
    late = await api.delete(f"/api/messages/{body['id']}")
    assert late.status_code == 422 and late.json() == {"error": "Validation failed: Message has already been sent"}
    assert (await api.get("/api/messages", params={"scope": "scheduled"})).json() == []


async def test_a_past_deliver_at_sends_now(api: httpx.AsyncClient, channel: Any, tenant: Any, db: Any) -> None:
    body = (
        await api.post(
            "/api/messages",
            json={
                "sender": tenant.user.email,
                "receiver": "+12025550147",
                "content": "Now",
                "deliver_at": "2018-05-02T17:27:55Z",
            },
        )
    ).json()
    assert body["deliver_at"] is None
    assert (await row(db, Message, Message.id == body["id"])).next_attempt <= clock.now()


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"receiver": "+12025550147", "content": "x"}, 400, "sender is missing"),
        ({"sender": "{email}", "content": "x"}, 400, "receiver is missing"),
        (
            {"sender": "nobody@x.org", "receiver": "+12025550147", "content": "x"},
            422,
            "Validation failed: Sender is invalid",
        ),
        ({"sender": 99999, "receiver": "+12025550147", "content": "x"}, 422, "Validation failed: Sender is invalid"),
        ({"sender": "{email}", "receiver": 99999, "content": "x"}, 422, "Validation failed: Receiver is invalid"),
        ({"sender": "{email}", "receiver": "+1 555", "content": "x"}, 422, "Validation failed: Receiver is invalid"),
        ({"sender": "{email}", "receiver": "+12025550147"}, 422, "Validation failed: Content can't be blank"),
        (
            {"sender": "{email}", "receiver": "+12025550147", "content": "  "},
            422,
            "Validation failed: Content can't be blank",
        ),
        (
            {"sender": "{email}", "receiver": "+12025550147", "content": "x" * 1601},
            422,
            "Validation failed: Content is too long (maximum is 1600 characters)",
        ),
        (
            {"sender": "{email}", "receiver": "+12025550147", "content": "x", "deliver_at": "soon"},
            400,
            "deliver_at is invalid",
        ),
        ({"sender": "{email}", "receiver": "+12025550147", "content": ["x"]}, 400, "content is invalid"),
    ],
)
async def test_refusals_queue_nothing(
    api: httpx.AsyncClient, channel: Any, db: Any, tenant: Any, body: dict[str, Any], status: int, error: str
) -> None:
    filled = {k: tenant.user.email if v == "{email}" else v for k, v in body.items()}
    resp = await api.post("/api/messages", json=filled)
    assert resp.status_code == status and resp.json() == {"error": error}, resp.text
    assert await count(db, Message) == 0
    assert await count(db, Contact) == 0  # not even the contact a new number would have made


async def test_opted_out_blocked_and_unreachable_numbers_are_refused(
    api: httpx.AsyncClient, db: Any, tenant: Any, backend: Any
) -> None:
    send = {"sender": tenant.user.email, "content": "Buy now"}
    no_channel = await api.post("/api/messages", json={**send, "receiver": "+12025550147"})
    assert no_channel.status_code == 422 and no_channel.json() == {"error": "Validation failed: No channel available"}
    from tests.conftest import add_channel

    await add_channel(backend, tenant, address="+12025550100")
    await api.post("/api/opt_outs", json={"phone": "+12025550148"})
    opted = await api.post("/api/messages", json={**send, "receiver": "+12025550148"})
    assert opted.status_code == 422 and opted.json() == {"error": "Validation failed: Contact has opted out"}
    known = await create(api, "/api/contacts", phone="+12025550149")
    await api.post("/api/blocked_numbers", json={"phone": "+12025550149"})
    blocked = await api.post("/api/messages", json={**send, "receiver": known["id"]})
    assert blocked.status_code == 422 and blocked.json() == {"error": "Validation failed: Receiver is blocked"}
    assert await count(db, Message) == 0


async def test_signature_and_placeholders(api: httpx.AsyncClient, channel: Any, tenant: Any) -> None:
    await create(api, "/api/message_signatures", content="-- Ann at Nyaruka", is_active=True)
    contact = await create(api, "/api/contacts", phone="+12025550147", first_name="Bart")
    text = "Hi {{ contact.first_name }}, {{user.first_name}} here about {{ order.id }}"
    body = (
        await api.post("/api/messages", json={"sender": tenant.user.id, "receiver": contact["id"], "content": text})
    ).json()
    assert body["content"] == "Hi Bart, Ann here about {{ order.id }}\n-- Ann at Nyaruka"
    signed = (
        await api.post(
            "/api/messages",
            json={"sender": tenant.user.id, "receiver": contact["id"], "content": "Bye\n-- Ann at Nyaruka"},
        )
    ).json()
    assert signed["content"] == "Bye\n-- Ann at Nyaruka"  # never twice


async def test_conversations_inbox_and_read(
    api: httpx.AsyncClient, anon_client: httpx.AsyncClient, channel: Any, tenant: Any, db: Any
) -> None:
    bart = await create(api, "/api/contacts", phone="+12025550147", first_name="Bart")
    lisa = await create(api, "/api/contacts", phone="+12025550148", first_name="Lisa")
    out = (
        await api.post("/api/messages", json={"sender": tenant.user.id, "receiver": bart["id"], "content": "Hi"})
    ).json()
    await inject(anon_client, channel, "+12025550147", "Hi back")
    await inject(anon_client, channel, "+12025550148", "Hello from Lisa")
    conversation = (await api.get(f"/api/messages/{bart['id']}")).json()
    assert [m["content"] for m in conversation] == ["Hi back", "Hi"]  # both directions, newest first
    inbound = conversation[0]
    assert (inbound["sender_type"], inbound["sender_id"], inbound["sender_phone"]) == (
        "Contact",
        bart["id"],
        "+12025550147",
    )
    assert (inbound["receiver_type"], inbound["receiver_id"]) == ("Account", tenant.workspace.id)
    assert (inbound["receiver_phone"], inbound["receiver_name"], inbound["status"]) == (
        ACCOUNT_NUMBER,
        "Nyaruka",
        "received",
    )
    assert inbound["sender_email"] is None and inbound["read"] is False
    assert (await api.get("/api/messages/999999")).status_code == 404
    everything = (await api.get("/api/messages")).json()
    assert [m["content"] for m in everything] == ["Hello from Lisa", "Hi back", "Hi"]
    latest = (await api.get("/api/messages", params={"last_message_to_each_contact": "true"})).json()
    assert [m["content"] for m in latest] == ["Hello from Lisa", "Hi back"]
    assert [m["content"] for m in (await api.get("/api/messages", params={"q": "LISA"})).json()] == ["Hello from Lisa"]
    unread = (await api.get("/api/messages", params={"scope": "unread"})).json()
    assert [m["content"] for m in unread] == ["Hello from Lisa", "Hi back"]
    marked = await api.put(f"/api/messages/{inbound['id']}", json={"read": True})
    assert marked.status_code == 200 and marked.json()["read"] is True
    assert (await row(db, Message, Message.id == inbound["id"])).is_read is True
    assert [m["content"] for m in (await api.get("/api/messages", params={"scope": "unread"})).json()] == [
        "Hello from Lisa"
    ]
    assert (await api.patch(f"/api/messages/{inbound['id']}", json={"read": "false"})).json()["read"] is False
    assert (await api.put(f"/api/messages/{inbound['id']}", json={})).json() == {"error": "read is missing"}
    assert (await api.put(f"/api/messages/{inbound['id']}", json={"read": "perhaps"})).status_code == 400
    assert (await api.put("/api/messages/999999", json={"read": True})).status_code == 404
    await api.put(f"/api/contacts/{lisa['id']}", json={"flagged": True, "notes": "VIP"})
    for scope in ("flagged", "with_notes"):
        found = (await api.get("/api/messages", params={"scope": scope})).json()
        assert [m["content"] for m in found] == ["Hello from Lisa"], scope
    assert (await api.get("/api/messages", params={"scope": "starred"})).status_code == 400
    # an incoming message was never waiting: it cannot be deleted
    gone = await api.delete(f"/api/messages/{inbound['id']}")
    assert gone.status_code == 422 and gone.json() == {"error": "Validation failed: Message has already been sent"}
    assert out["id"] in [m["id"] for m in everything]


async def test_listing_runs_a_fixed_number_of_queries(
    app: Any, api: httpx.AsyncClient, anon_client: httpx.AsyncClient, channel: Any, tenant: Any
) -> None:
    await api.post("/api/messages", json={"sender": tenant.user.id, "receiver": "+12025550100", "content": "x"})
    one = await query_count(app, api, "/api/messages")
    for i in range(1, 6):
        await api.post("/api/messages", json={"sender": tenant.user.id, "receiver": f"+1202555011{i}", "content": "x"})
        await inject(anon_client, channel, f"+1202555012{i}", "y")
    assert (
        await query_count(app, api, "/api/messages") == one == 7
    )  # auth, count, page, contacts, URNs, channels, users


async def test_messages_by_other_means_are_shown_too(
    api: httpx.AsyncClient, client: httpx.AsyncClient, channel: Any, db: Any
) -> None:
    """A message API v2 sent is the caller's user's too; a message with no user is the account's."""
    contact = await create(api, "/api/contacts", phone="+12025550147")
    async with db() as session:
        uuid = (await session.execute(select(Contact.uuid).where(Contact.id == contact["id"]))).scalar()
    sent = (await client.post("/api/v2/messages.json", json={"contact": uuid, "text": "From v2"})).json()
    shown = (await api.get(f"/api/messages/{contact['id']}")).json()[0]
    assert shown["id"] == sent["id"] and shown["sender_type"] == "User" and shown["sender_email"] == "admin@nyaruka.com"


async def test_conversation_runs_a_fixed_number_of_queries(
    app: Any, api: httpx.AsyncClient, anon_client: httpx.AsyncClient, channel: Any, tenant: Any
) -> None:
    contact = await create(api, "/api/contacts", phone="+12025550147")
    url = f"/api/messages/{contact['id']}"
    await api.post("/api/messages", json={"sender": tenant.user.id, "receiver": contact["id"], "content": "x"})
    one = await query_count(app, api, url)
    for _ in range(4):
        await api.post("/api/messages", json={"sender": tenant.user.id, "receiver": contact["id"], "content": "x"})
        await inject(anon_client, channel, "+12025550147", "y")
    assert await query_count(app, api, url) == one == 8  # auth, the contact, count, page, and the page's four
