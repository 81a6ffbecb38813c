"""EX (External API): outgoing requests against a local fake gateway, and incoming requests read into items."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    Outgoing,
    ProviderHTTP,
    SendError,
    SendResult,
    StatusUpdate,
)
from sauti.channels.types.external import ExternalType
from tests.support.fake_provider import FakeProvider, assert_request
from tests.support.postgres import free_port

CHANNEL_UUID = "8eb23e93-5ecb-45ba-b726-3b064e0c56ab"
MSG_UUID = "0191e2a4-7d7e-7c1b-a7d0-3c5b1e7f2a10"
KIND = ExternalType()


def channel(config: dict[str, Any], schemes: tuple[str, ...] = ("tel",), country: str | None = "RW") -> ChannelInfo:
    return ChannelInfo(
        uuid=CHANNEL_UUID,
        channel_type="EX",
        name="Gateway",
        address="+12065551212",
        country=country,
        schemes=schemes,
        config=config,
        callback_base="https://sauti.example.org",
    )


def outgoing(text: str = "Simple message", **kwargs: Any) -> Outgoing:
    values: dict[str, Any] = {"uuid": MSG_UUID, "text": text, "urn_scheme": "tel", "urn_path": "+250788383383"}
    values.update(kwargs)
    return Outgoing(**values)


def test_registered() -> None:
    kind = registry.by_code("EX")
    assert isinstance(kind, ExternalType)
    assert registry.by_slug("ex") is kind
    assert kind.api_type == "external"
    assert kind.check_config({}) == ["missing config: send_url"]
    assert kind.check_config({"send_url": "http://x", "method": "DELETE", "content_type": "yaml"}) == [
        "method must be one of GET, POST, PUT",
        "content_type must be urlencoded, json, xml or a MIME type",
    ]


# --- outgoing ----------------------------------------------------------------------------------------------------

QUICK = ({"type": "text", "text": "Yes"}, {"type": "text", "text": "No way"})
FORM = "application/x-www-form-urlencoded"


@dataclass
class Out:
    id: str
    config: dict[str, Any]  # "BASE" in send_url is replaced by the fake provider's URL
    msg: Outgoing
    requests: list[dict[str, Any]]  # what the provider must have received, in order
    responses: list[tuple[int, str]] = field(default_factory=list)
    result: SendResult | None = field(default_factory=SendResult)
    error: tuple[str, bool] | None = None  # (code, retryable)


OUT_CASES = [
    Out(
        "default_template_urlencoded",
        {"send_url": "BASE/send"},
        outgoing("Hi there & welcome!"),
        [
            {
                "method": "POST",
                "route": "/send",
                "content_type": FORM,
                "form": [
                    ("uuid", MSG_UUID),
                    ("text", "Hi there & welcome!"),
                    ("to", "+250788383383"),
                    ("to_no_plus", "250788383383"),
                    ("from", "+12065551212"),
                    ("from_no_plus", "12065551212"),
                    ("channel", CHANNEL_UUID),
                ],
                "no_headers": ["authorization"],
            }
        ],
    ),
    Out(
        "get_variables_in_url_are_query_escaped",
        {"send_url": "BASE/send?to={{to}}&text={{text}}&from={{from_no_plus}}&id={{id}}", "method": "GET"},
        outgoing("Is 1+1=2? yes & no"),
        [
            {
                "method": "GET",
                "route": "/send",
                "query": [
                    ("to", "+250788383383"),
                    ("text", "Is 1+1=2? yes & no"),
                    ("from", "12065551212"),
                    ("id", MSG_UUID),
                ],
                "body": "",
                "no_headers": ["content-type"],
            }
        ],
    ),
    Out(
        "json_body_values_are_string_literals",
        {
            "send_url": "BASE/api",
            "content_type": "json",
            "body": '{"to": {{to}}, "text": {{text}}, "replies": {{quick_replies}}, "ch": {{channel}}}',
        },
        outgoing('He said "hi"\n— café', quick_replies=QUICK),
        [
            {
                "method": "POST",
                "route": "/api",
                "content_type": "application/json",
                "json": {
                    "to": "+250788383383",
                    "text": 'He said "hi"\n— café',
                    "replies": ["Yes", "No way"],
                    "ch": CHANNEL_UUID,
                },
            }
        ],
    ),
    Out(
        "json_without_quick_replies_is_empty_array",
        {"send_url": "BASE/api", "content_type": "json", "body": '{"text": {{text}}, "replies": {{quick_replies}}}'},
        outgoing("plain"),
        [{"json": {"text": "plain", "replies": []}}],
    ),
    Out(
        "xml_body_values_are_escaped",
        {
            "send_url": "BASE/xml",
            "content_type": "xml",
            "body": "<msg><to>{{to}}</to><text>{{text}}</text><qr>{{quick_replies}}</qr></msg>",
        },
        outgoing("<b>Tom & 'Jerry'</b>", quick_replies=QUICK),
        [
            {
                "content_type": "text/xml; charset=utf-8",
                "body": "<msg><to>+250788383383</to><text>&lt;b&gt;Tom &amp; &apos;Jerry&apos;&lt;/b&gt;</text>"
                "<qr><item>Yes</item><item>No way</item></qr></msg>",
            }
        ],
    ),
    Out(
        "literal_mime_type_inserts_values_as_is",
        {"send_url": "BASE/plain", "content_type": "text/plain", "body": "{{to_no_plus}}: {{text}}"},
        outgoing("a & b <c>"),
        [{"content_type": "text/plain", "body": "250788383383: a & b <c>"}],
    ),
    Out(
        "literal_json_mime_type_encodes_as_json",
        {"send_url": "BASE/j", "content_type": "application/vnd.api+json", "body": '{"t": {{text}}}'},
        outgoing('say "x"'),
        [{"content_type": "application/vnd.api+json", "json": {"t": 'say "x"'}}],
    ),
    Out(
        "urlencoded_quick_replies_repeat",
        {"send_url": "BASE/send", "body": "text={{text}}{{quick_replies}}"},
        outgoing("Pick one", quick_replies=QUICK),
        [{"form": [("text", "Pick one"), ("quick_reply", "Yes"), ("quick_reply", "No way")]}],
    ),
    Out(
        "put_with_authorization_and_headers",
        {
            "send_url": "BASE/put",
            "method": "PUT",
            "send_authorization": "Token sekret-auth-123",
            "headers": {"X-Api-Key": "key-456", "X-Trace": "visible"},
        },
        outgoing("hello"),
        [
            {
                "method": "PUT",
                "headers": {
                    "authorization": "Token sekret-auth-123",
                    "x-api-key": "key-456",
                    "x-trace": "visible",
                    "content-type": FORM,
                },
                "form_has": {"text": "hello"},
            }
        ],
    ),
    Out(
        "response_check_passes",
        {"send_url": "BASE/send", "mt_response_check": "ACCEPTED"},
        outgoing("hello"),
        [{"route": "/send"}],
        responses=[(200, "status=ACCEPTED id=77")],
    ),
    Out(
        "response_check_fails",
        {"send_url": "BASE/send", "mt_response_check": "ACCEPTED"},
        outgoing("hello"),
        [{"route": "/send"}],
        responses=[(200, "status=QUEUED")],
        result=None,
        error=("response_content", False),
    ),
    Out(
        "server_error_retries",
        {"send_url": "BASE/send"},
        outgoing("hello"),
        [{"route": "/send"}],
        responses=[(503, "down")],
        result=None,
        error=("connection_failed", True),
    ),
    Out(
        "throttled_retries",
        {"send_url": "BASE/send"},
        outgoing("hello"),
        [{"route": "/send"}],
        responses=[(429, "slow down")],
        result=None,
        error=("connection_throttled", True),
    ),
    Out(
        "client_error_fails",
        {"send_url": "BASE/send"},
        outgoing("hello"),
        [{"route": "/send"}],
        responses=[(400, "bad number")],
        result=None,
        error=("response_status", False),
    ),
    Out(
        "long_text_split_quick_replies_on_last_part",
        {"send_url": "BASE/send", "max_length": "10", "body": "text={{text}}{{quick_replies}}"},
        outgoing("one two three four five", quick_replies=QUICK[:1]),
        [
            {"form": [("text", "one two")]},
            {"form": [("text", "three four")]},
            {"form": [("text", "five"), ("quick_reply", "Yes")]},
        ],
    ),
    Out(
        "split_part_failing_fails_the_send",
        {"send_url": "BASE/send", "max_length": 10, "body": "text={{text}}"},
        outgoing("one two three four"),
        [{"form": [("text", "one two")]}, {"form": [("text", "three four")]}],
        responses=[(200, "ok"), (500, "boom")],
        result=None,
        error=("connection_failed", True),
    ),
    Out(
        "attachments_appended_as_urls",
        {"send_url": "BASE/send", "body": "text={{text}}"},
        outgoing("Look", attachments=("image/jpeg:https://example.com/a.jpg", "https://example.com/b.pdf")),
        [{"form": [("text", "Look\nhttps://example.com/a.jpg\nhttps://example.com/b.pdf")]}],
    ),
    Out(
        "smart_encoding_replaces_look_alikes",
        {"send_url": "BASE/send", "body": "text={{text}}", "encoding": "S"},
        outgoing("\u201cHi\u201d \u2014 it\u2019s ok\u2026"),
        [{"form": [("text", '"Hi" - it\'s ok...')]}],
    ),
    Out(
        "use_national_drops_country_code",
        {"send_url": "BASE/send", "body": "to={{to}}", "use_national": True},
        outgoing("x"),
        [{"form": [("to", "788383383")]}],
    ),
    Out(
        "missing_send_url_is_config_error",
        {},
        outgoing("x"),
        [],
        result=None,
        error=("channel_config", False),
    ),
]


@pytest.mark.parametrize("case", OUT_CASES, ids=[c.id for c in OUT_CASES])
async def test_send(case: Out, provider: FakeProvider, client: httpx.AsyncClient) -> None:
    config = {k: (v.replace("BASE", provider.base_url) if isinstance(v, str) else v) for k, v in case.config.items()}
    for status, body in case.responses:
        provider.respond(status, body)
    chan = channel(config)
    http = ProviderHTTP(client, KIND.secrets(chan))
    if case.error:
        with pytest.raises(SendError) as caught:
            await KIND.send(chan, case.msg, http)
        assert (caught.value.code, caught.value.retryable) == case.error
    else:
        assert await KIND.send(chan, case.msg, http) == case.result
    assert len(provider.requests) == len(case.requests)
    for got, want in zip(provider.requests, case.requests, strict=True):
        assert_request(got, want)
    assert provider.pending == 0
    assert len(http.logs) == len(case.requests)


async def test_secrets_masked_in_logs(provider: FakeProvider, client: httpx.AsyncClient) -> None:
    chan = channel(
        {
            "send_url": f"{provider.base_url}/send",
            "send_authorization": "Token sekret-auth-123",
            "headers": {"X-Api-Key": "key-456", "X-Trace": "visible"},
        }
    )
    provider.respond(200, "echo sekret-auth-123")
    http = ProviderHTTP(client, KIND.secrets(chan))
    await KIND.send(chan, outgoing("hello"), http)
    assert provider.requests[0].headers["authorization"] == "Token sekret-auth-123"
    (log,) = http.logs
    dumped = log.url + log.request + log.response
    for secret in ("sekret-auth-123", "key-456"):
        assert secret not in dumped
    assert f"authorization: {MASK}" in log.request
    assert f"x-api-key: {MASK}" in log.request
    assert "x-trace: visible" in log.request
    assert log.response.endswith(f"echo {MASK}")
    assert log.status_code == 200


def test_password_in_send_url_is_a_secret() -> None:
    chan = channel({"send_url": "https://user:url-pass-789@gw.example.com/send", "send_authorization": "Basic abc"})
    assert KIND.secrets(chan) == ["Basic abc", "abc", "url-pass-789"]


async def test_connection_refused_retries(client: httpx.AsyncClient) -> None:
    chan = channel({"send_url": f"http://127.0.0.1:{free_port()}/send"})
    http = ProviderHTTP(client, KIND.secrets(chan))
    with pytest.raises(SendError) as caught:
        await KIND.send(chan, outgoing("hello"), http)
    assert caught.value.code == "connection_failed"
    assert caught.value.retryable
    assert http.logs[0].status_code is None


# --- incoming ----------------------------------------------------------------------------------------------------


def inbound(
    action: str,
    form: Sequence[tuple[str, str]] = (),
    query: Sequence[tuple[str, str]] = (),
    method: str = "POST",
) -> InboundRequest:
    url = f"https://sauti.example.org/c/ex/{CHANNEL_UUID}/{action}"
    if query:
        url += "?" + urlencode(query)
    return InboundRequest(
        method=method,
        url=url,
        headers={"content-type": FORM} if form else {},
        query=list(query),
        form=list(form),
        body=urlencode(form).encode(),
    )


@dataclass
class In:
    id: str
    action: str
    form: list[tuple[str, str]] = field(default_factory=list)
    query: list[tuple[str, str]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    schemes: tuple[str, ...] = ("tel",)
    items: list[Item] | None = None
    status: int | None = None  # the HandlerError status when refused


SENDER = "+250788383383"
IN_CASES = [
    In("receive_form", "receive", [("from", SENDER), ("text", "Join")], items=[Incoming(f"tel:{SENDER}", "Join")]),
    In(
        "receive_query_with_sender_alias",
        "receive",
        query=[("sender", "0788383383"), ("text", "Hi")],
        items=[Incoming("tel:0788383383", "Hi")],
    ),
    In("receive_without_text", "receive", [("from", SENDER)], items=[Incoming(f"tel:{SENDER}", "")]),
    In(
        "receive_with_rfc3339_date",
        "receive",
        [("from", SENDER), ("text", "x"), ("date", "2017-01-01T08:50:00.000Z")],
        items=[Incoming(f"tel:{SENDER}", "x", received_on=datetime(2017, 1, 1, 8, 50, tzinfo=UTC))],
    ),
    In(
        "receive_with_time_alias_and_offset",
        "receive",
        [("from", SENDER), ("text", "x"), ("time", "2017-01-01T10:50:00+02:00")],
        items=[Incoming(f"tel:{SENDER}", "x", received_on=datetime(2017, 1, 1, 8, 50, tzinfo=UTC))],
    ),
    In("receive_bad_date", "receive", [("from", SENDER), ("text", "x"), ("date", "yesterday")], status=400),
    In("receive_missing_from", "receive", [("text", "Join")], status=400),
    In("receive_blank_from", "receive", [("from", "  "), ("text", "Join")], status=400),
    In(
        "receive_field_overrides",
        "receive",
        [("msisdn", SENDER), ("message", "Yo"), ("ts", "2020-05-01T00:00:00Z"), ("from", "+1"), ("text", "no")],
        config={"mo_from_field": "msisdn", "mo_text_field": "message", "mo_date_field": "ts"},
        items=[Incoming(f"tel:{SENDER}", "Yo", received_on=datetime(2020, 5, 1, tzinfo=UTC))],
    ),
    In("receive_override_missing", "receive", [("from", SENDER)], config={"mo_from_field": "msisdn"}, status=400),
    In(
        "receive_other_scheme",
        "receive",
        [("from", "user#42"), ("text", "hey")],
        schemes=("ext",),
        items=[Incoming("ext:user%2342", "hey")],
    ),
    In("delivered_by_id", "delivered", [("id", MSG_UUID)], items=[StatusUpdate("delivered", msg_uuid=MSG_UUID)]),
    In("sent_by_uuid_query", "sent", query=[("uuid", MSG_UUID)], items=[StatusUpdate("sent", msg_uuid=MSG_UUID)]),
    In(
        "failed_uppercase_uuid",
        "failed",
        [("id", MSG_UUID.upper())],
        items=[StatusUpdate("failed", msg_uuid=MSG_UUID)],
    ),
    In("status_not_a_uuid", "delivered", [("id", "12345")], status=400),
    In("status_missing_id", "sent", [], status=400),
    In("stopped", "stopped", [("from", SENDER)], items=[ContactEvent("stop_contact", f"tel:{SENDER}")]),
    In("stopped_missing_from", "stopped", [], status=400),
    In("unknown_action", "bogus", [("from", SENDER)], status=404),
]


@pytest.mark.parametrize("case", IN_CASES, ids=[c.id for c in IN_CASES])
async def test_receive(case: In, client: httpx.AsyncClient) -> None:
    chan = channel({"send_url": "http://gateway.invalid/send", **case.config}, schemes=case.schemes)
    http = ProviderHTTP(client, KIND.secrets(chan))
    request = inbound(case.action, case.form, case.query)
    if case.status is not None:
        with pytest.raises(HandlerError) as caught:
            await KIND.receive(chan, case.action, request, http)
        assert caught.value.status == case.status
    else:
        assert list(await KIND.receive(chan, case.action, request, http)) == case.items
    assert http.logs == []  # receiving never calls the gateway


def test_default_reply_names_accepted_message() -> None:
    from sauti.channels.base import Outcome

    reply = KIND.reply([], Outcome(message_uuids=[MSG_UUID]))
    assert reply.status == 200
    assert json.loads(reply.body) == {"message": "Message Accepted", "data": [{"type": "msg", "msg_uuid": MSG_UUID}]}
