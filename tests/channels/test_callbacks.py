"""Provider requests end to end: ``/c/<slug>/<channel uuid>/<action>`` through the app, into the database.

Each test posts what a real provider would post (signed Twilio forms, EX gateway forms, Telegram JSON updates)
and checks both the HTTP answer and the rows it left: contacts, URNs, messages and channel logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sauti.channels.base import MASK
from sauti.domain.channels import service as channels
from sauti.domain.messages.send import Content, queue_one
from sauti.models import Channel, ChannelLog, Contact, ContactURN, Media, Message, Workspace
from tests.conftest import Tenant
from tests.support.fake_provider import FakeProvider, fake_provider

DB = async_sessionmaker[AsyncSession]
SID = "AC0123456789abcdef0123456789abcdef"
TW_TOKEN = "f00dfacecafe0123456789abcdef0123"
TG_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TG_SECRET = "webhook-secret-0123456789"


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with fake_provider() as p:
        yield p


async def add(db: DB, tenant: Tenant, channel_type: str, address: str, config: dict[str, Any]) -> Channel:
    async with db() as session:
        workspace = await session.get(Workspace, tenant.workspace.id)
        assert workspace is not None
        channel = await channels.add(
            session,
            workspace,
            channel_type=channel_type,
            name=f"{channel_type} channel",
            address=address,
            config=config,
        )
        await session.commit()
        return channel


async def count(db: DB, model: Any, *where: Any) -> int:
    async with db() as session:
        return int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def rows(db: DB, model: Any, *where: Any, order: Any = None) -> list[Any]:
    async with db() as session:
        stmt = select(model).where(*where).order_by(order if order is not None else model.id)
        return list((await session.execute(stmt)).scalars())


async def contact_by_urn(db: DB, identity: str) -> Contact:
    async with db() as session:
        urn = (await session.execute(select(ContactURN).where(ContactURN.identity == identity))).scalar_one()
        contact = await session.get(Contact, urn.contact_id)
        assert contact is not None
        return contact


def twilio_signature(url: str, form: Sequence[tuple[str, str]], token: str = TW_TOKEN) -> str:
    data = url + "".join(k + v for k, v in sorted(form, key=lambda kv: kv[0]))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


async def post_twilio(client: httpx.AsyncClient, path: str, form: list[tuple[str, str]], **kw: Any) -> httpx.Response:
    signature = kw.get("signature") or twilio_signature(f"http://testserver{path}", form)
    return await client.post(path, data=dict(form), headers={"X-Twilio-Signature": signature})


def log_text(log: ChannelLog) -> str:
    return json.dumps(log.http_logs) + json.dumps(log.errors)


# --- Twilio ------------------------------------------------------------------------------------------------------


async def test_twilio_receive_signed_and_deduplicated(anon_client: httpx.AsyncClient, tenant: Tenant, db: DB) -> None:
    channel = await add(db, tenant, "T", "+250788000001", {"account_sid": SID, "auth_token": TW_TOKEN})
    path = f"/c/t/{channel.uuid}/receive"
    form = [
        ("MessageSid", "SM0001"),
        ("AccountSid", SID),
        ("From", "0788 383 383"),  # a local number: read with the channel's country (RW)
        ("To", "+250788000001"),
        ("Body", "Hello from Kigali"),
        ("NumMedia", "0"),
    ]

    first = await post_twilio(anon_client, path, form)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("text/xml")
    assert first.text == '<?xml version="1.0" encoding="UTF-8"?><Response/>'

    (urn,) = await rows(db, ContactURN)
    assert (urn.identity, urn.channel_id) == ("tel:+250788383383", channel.id)
    (contact,) = await rows(db, Contact)
    assert (contact.id, contact.status, contact.workspace_id) == (urn.contact_id, "active", tenant.workspace.id)
    (message,) = await rows(db, Message)
    assert (message.direction, message.status, message.text) == ("in", "handled", "Hello from Kigali")
    assert (message.external_id, message.channel_id, message.contact_id) == ("SM0001", channel.id, contact.id)

    # Twilio retries the same webhook: answered 200, nothing new stored
    again = await post_twilio(anon_client, path, form)
    assert again.status_code == 200 and again.text == first.text
    assert await count(db, Message) == 1 and await count(db, Contact) == 1

    logs = await rows(db, ChannelLog)
    assert [(log.channel_id, log.log_type, log.is_error) for log in logs] == [(channel.id, "msg_receive", False)] * 2
    assert "Body=Hello+from+Kigali" in logs[0].http_logs[0]["request"]
    assert "<Response/>" in logs[0].http_logs[0]["response"]
    assert all(TW_TOKEN not in log_text(log) for log in logs)


async def test_twilio_bad_signature_refused(anon_client: httpx.AsyncClient, tenant: Tenant, db: DB) -> None:
    channel = await add(db, tenant, "T", "+250788000001", {"account_sid": SID, "auth_token": TW_TOKEN})
    path = f"/c/t/{channel.uuid}/receive"
    form = [("MessageSid", "SM0001"), ("AccountSid", SID), ("From", "+250788383383"), ("To", "+250788000001")]
    forged = [*form, ("Body", "give me money")]
    bad = await post_twilio(anon_client, path, forged, signature=twilio_signature(f"http://testserver{path}", form))
    assert bad.status_code == 400
    assert bad.json() == {"message": "Error", "data": [{"type": "error", "error": "invalid request signature"}]}
    unsigned = await anon_client.post(path, data=dict(forged))
    assert unsigned.status_code == 400
    assert await count(db, Message) == 0 and await count(db, Contact) == 0
    logs = await rows(db, ChannelLog)
    assert [(log.channel_id, log.log_type, log.is_error) for log in logs] == [(channel.id, "msg_receive", True)] * 2
    assert [log.errors[0]["message"] for log in logs] == ["invalid request signature", "missing request signature"]


async def test_twilio_status_callback(anon_client: httpx.AsyncClient, tenant: Tenant, db: DB) -> None:
    channel = await add(db, tenant, "T", "+250788000001", {"account_sid": SID, "auth_token": TW_TOKEN})
    receive = [("MessageSid", "SM1"), ("AccountSid", SID), ("From", "+250788383383"), ("To", "+250788000001")]
    assert (await post_twilio(anon_client, f"/c/t/{channel.uuid}/receive", receive)).status_code == 200
    contact = await contact_by_urn(db, "tel:+250788383383")
    async with db() as session:
        workspace = await session.get(Workspace, tenant.workspace.id)
        assert workspace is not None
        sent = await queue_one(session, workspace, contact, Content(text="Thanks!"))
        sent.status, sent.external_id = "wired", "SM9999"
        await session.commit()

    # matched by the uuid we put in the StatusCallback URL
    path = f"/c/t/{channel.uuid}/status?uuid={sent.uuid}&action=callback"
    resp = await post_twilio(anon_client, path, [("MessageSid", "SM9999"), ("MessageStatus", "delivered")])
    assert resp.status_code == 200 and resp.text.endswith("<Response/>")
    (stored,) = await rows(db, Message, Message.uuid == sent.uuid)
    assert stored.status == "delivered" and stored.sent_on is not None

    # matched by Twilio's sid when no uuid is given
    path = f"/c/t/{channel.uuid}/status"
    resp = await post_twilio(anon_client, path, [("MessageSid", "SM9999"), ("MessageStatus", "read")])
    assert resp.status_code == 200
    (stored,) = await rows(db, Message, Message.uuid == sent.uuid)
    assert stored.status == "read"
    logs = await rows(db, ChannelLog, ChannelLog.log_type == "msg_status")
    assert len(logs) == 2 and all(log.channel_id == channel.id for log in logs)


# --- EX ----------------------------------------------------------------------------------------------------------


async def test_ex_receive_and_delivery_report(anon_client: httpx.AsyncClient, tenant: Tenant, db: DB) -> None:
    channel = await add(db, tenant, "EX", "+250788000002", {"send_url": "http://127.0.0.1:9/send"})
    resp = await anon_client.post(
        f"/c/ex/{channel.uuid}/receive",
        data={"from": "+250788383384", "text": "Join", "date": "2024-03-01T08:50:00.000Z"},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["message"] == "Message Accepted"
    (received,) = await rows(db, Message)
    assert body["data"] == [{"type": "msg", "msg_uuid": received.uuid}]
    assert (received.direction, received.status, received.text) == ("in", "handled", "Join")
    assert received.created_on.isoformat().startswith("2024-03-01T08:50:00")

    contact = await contact_by_urn(db, "tel:+250788383384")
    async with db() as session:
        workspace = await session.get(Workspace, tenant.workspace.id)
        assert workspace is not None
        sent = await queue_one(session, workspace, contact, Content(text="Welcome!"))
        assert (sent.status, sent.channel_id) == ("queued", channel.id)
        sent.status = "wired"  # as the outbox leaves it after the gateway accepted it
        await session.commit()

    resp = await anon_client.get(f"/c/ex/{channel.uuid}/delivered", params={"id": sent.uuid})
    assert resp.status_code == 200, resp.text
    assert resp.json()["message"] == "Status Update Accepted"
    (stored,) = await rows(db, Message, Message.uuid == sent.uuid)
    assert stored.status == "delivered" and stored.sent_on is not None

    logs = await rows(db, ChannelLog)
    assert [(log.channel_id, log.log_type, log.is_error) for log in logs] == [
        (channel.id, "msg_receive", False),
        (channel.id, "msg_status", False),
    ]
    assert sent.uuid in logs[1].http_logs[0]["url"]


async def test_ex_bad_requests_refused(anon_client: httpx.AsyncClient, tenant: Tenant, db: DB) -> None:
    channel = await add(db, tenant, "EX", "+250788000002", {"send_url": "http://127.0.0.1:9/send"})
    bad = await anon_client.post(f"/c/ex/{channel.uuid}/delivered", data={"id": "not-a-uuid"})
    assert bad.status_code == 400 and bad.json()["message"] == "Error"
    missing = await anon_client.post(f"/c/ex/{channel.uuid}/receive", data={"text": "no sender"})
    assert missing.status_code == 400
    assert await count(db, Message) == 0 and await count(db, Contact) == 0
    logs = await rows(db, ChannelLog)
    assert [(log.log_type, log.is_error) for log in logs] == [("msg_receive", True)] * 2


async def test_stop_keyword_and_reactivation(anon_client: httpx.AsyncClient, tenant: Tenant, db: DB) -> None:
    channel = await add(db, tenant, "EX", "+250788000002", {"send_url": "http://127.0.0.1:9/send"})
    url = f"/c/ex/{channel.uuid}/receive"
    sender = "+250788383385"

    assert (await anon_client.post(url, data={"from": sender, "text": "hi"})).status_code == 200
    assert (await contact_by_urn(db, f"tel:{sender}")).status == "active"

    assert (await anon_client.post(url, data={"from": sender, "text": " Stop "})).status_code == 200
    assert (await contact_by_urn(db, f"tel:{sender}")).status == "stopped"

    assert (await anon_client.post(url, data={"from": sender, "text": "I'm back"})).status_code == 200
    assert (await contact_by_urn(db, f"tel:{sender}")).status == "active"

    # the gateway itself reports an opt-out
    resp = await anon_client.post(f"/c/ex/{channel.uuid}/stopped", data={"from": sender})
    assert resp.status_code == 200 and resp.json()["message"] == "Event Accepted"
    assert (await contact_by_urn(db, f"tel:{sender}")).status == "stopped"
    messages = await rows(db, Message)
    assert [(m.text, m.status) for m in messages] == [("hi", "handled"), (" Stop ", "handled"), ("I'm back", "handled")]
    assert [log.log_type for log in await rows(db, ChannelLog)] == ["msg_receive"] * 3 + ["event_receive"]


# --- Telegram ----------------------------------------------------------------------------------------------------


def tg_update(message: dict[str, Any]) -> dict[str, Any]:
    user = {"id": 3527065, "is_bot": False, "first_name": "Nic", "last_name": "Pottier", "username": "nicpottier"}
    return {
        "update_id": 174114370,
        "message": {"message_id": 41, "from": user, "chat": {"id": 3527065, "type": "private"}, "date": 1454119029}
        | message,
    }


async def test_telegram_update_with_secret_token(
    anon_client: httpx.AsyncClient, tenant: Tenant, db: DB, provider: FakeProvider
) -> None:
    config = {"auth_token": TG_TOKEN, "secret_token": TG_SECRET, "base_url": provider.base_url}
    channel = await add(db, tenant, "TG", "sauti_bot", config)
    url = f"/c/tg/{channel.uuid}/receive"
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}

    started = await anon_client.post(url, json=tg_update({"text": "/start"}), headers=headers)
    assert started.status_code == 200 and started.json()["message"] == "Event Accepted"
    assert await count(db, Message) == 0
    contact = await contact_by_urn(db, "telegram:3527065")
    assert contact.name == "Nic Pottier"

    provider.respond_json(200, {"ok": True, "result": {"file_id": "p2", "file_path": "photos/file_7.jpg"}})
    provider.respond(200, b"\xff\xd8JPEGDATA", "image/jpeg")  # the file itself, fetched into our storage
    photo = [{"file_id": "p1", "width": 90, "height": 90}, {"file_id": "p2", "width": 800, "height": 800}]
    resp = await anon_client.post(
        url, json=tg_update({"message_id": 42, "photo": photo, "caption": "my cat"}), headers=headers
    )
    assert resp.status_code == 200, resp.text
    getfile, download = provider.requests
    assert (getfile.route, getfile.form()) == (f"/bot{TG_TOKEN}/getFile", [("file_id", "p2")])
    assert download.route == f"/file/bot{TG_TOKEN}/photos/file_7.jpg"
    (message,) = await rows(db, Message)
    assert (message.text, message.external_id, message.status, message.contact_id) == (
        "my cat",
        "42",
        "handled",
        contact.id,
    )
    # the stored attachment is our own copy: the provider's URL carries the bot token, API users must not see it
    (attachment,) = message.attachments
    assert TG_TOKEN not in attachment and attachment.startswith("image/jpeg:http://") and "/media/" in attachment
    (media,) = await rows(db, Media)
    assert (media.content_type, media.size, media.filename) == ("image/jpeg", 10, "file_7.jpg")
    served = await anon_client.get(attachment.split(":", 1)[1].replace("http://127.0.0.1:8000", ""))
    assert served.status_code == 200 and served.content == b"\xff\xd8JPEGDATA"

    logs = await rows(db, ChannelLog)
    assert [(log.log_type, log.is_error, len(log.http_logs)) for log in logs] == [
        ("event_receive", False, 1),
        ("msg_receive", False, 3),  # the update, the getFile call it needed, and the download
    ]
    for log in logs:
        assert TG_TOKEN not in log_text(log) and TG_SECRET not in log_text(log)
    assert f"x-telegram-bot-api-secret-token: {MASK}" in logs[0].http_logs[0]["request"]
    assert logs[1].http_logs[1]["url"] == f"{provider.base_url}/bot{MASK}/getFile"


async def test_telegram_wrong_secret_refused(anon_client: httpx.AsyncClient, tenant: Tenant, db: DB) -> None:
    config = {"auth_token": TG_TOKEN, "secret_token": TG_SECRET, "base_url": "http://127.0.0.1:9"}
    channel = await add(db, tenant, "TG", "sauti_bot", config)
    url = f"/c/tg/{channel.uuid}/receive"
    refused = await anon_client.post(url, json=tg_update({"message_id": 43, "text": "x"}))
    assert refused.status_code == 401
    wrong = await anon_client.post(
        url, json=tg_update({"message_id": 44, "text": "x"}), headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
    )
    assert wrong.status_code == 401
    assert await count(db, Message) == 0 and await count(db, Contact) == 0
    logs = await rows(db, ChannelLog)
    assert [(log.log_type, log.is_error) for log in logs] == [("msg_receive", True)] * 2
    assert all(TG_SECRET not in log_text(log) for log in logs)
    assert f"x-telegram-bot-api-secret-token: {MASK}" in logs[1].http_logs[0]["request"]


async def test_unknown_channel_is_404(anon_client: httpx.AsyncClient, tenant: Tenant, db: DB) -> None:
    channel = await add(db, tenant, "EX", "+250788000002", {"send_url": "http://127.0.0.1:9/send"})
    # the right uuid under another type's slug names no channel
    resp = await anon_client.post(f"/c/t/{channel.uuid}/receive", data={"from": "+250788383383"})
    assert resp.status_code == 404
    assert await count(db, ChannelLog) == 0
