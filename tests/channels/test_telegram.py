"""TG (Telegram bot): outgoing Bot API calls against a local fake Telegram, and webhook updates read into items."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sauti.channels import registry
from sauti.channels.base import (
    MASK,
    ChannelInfo,
    ContactEvent,
    HandlerError,
    InboundRequest,
    Incoming,
    Item,
    Outgoing,
    ProviderHTTP,
    SendError,
    SendResult,
)
from sauti.channels.types.telegram import TelegramType
from tests.support.fake_provider import FakeProvider, assert_request

CHANNEL_UUID = "d1f0c1a2-3b4c-4d5e-8f90-a1b2c3d4e5f6"
MSG_UUID = "0191e2a4-7d7e-7c1b-a7d0-3c5b1e7f2a10"
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "webhook-secret-0123456789"
KIND = TelegramType()
BOT = f"/bot{TOKEN}"
FORM = "application/x-www-form-urlencoded"
NO_KEYBOARD = '{"remove_keyboard": true}'


def channel(base_url: str, **config: Any) -> ChannelInfo:
    return ChannelInfo(
        uuid=CHANNEL_UUID,
        channel_type="TG",
        name="Sauti Bot",
        address="sauti_bot",
        country=None,
        schemes=("telegram",),
        config={"auth_token": TOKEN, "base_url": base_url, **config},
        callback_base="https://sauti.example.org",
    )


def outgoing(text: str = "Simple message", **kwargs: Any) -> Outgoing:
    values: dict[str, Any] = {"uuid": MSG_UUID, "text": text, "urn_scheme": "telegram", "urn_path": "12345"}
    values.update(kwargs)
    return Outgoing(**values)


def ok(message_id: int) -> tuple[int, Any]:
    return 200, {"ok": True, "result": {"message_id": message_id, "chat": {"id": 12345}, "date": 1700000000}}


def test_registered() -> None:
    kind = registry.by_code("TG")
    assert isinstance(kind, TelegramType)
    assert registry.by_slug("tg") is kind
    assert (kind.api_type, kind.schemes) == ("telegram", ("telegram",))
    assert kind.check_config({}) == ["missing config: auth_token"]
    assert kind.secrets(channel("http://x", secret_token=SECRET)) == [TOKEN, SECRET]


# --- outgoing ----------------------------------------------------------------------------------------------------

QUICK = ({"type": "text", "text": "Yes"}, {"type": "text", "text": "No, thanks"})
KEYBOARD = (
    '{"keyboard": [[{"text": "Yes"}], [{"text": "No, thanks"}]], "resize_keyboard": true, "one_time_keyboard": true}'
)
LONG = "x" * 4000 + " " + "y" * 200  # two messages at 4096


@dataclass
class Out:
    id: str
    msg: Outgoing
    requests: list[dict[str, Any]]
    responses: list[tuple[int, Any]] = field(default_factory=lambda: [ok(133)])
    config: dict[str, Any] = field(default_factory=dict)
    result: SendResult | None = field(default_factory=lambda: SendResult(external_id="133"))
    error: tuple[str, bool, str | None] | None = None


OUT_CASES = [
    Out(
        "plain_text_no_parse_mode",
        outgoing("Hello *world* _snake_case_ [x"),
        [
            {
                "method": "POST",
                "route": f"{BOT}/sendMessage",
                "content_type": FORM,
                "form": [
                    ("chat_id", "12345"),
                    ("text", "Hello *world* _snake_case_ [x"),
                    ("reply_markup", NO_KEYBOARD),
                ],
            }
        ],
    ),
    Out(
        "quick_replies_as_reply_keyboard",
        outgoing("Do you agree?", quick_replies=QUICK),
        [{"form": [("chat_id", "12345"), ("text", "Do you agree?"), ("reply_markup", KEYBOARD)]}],
    ),
    Out(
        "one_photo_with_caption",
        outgoing("Look", attachments=("image/jpeg:https://example.com/a.jpg",), quick_replies=QUICK[:1]),
        [
            {
                "route": f"{BOT}/sendPhoto",
                "form": [
                    ("chat_id", "12345"),
                    ("photo", "https://example.com/a.jpg"),
                    ("caption", "Look"),
                    (
                        "reply_markup",
                        '{"keyboard": [[{"text": "Yes"}]], "resize_keyboard": true, "one_time_keyboard": true}',
                    ),
                ],
            }
        ],
    ),
    Out(
        "video_audio_document_methods",
        outgoing(
            "Files",
            attachments=(
                "video/mp4:https://example.com/v.mp4",
                "audio/mpeg:https://example.com/s.mp3",
                "application/pdf:https://example.com/d.pdf",
            ),
        ),
        [
            {"route": f"{BOT}/sendMessage", "form": [("chat_id", "12345"), ("text", "Files")]},
            {"route": f"{BOT}/sendVideo", "form": [("chat_id", "12345"), ("video", "https://example.com/v.mp4")]},
            {"route": f"{BOT}/sendAudio", "form": [("chat_id", "12345"), ("audio", "https://example.com/s.mp3")]},
            {
                "route": f"{BOT}/sendDocument",
                "form": [
                    ("chat_id", "12345"),
                    ("document", "https://example.com/d.pdf"),
                    ("reply_markup", NO_KEYBOARD),
                ],
            },
        ],
        responses=[ok(133), ok(134), ok(135), ok(136)],
    ),
    Out(
        "attachment_without_text",
        outgoing("", attachments=("image/png:https://example.com/a.png",)),
        [
            {
                "route": f"{BOT}/sendPhoto",
                "form": [("chat_id", "12345"), ("photo", "https://example.com/a.png"), ("reply_markup", NO_KEYBOARD)],
            }
        ],
    ),
    Out(
        "text_too_long_for_caption_goes_first",
        outgoing("c" * 1100, attachments=("image/jpeg:https://example.com/a.jpg",)),
        [
            {"route": f"{BOT}/sendMessage", "form": [("chat_id", "12345"), ("text", "c" * 1100)]},
            {"route": f"{BOT}/sendPhoto", "form_has": {"photo": "https://example.com/a.jpg", "caption": None}},
        ],
        responses=[ok(133), ok(134)],
    ),
    Out(
        "long_text_split",
        outgoing(LONG),
        [
            {"form": [("chat_id", "12345"), ("text", "x" * 4000)]},
            {"form": [("chat_id", "12345"), ("text", "y" * 200), ("reply_markup", NO_KEYBOARD)]},
        ],
        responses=[ok(133), ok(134)],
    ),
    Out(
        "blocked_by_user",
        outgoing(),
        [{"route": f"{BOT}/sendMessage"}],
        responses=[(403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})],
        result=None,
        error=("contact_stopped", False, "403"),
    ),
    Out(
        "user_deactivated",
        outgoing(),
        [{"route": f"{BOT}/sendMessage"}],
        responses=[(403, {"ok": False, "error_code": 403, "description": "Forbidden: user is deactivated"})],
        result=None,
        error=("contact_stopped", False, "403"),
    ),
    Out(
        "other_forbidden_is_rejected",
        outgoing(),
        [{"route": f"{BOT}/sendMessage"}],
        responses=[(403, {"ok": False, "error_code": 403, "description": "Forbidden: bot is not a member"})],
        result=None,
        error=("rejected_with_reason", False, "403"),
    ),
    Out(
        "chat_not_found",
        outgoing(),
        [{"route": f"{BOT}/sendMessage"}],
        responses=[(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})],
        result=None,
        error=("rejected_with_reason", False, "400"),
    ),
    Out(
        "throttled",
        outgoing(),
        [{"route": f"{BOT}/sendMessage"}],
        responses=[
            (
                429,
                {"ok": False, "error_code": 429, "description": "Too Many Requests", "parameters": {"retry_after": 5}},
            )
        ],
        result=None,
        error=("connection_throttled", True, None),
    ),
    Out(
        "bad_gateway",
        outgoing(),
        [{"route": f"{BOT}/sendMessage"}],
        responses=[(502, "<html>Bad Gateway</html>")],
        result=None,
        error=("connection_failed", True, None),
    ),
    Out(
        "ok_false_without_code",
        outgoing(),
        [{"route": f"{BOT}/sendMessage"}],
        responses=[(200, {"ok": False})],
        result=None,
        error=("response_content", False, None),
    ),
    Out(
        "not_json",
        outgoing(),
        [{"route": f"{BOT}/sendMessage"}],
        responses=[(200, "hello")],
        result=None,
        error=("response_unparseable", False, None),
    ),
    Out(
        "ok_without_message_id",
        outgoing(),
        [{"route": f"{BOT}/sendMessage"}],
        responses=[(200, {"ok": True, "result": True})],
        result=None,
        error=("response_unexpected", False, None),
    ),
    Out(
        "second_request_fails",
        outgoing("Hi", attachments=("image/jpeg:https://e.com/1.jpg", "image/jpeg:https://e.com/2.jpg")),
        [{"route": f"{BOT}/sendMessage"}, {"route": f"{BOT}/sendPhoto"}],
        responses=[ok(1), (400, {"ok": False, "error_code": 400, "description": "Bad Request: wrong file"})],
        result=None,
        error=("rejected_with_reason", False, "400"),
    ),
    Out("empty_message", outgoing(""), [], responses=[], result=None, error=("message_invalid", False, None)),
    Out(
        "missing_token",
        outgoing(),
        [],
        responses=[],
        config={"auth_token": ""},
        result=None,
        error=("channel_config", False, None),
    ),
]


def program(provider: FakeProvider, responses: list[tuple[int, Any]]) -> None:
    for status, body in responses:
        if isinstance(body, dict):
            provider.respond_json(status, body)
        else:
            provider.respond(status, body)


@pytest.mark.parametrize("case", OUT_CASES, ids=[c.id for c in OUT_CASES])
async def test_send(case: Out, provider: FakeProvider, client: httpx.AsyncClient) -> None:
    program(provider, case.responses)
    chan = channel(provider.base_url, **case.config)
    http = ProviderHTTP(client, KIND.secrets(chan))
    if case.error:
        with pytest.raises(SendError) as caught:
            await KIND.send(chan, case.msg, http)
        assert (caught.value.code, caught.value.retryable, caught.value.ext_code) == case.error
    else:
        assert await KIND.send(chan, case.msg, http) == case.result
    assert len(provider.requests) == len(case.requests)
    for got, want in zip(provider.requests, case.requests, strict=True):
        assert "parse_mode" not in got.form_dict()
        assert_request(got, want)
    assert provider.pending == 0


async def test_token_masked_in_logs(provider: FakeProvider, client: httpx.AsyncClient) -> None:
    program(provider, [ok(133)])
    chan = channel(provider.base_url)
    http = ProviderHTTP(client, KIND.secrets(chan))
    await KIND.send(chan, outgoing(), http)
    assert provider.requests[0].route == f"/bot{TOKEN}/sendMessage"
    (log,) = http.logs
    assert TOKEN not in log.url + log.request + log.response
    assert log.url == f"{provider.base_url}/bot{MASK}/sendMessage"
    assert f"POST /bot{MASK}/sendMessage" in log.request


# --- incoming ----------------------------------------------------------------------------------------------------

USER = {"id": 3527065, "is_bot": False, "first_name": "Nic", "last_name": "Pottier", "username": "nicpottier"}


def update(message: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"update_id": 174114370, **extra}
    if message is not None:
        out["message"] = {
            "message_id": 41,
            "from": USER,
            "chat": {"id": 3527065, "type": "private", "first_name": "Nic"},
            "date": 1454119029,
            **message,
        }
    return out


DATE = datetime(2016, 1, 30, 1, 57, 9, tzinfo=UTC)
URN = "telegram:3527065"
PHOTO = [
    {"file_id": "small-id", "file_unique_id": "s", "file_size": 1000, "width": 90, "height": 60},
    {"file_id": "large-id", "file_unique_id": "l", "file_size": 50000, "width": 1280, "height": 853},
    {"file_id": "medium-id", "file_unique_id": "m", "file_size": 9000, "width": 320, "height": 213},
]


def file_ok(path: str) -> tuple[int, Any]:
    return 200, {"ok": True, "result": {"file_id": "x", "file_size": 1, "file_path": path}}


@dataclass
class In:
    id: str
    body: Any  # a dict is sent as JSON, bytes as they are
    items: list[Item] | None = None  # "BASE" in attachments stands for the fake provider's URL
    status: int | None = None
    responses: list[tuple[int, Any]] = field(default_factory=list)  # getFile answers
    file_ids: list[str] = field(default_factory=list)  # getFile requests expected, in order
    config: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


FILE = f"BASE/file/bot{TOKEN}"
IN_CASES = [
    In(
        "text",
        update({"text": "Hello World"}),
        [Incoming(URN, "Hello World", external_id="41", received_on=DATE, contact_name="Nic Pottier")],
    ),
    In(
        "name_from_username",
        update({"text": "hi", "from": {"id": 3527065, "username": "nicpottier"}}),
        [Incoming(URN, "hi", external_id="41", received_on=DATE, contact_name="nicpottier")],
    ),
    In(
        "no_name_at_all",
        update({"text": "hi", "from": {"id": 3527065}}),
        [Incoming(URN, "hi", external_id="41", received_on=DATE)],
    ),
    In("start_is_new_conversation", update({"text": "/start"}), [ContactEvent("new_conversation", URN, "Nic Pottier")]),
    In(
        "start_with_payload",
        update({"text": "/start campaign42"}),
        [ContactEvent("new_conversation", URN, "Nic Pottier")],
    ),
    In(
        "photo_with_caption_resolves_largest",
        update({"photo": PHOTO, "caption": "My pic"}),
        [
            Incoming(
                URN,
                "My pic",
                external_id="41",
                attachments=(f"image/jpeg:{FILE}/photos/file_1.jpg",),
                received_on=DATE,
                contact_name="Nic Pottier",
            )
        ],
        responses=[file_ok("photos/file_1.jpg")],
        file_ids=["large-id"],
    ),
    In(
        "document_uses_its_mime_type",
        update({"document": {"file_id": "doc-id", "file_name": "a.pdf", "mime_type": "application/pdf"}}),
        [
            Incoming(
                URN,
                "",
                external_id="41",
                attachments=(f"application/pdf:{FILE}/documents/file_2.pdf",),
                received_on=DATE,
                contact_name="Nic Pottier",
            )
        ],
        responses=[file_ok("documents/file_2.pdf")],
        file_ids=["doc-id"],
    ),
    In(
        "voice_default_type",
        update({"voice": {"file_id": "voice-id", "duration": 2}}),
        [
            Incoming(
                URN,
                "",
                external_id="41",
                attachments=(f"audio/ogg:{FILE}/voice/file_3.oga",),
                received_on=DATE,
                contact_name="Nic Pottier",
            )
        ],
        responses=[file_ok("voice/file_3.oga")],
        file_ids=["voice-id"],
    ),
    In(
        "location",
        update({"location": {"latitude": -2.910574, "longitude": -79.000239}}),
        [
            Incoming(
                URN,
                "",
                external_id="41",
                attachments=("geo:-2.910574,-79.000239",),
                received_on=DATE,
                contact_name="Nic Pottier",
            )
        ],
    ),
    In(
        "file_refused_keeps_caption",
        update({"photo": PHOTO[:1], "caption": "big"}),
        [Incoming(URN, "big", external_id="41", received_on=DATE, contact_name="Nic Pottier")],
        responses=[(400, {"ok": False, "error_code": 400, "description": "Bad Request: file is too big"})],
        file_ids=["small-id"],
    ),
    In(
        "file_refused_nothing_left_ignored",
        update({"photo": PHOTO[:1]}),
        [],
        responses=[(400, {"ok": False, "error_code": 400, "description": "Bad Request: file is too big"})],
        file_ids=["small-id"],
    ),
    In(
        "telegram_down_asks_for_redelivery",
        update({"photo": PHOTO[:1]}),
        status=503,
        responses=[(502, "Bad Gateway")],
        file_ids=["small-id"],
    ),
    In("edited_message_ignored", update(edited_message={"message_id": 41, "text": "x"}), []),
    In("channel_post_without_sender_ignored", update({"text": "news", "from": None}), []),
    In("unsupported_content_ignored", update({"poll": {"id": "1", "question": "?"}}), []),
    In("zero_message_id_ignored", update({"text": "x", "message_id": 0}), []),
    In("not_json", b"{not json", status=400),
    In("json_not_object", b"[1, 2]", status=400),
    In(
        "secret_token_matches",
        update({"text": "Hi"}),
        [Incoming(URN, "Hi", external_id="41", received_on=DATE, contact_name="Nic Pottier")],
        config={"secret_token": SECRET},
        headers={"x-telegram-bot-api-secret-token": SECRET},
    ),
    In("secret_token_missing", update({"text": "Hi"}), status=401, config={"secret_token": SECRET}),
    In(
        "secret_token_wrong",
        update({"text": "Hi"}),
        status=401,
        config={"secret_token": SECRET},
        headers={"x-telegram-bot-api-secret-token": "guess"},
    ),
]


def _with_base(items: list[Item], base: str) -> list[Item]:
    out: list[Item] = []
    for item in items:
        if isinstance(item, Incoming):
            item = dataclasses.replace(item, attachments=tuple(a.replace("BASE", base) for a in item.attachments))
        out.append(item)
    return out


@pytest.mark.parametrize("case", IN_CASES, ids=[c.id for c in IN_CASES])
async def test_receive(case: In, provider: FakeProvider, client: httpx.AsyncClient) -> None:
    program(provider, case.responses)
    chan = channel(provider.base_url, **case.config)
    http = ProviderHTTP(client, KIND.secrets(chan))
    body = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    request = InboundRequest(
        "POST",
        f"https://sauti.example.org/c/tg/{CHANNEL_UUID}/receive",
        {"content-type": "application/json", **case.headers},
        [],
        [],
        body,
    )
    if case.status is not None:
        with pytest.raises(HandlerError) as caught:
            await KIND.receive(chan, "receive", request, http)
        assert caught.value.status == case.status
    else:
        assert case.items is not None
        assert list(await KIND.receive(chan, "receive", request, http)) == _with_base(case.items, provider.base_url)
    assert [r.route for r in provider.requests] == [f"{BOT}/getFile"] * len(case.file_ids)
    for got, file_id in zip(provider.requests, case.file_ids, strict=True):
        assert_request(got, {"method": "POST", "content_type": FORM, "form": [("file_id", file_id)]})
    assert all(TOKEN not in log.url + log.request + log.response for log in http.logs)
    assert provider.pending == 0


async def test_unknown_action(client: httpx.AsyncClient) -> None:
    request = InboundRequest("POST", "https://sauti.example.org/x", {}, [], [], b"{}")
    with pytest.raises(HandlerError) as caught:
        await KIND.receive(channel("http://x"), "status", request, ProviderHTTP(client))
    assert caught.value.status == 404
