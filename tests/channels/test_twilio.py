"""T (Twilio): outgoing requests against a local fake Twilio, and signed incoming webhooks read into items."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

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
    Outcome,
    Outgoing,
    ProviderHTTP,
    SendError,
    SendResult,
    StatusUpdate,
)
from sauti.channels.types.twilio import TwilioType
from tests.support.fake_provider import FakeProvider, assert_request

CHANNEL_UUID = "4c5d7a10-1b6e-4e62-9d4f-0e8f5a1b2c3d"
MSG_UUID = "0191e2a4-7d7e-7c1b-a7d0-3c5b1e7f2a10"
SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "f00dfacecafe0123456789abcdef0123"
BASIC = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
PUBLIC = "https://sauti.example.org"
KIND = TwilioType()
PATH = f"/2010-04-01/Accounts/{SID}/Messages.json"
CALLBACK = f"{PUBLIC}/c/t/{CHANNEL_UUID}/status?uuid={MSG_UUID}&action=callback"


def channel(**config: Any) -> ChannelInfo:
    return ChannelInfo(
        uuid=CHANNEL_UUID,
        channel_type="T",
        name="Twilio",
        address="+12065551212",
        country="US",
        schemes=("tel",),
        config={"account_sid": SID, "auth_token": TOKEN, **config},
        callback_base=PUBLIC,
    )


def outgoing(text: str = "Simple message", **kwargs: Any) -> Outgoing:
    values: dict[str, Any] = {"uuid": MSG_UUID, "text": text, "urn_scheme": "tel", "urn_path": "+250788383383"}
    values.update(kwargs)
    return Outgoing(**values)


def test_registered() -> None:
    kind = registry.by_code("T")
    assert isinstance(kind, TwilioType)
    assert registry.by_slug("t") is kind
    assert (kind.api_type, kind.max_length) == ("twilio", 1600)
    assert kind.check_config({"account_sid": SID}) == ["missing config: auth_token"]
    # the token, and the Basic credentials that carry it in base64
    assert kind.secrets(channel()) == [TOKEN, BASIC]


# --- outgoing ----------------------------------------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"
_HALF = " ".join(f"word{i:03d}" for i in range(200))  # 1599 characters
LONG = _HALF + " " + _HALF  # 3199 characters: two parts at 1600, split at the middle space
PART1, PART2 = LONG[:1599], LONG[1600:]


@dataclass
class Out:
    id: str
    msg: Outgoing
    requests: list[dict[str, Any]]
    responses: list[tuple[int, Any]] = field(default_factory=lambda: [(201, {"sid": "SM0001"})])
    config: dict[str, Any] = field(default_factory=dict)
    result: SendResult | None = field(default_factory=lambda: SendResult(external_id="SM0001"))
    error: tuple[str, bool, str | None] | None = None  # (code, retryable, ext_code)


OUT_CASES = [
    Out(
        "plain_send",
        outgoing("Hi & welcome"),
        [
            {
                "method": "POST",
                "route": PATH,
                "content_type": FORM,
                "headers": {"authorization": f"Basic {BASIC}", "accept": "application/json"},
                "form": [
                    ("To", "+250788383383"),
                    ("Body", "Hi & welcome"),
                    ("From", "+12065551212"),
                    ("StatusCallback", CALLBACK),
                ],
            }
        ],
    ),
    Out(
        "messaging_service_replaces_from",
        outgoing("Hi"),
        [
            {
                "form": [
                    ("To", "+250788383383"),
                    ("Body", "Hi"),
                    ("MessagingServiceSid", "MG999"),
                    ("StatusCallback", CALLBACK),
                ]
            }
        ],
        config={"messaging_service_sid": "MG999"},
    ),
    Out(
        "long_text_split_media_on_first_part",
        outgoing(LONG, attachments=("image/jpeg:https://example.com/a.jpg", "https://example.com/b.pdf")),
        [
            {
                "form": [
                    ("To", "+250788383383"),
                    ("Body", PART1),
                    ("From", "+12065551212"),
                    ("StatusCallback", CALLBACK),
                    ("MediaUrl", "https://example.com/a.jpg"),
                    ("MediaUrl", "https://example.com/b.pdf"),
                ]
            },
            {
                "form": [
                    ("To", "+250788383383"),
                    ("Body", PART2),
                    ("From", "+12065551212"),
                    ("StatusCallback", CALLBACK),
                ]
            },
        ],
        responses=[(201, {"sid": "SM0001"}), (201, {"sid": "SM0002"})],
    ),
    Out(
        "media_without_text",
        outgoing("", attachments=("video/mp4:https://example.com/v.mp4",)),
        [{"form_has": {"Body": "", "MediaUrl": "https://example.com/v.mp4"}}],
    ),
    Out(
        "server_error_retries",
        outgoing(),
        [{"route": PATH}],
        responses=[(500, {"code": 20500, "message": "Internal Server Error"})],
        result=None,
        error=("connection_failed", True, None),
    ),
    Out(
        "throttled_retries",
        outgoing(),
        [{"route": PATH}],
        responses=[(429, {"code": 20429, "message": "Too Many Requests"})],
        result=None,
        error=("connection_throttled", True, None),
    ),
    Out(
        "stopped_recipient",
        outgoing(),
        [{"route": PATH}],
        responses=[(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400})],
        result=None,
        error=("contact_stopped", False, "21610"),
    ),
    Out(
        "provider_error_code",
        outgoing(),
        [{"route": PATH}],
        responses=[(400, {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400})],
        result=None,
        error=("rejected_with_reason", False, "21211"),
    ),
    Out(
        "client_error_without_code",
        outgoing(),
        [{"route": PATH}],
        responses=[(401, "Unauthorized")],
        result=None,
        error=("response_status", False, None),
    ),
    Out(
        "success_not_json",
        outgoing(),
        [{"route": PATH}],
        responses=[(201, "<html>ok</html>")],
        result=None,
        error=("response_unparseable", False, None),
    ),
    Out(
        "success_without_sid",
        outgoing(),
        [{"route": PATH}],
        responses=[(201, {"status": "queued"})],
        result=None,
        error=("response_unexpected", False, None),
    ),
    Out(
        "second_part_fails",
        outgoing(LONG),
        [{"form_has": {"Body": PART1}}, {"form_has": {"Body": PART2}}],
        responses=[(201, {"sid": "SM0001"}), (503, "")],
        result=None,
        error=("connection_failed", True, None),
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


@pytest.mark.parametrize("case", OUT_CASES, ids=[c.id for c in OUT_CASES])
async def test_send(case: Out, provider: FakeProvider, client: httpx.AsyncClient) -> None:
    for status, body in case.responses:
        if isinstance(body, dict):
            provider.respond_json(status, body)
        else:
            provider.respond(status, body)
    chan = channel(base_url=provider.base_url, **case.config)
    http = ProviderHTTP(client, KIND.secrets(chan))
    if case.error:
        with pytest.raises(SendError) as caught:
            await KIND.send(chan, case.msg, http)
        assert (caught.value.code, caught.value.retryable, caught.value.ext_code) == case.error
    else:
        assert await KIND.send(chan, case.msg, http) == case.result
    assert len(provider.requests) == len(case.requests)
    for got, want in zip(provider.requests, case.requests, strict=True):
        assert_request(got, want)
    assert provider.pending == 0


async def test_token_masked_in_logs(provider: FakeProvider, client: httpx.AsyncClient) -> None:
    provider.respond_json(400, {"code": 20003, "message": f"Authenticate {TOKEN}"})
    chan = channel(base_url=provider.base_url)
    http = ProviderHTTP(client, KIND.secrets(chan))
    with pytest.raises(SendError):
        await KIND.send(chan, outgoing(), http)
    assert provider.requests[0].headers["authorization"] == f"Basic {BASIC}"
    (log,) = http.logs
    dumped = log.url + log.request + log.response
    assert TOKEN not in dumped
    assert BASIC not in dumped
    assert f"authorization: Basic {MASK}" in log.request
    assert f"Authenticate {MASK}" in log.response


def test_long_text_parts() -> None:
    assert len(LONG) > 1600 and len(PART1) <= 1600 and PART1 + " " + PART2 == LONG


# --- incoming ----------------------------------------------------------------------------------------------------


def sign(url: str, form: Sequence[tuple[str, str]], token: str = TOKEN) -> str:
    """Twilio's algorithm, written out independently of the module under test."""
    data = url
    for name, value in sorted(form, key=lambda kv: kv[0]):
        data += name + value
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


SENDER = "+250788383383"
RECEIVE_URL = f"{PUBLIC}/c/t/{CHANNEL_UUID}/receive"
STATUS_URL = f"{PUBLIC}/c/t/{CHANNEL_UUID}/status"
BASE_FORM = [("MessageSid", "SM1234"), ("AccountSid", SID), ("From", SENDER), ("To", "+12065551212")]


@dataclass
class In:
    id: str
    action: str
    form: list[tuple[str, str]]
    url: str = RECEIVE_URL  # the URL our server saw
    signed_url: str | None = None  # the URL Twilio signed (default: ``url``)
    signature: str | None = "valid"  # "valid", None (no header) or a literal value
    headers: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    items: list[Item] | None = None
    status: int | None = None


IN_CASES = [
    In(
        "receive_text",
        "receive",
        [*BASE_FORM, ("Body", "Hello there"), ("NumMedia", "0")],
        items=[Incoming(f"tel:{SENDER}", "Hello there", external_id="SM1234")],
    ),
    In(
        "receive_media",
        "receive",
        [
            *BASE_FORM,
            ("Body", ""),
            ("NumMedia", "2"),
            ("MediaUrl0", "https://api.twilio.com/media/ME1"),
            ("MediaContentType0", "image/jpeg"),
            ("MediaUrl1", "https://api.twilio.com/media/ME2"),
        ],
        items=[
            Incoming(
                f"tel:{SENDER}",
                "",
                external_id="SM1234",
                attachments=(
                    "image/jpeg:https://api.twilio.com/media/ME1",
                    "application/octet-stream:https://api.twilio.com/media/ME2",
                ),
            )
        ],
    ),
    In(
        "receive_local_number_read_with_from_country",
        "receive",
        [("MessageSid", "SM9"), ("AccountSid", SID), ("From", "0788383383"), ("To", "4040"), ("FromCountry", "RW")],
        items=[Incoming(f"tel:{SENDER}", "", external_id="SM9")],
    ),
    In("receive_missing_signature", "receive", [*BASE_FORM, ("Body", "x")], signature=None, status=400),
    In(
        "receive_wrong_signature",
        "receive",
        [*BASE_FORM, ("Body", "x")],
        signature="AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        status=400,
    ),
    In(
        "receive_signed_with_other_token",
        "receive",
        [*BASE_FORM, ("Body", "x")],
        signature=sign(RECEIVE_URL, [*BASE_FORM, ("Body", "x")], token="0" * 32),
        status=400,
    ),
    In(
        "receive_tampered_body",
        "receive",
        [*BASE_FORM, ("Body", "tampered")],
        signature=sign(RECEIVE_URL, [*BASE_FORM, ("Body", "original")]),
        status=400,
    ),
    In(
        "receive_behind_tls_proxy",
        "receive",
        [*BASE_FORM, ("Body", "x")],
        url=f"http://sauti.example.org/c/t/{CHANNEL_UUID}/receive",
        signed_url=RECEIVE_URL,
        items=[Incoming(f"tel:{SENDER}", "x", external_id="SM1234")],
    ),
    In(
        "receive_internal_url_public_callback_signed",
        "receive",
        [*BASE_FORM, ("Body", "x")],
        url=f"http://10.0.0.5:8000/c/t/{CHANNEL_UUID}/receive",
        signed_url=RECEIVE_URL,
        items=[Incoming(f"tel:{SENDER}", "x", external_id="SM1234")],
    ),
    In(
        "receive_forwarded_path",
        "receive",
        [*BASE_FORM, ("Body", "x")],
        url=f"http://10.0.0.5:8000/c/t/{CHANNEL_UUID}/receive",
        signed_url=f"https://edge.example.net/sauti/c/t/{CHANNEL_UUID}/receive",
        headers={"host": "edge.example.net", "x-forwarded-path": f"/sauti/c/t/{CHANNEL_UUID}/receive"},
        items=[Incoming(f"tel:{SENDER}", "x", external_id="SM1234")],
    ),
    In("receive_missing_from", "receive", [("MessageSid", "SM1"), ("AccountSid", SID), ("To", "+1")], status=400),
    In(
        "status_delivered_by_uuid",
        "status",
        [("MessageSid", "SM0001"), ("MessageStatus", "delivered"), ("To", SENDER)],
        url=f"{STATUS_URL}?uuid={MSG_UUID}&action=callback",
        items=[StatusUpdate("delivered", msg_uuid=MSG_UUID, external_id="SM0001")],
    ),
    In(
        "status_undelivered_by_sid",
        "status",
        [("MessageSid", "SM0001"), ("MessageStatus", "undelivered"), ("ErrorCode", "30003")],
        url=STATUS_URL,
        items=[StatusUpdate("failed", external_id="SM0001", error="30003")],
    ),
    In(
        "status_queued_is_sent_and_bad_uuid_ignored",
        "status",
        [("MessageSid", "SM0001"), ("MessageStatus", "queued")],
        url=f"{STATUS_URL}?uuid=not-a-uuid",
        items=[StatusUpdate("sent", external_id="SM0001")],
    ),
    In(
        "status_stopped_recipient",
        "status",
        [("MessageSid", "SM0001"), ("MessageStatus", "failed"), ("ErrorCode", "21610"), ("To", SENDER)],
        url=STATUS_URL,
        items=[
            StatusUpdate("failed", external_id="SM0001", error="21610"),
            ContactEvent("stop_contact", f"tel:{SENDER}"),
        ],
    ),
    In(
        "status_rate_limited_is_errored",
        "status",
        [("MessageSid", "SM0001"), ("MessageStatus", "failed"), ("ErrorCode", "63018")],
        url=STATUS_URL,
        items=[StatusUpdate("errored", external_id="SM0001", error="63018")],
    ),
    In(
        "status_accepted_ignored",
        "status",
        [("MessageSid", "SM0001"), ("MessageStatus", "accepted")],
        url=STATUS_URL,
        items=[],
    ),
    In(
        "status_ignore_dlrs_delivered",
        "status",
        [("MessageSid", "SM0001"), ("MessageStatus", "delivered")],
        url=STATUS_URL,
        config={"ignore_dlrs": True},
        items=[],
    ),
    In(
        "status_ignore_dlrs_failed_still_counts",
        "status",
        [("MessageSid", "SM0001"), ("MessageStatus", "failed")],
        url=STATUS_URL,
        config={"ignore_dlrs": True},
        items=[StatusUpdate("failed", external_id="SM0001")],
    ),
    In(
        "status_unsigned",
        "status",
        [("MessageSid", "SM0001"), ("MessageStatus", "delivered")],
        url=STATUS_URL,
        signature=None,
        status=400,
    ),
    In("status_missing_status", "status", [("MessageSid", "SM0001")], url=STATUS_URL, status=400),
    In("unknown_action", "bogus", BASE_FORM, status=404),
]


def inbound(case: In) -> InboundRequest:
    headers = {"content-type": "application/x-www-form-urlencoded", **case.headers}
    if case.signature == "valid":
        headers["x-twilio-signature"] = sign(case.signed_url or case.url, case.form)
    elif case.signature is not None:
        headers["x-twilio-signature"] = case.signature
    query = httpx.URL(case.url).params.multi_items()
    return InboundRequest("POST", case.url, headers, query, case.form, urlencode(case.form).encode())


@pytest.mark.parametrize("case", IN_CASES, ids=[c.id for c in IN_CASES])
async def test_receive(case: In, client: httpx.AsyncClient) -> None:
    chan = channel(**case.config)
    http = ProviderHTTP(client, KIND.secrets(chan))
    if case.status is not None:
        with pytest.raises(HandlerError) as caught:
            await KIND.receive(chan, case.action, inbound(case), http)
        assert caught.value.status == case.status
    else:
        assert list(await KIND.receive(chan, case.action, inbound(case), http)) == case.items


def test_reply_is_empty_twiml() -> None:
    reply = KIND.reply([], Outcome(message_uuids=[MSG_UUID]))
    assert (reply.status, reply.content_type) == (200, "text/xml")
    assert reply.body == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    refused = KIND.error_reply(HandlerError("invalid request signature"))
    assert refused.status == 400
