"""EX, the External API: any HTTP gateway that accepts a templated request and calls us back with forms.

Sending fills the channel's URL and body templates with the message's variables, each encoded for where it
lands: query-escaped in the URL and in url-encoded bodies, a JSON string literal (quotes included) in JSON
bodies, XML-escaped in XML bodies, and inserted as-is for any other literal MIME type. The gateway gives us no
id of its own: it reports statuses with our message UUID (``/sent``, ``/delivered``, ``/failed``).

Choices where the reference is silent:

- ``{{quick_replies}}`` is rendered only on the last part of a split text (``[]`` for JSON elsewhere);
  ``{{session_status}}`` is always empty (no flow session is known to the sender).
- Attachments are appended to the text as their URLs, one per line, before the text is split: a plain gateway
  has nowhere else to put them.
- A literal MIME type that is JSON (``application/json``, ``*+json``) or XML (``*/xml``, ``*+xml``) or a form
  gets that encoding; any other literal type gets the values unencoded.
- ``use_national`` sends ``{{to}}`` as the national significant number (no country code, no trunk zero).
- ``encoding`` ``S`` replaces common typographic look-alikes (curly quotes, dashes, ellipsis, non-breaking
  space) with their GSM-7 forms before splitting.
- The reply to a received message is always the standard JSON: ``mo_response`` cannot be honoured because
  :meth:`ChannelType.reply` is not given the channel.
"""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, urlsplit
from xml.sax.saxutils import escape as _xml_escape

import phonenumbers

from sauti.channels.base import (
    ChannelInfo,
    ChannelType,
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
    check_http,
    split_text,
)
from sauti.channels.registry import register
from sauti.kit.urns import URN, to_string

DEFAULT_BODY = (
    "uuid={{uuid}}&text={{text}}&to={{to}}&to_no_plus={{to_no_plus}}"
    "&from={{from}}&from_no_plus={{from_no_plus}}&channel={{channel}}"
)
METHODS = ("GET", "POST", "PUT")
CONTENT_TYPES = {
    "urlencoded": "application/x-www-form-urlencoded",
    "json": "application/json",
    "xml": "text/xml; charset=utf-8",
}
STATUS_ACTIONS = {"sent": "sent", "delivered": "delivered", "failed": "failed"}
# extra header names whose values are credentials, so they are masked in channel logs like send_authorization
_SECRET_HEADER = re.compile(r"auth|key|token|secret|pass", re.IGNORECASE)
_VARIABLE = re.compile(r"\{\{(\w+)\}\}")
_LOOK_ALIKES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u2009": " ",
        "\u200b": "",
    }
)

Encoder = Callable[[str], str]


def _form_escape(value: str) -> str:
    return quote_plus(value, safe="")


def _json_escape(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _xml(value: str) -> str:
    return _xml_escape(value, {'"': "&quot;", "'": "&apos;"})


def _raw(value: str) -> str:
    return value


def _encoding_for(content_type: str) -> tuple[str, str]:
    """(MIME type to send, encoding name) for the configured ``content_type``."""
    if content_type in CONTENT_TYPES:
        return CONTENT_TYPES[content_type], content_type
    base = content_type.split(";", 1)[0].strip().lower()
    if base == "application/json" or base.endswith("+json"):
        return content_type, "json"
    if base.endswith("/xml") or base.endswith("+xml"):
        return content_type, "xml"
    if base == "application/x-www-form-urlencoded":
        return content_type, "urlencoded"
    return content_type, "raw"


ENCODERS: dict[str, Encoder] = {"urlencoded": _form_escape, "json": _json_escape, "xml": _xml, "raw": _raw}


def _quick_replies(texts: Sequence[str], encoding: str) -> str:
    if encoding == "json":
        return json.dumps(list(texts), ensure_ascii=False)
    if encoding == "xml":
        return "".join(f"<item>{_xml(t)}</item>" for t in texts)
    return "".join(f"&quick_reply={_form_escape(t)}" for t in texts)


def render(template: str, values: Mapping[str, str], encoding: str, quick_replies: Sequence[str]) -> str:
    """Fill ``{{name}}`` variables in one pass (a value is never itself searched for variables); unknown names
    are left as written."""
    encode = ENCODERS[encoding]

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "quick_replies":
            return _quick_replies(quick_replies, encoding)
        if name not in values:
            return match.group(0)
        return encode(values[name])

    return _VARIABLE.sub(fill, template)


def _positive_int(value: Any, default: int) -> int | None:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _attachment_url(attachment: str) -> str:
    kind, sep, rest = attachment.partition(":")
    return rest if sep and "/" in kind else attachment


def _national(path: str, country: str | None) -> str:
    try:
        parsed = phonenumbers.parse(path, country)
    except phonenumbers.NumberParseException:
        return path.removeprefix("+")
    return str(phonenumbers.national_significant_number(parsed))


def sender_urn(channel: ChannelInfo, sender: str) -> str:
    """The URN of a sender as a gateway gave it: a path in the channel's first scheme."""
    scheme = channel.schemes[0] if channel.schemes else "tel"
    return to_string(URN(scheme, sender.strip()))


def _message_uuid(request: InboundRequest) -> str:
    value = request.param("id") or request.param("uuid")
    if not value:
        raise HandlerError("missing required field 'id'")
    try:
        return str(uuidlib.UUID(value.strip()))
    except ValueError:
        raise HandlerError(f"invalid message id, must be a UUID: {value}") from None


def _received_on(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise HandlerError(f"invalid date format, must be RFC 3339: {value}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@register
class ExternalType(ChannelType):
    code = "EX"
    actions = ("receive", "sent", "delivered", "failed", "stopped")
    slug = "ex"
    api_type = "external"
    title = "External API"
    schemes = ("tel",)
    max_length = 160
    required_config = ("send_url",)
    secret_config = ("send_authorization",)

    def secrets(self, channel: ChannelInfo) -> list[str]:
        out = super().secrets(channel)
        authorization = str(channel.config.get("send_authorization") or "")
        scheme, _, credential = authorization.partition(" ")
        if scheme and credential.strip():
            out.append(credential.strip())  # masked alone too, should the gateway echo it without "Token "
        headers = channel.config.get("headers")
        if isinstance(headers, Mapping):
            out += [str(v) for k, v in headers.items() if v and _SECRET_HEADER.search(str(k))]
        password = urlsplit(str(channel.config.get("send_url") or "")).password
        if password:
            out.append(password)
        return out

    def check_config(self, config: Mapping[str, Any]) -> list[str]:
        problems = super().check_config(config)
        method = str(config.get("method") or "POST").upper()
        if method not in METHODS:
            problems.append(f"method must be one of {', '.join(METHODS)}")
        content_type = str(config.get("content_type") or "urlencoded")
        if content_type not in CONTENT_TYPES and "/" not in content_type:
            problems.append("content_type must be urlencoded, json, xml or a MIME type")
        if _positive_int(config.get("max_length"), self.max_length) is None:
            problems.append("max_length must be a positive whole number")
        if config.get("headers") is not None and not isinstance(config.get("headers"), Mapping):
            problems.append("headers must be an object of header names and values")
        return problems

    async def send(self, channel: ChannelInfo, msg: Outgoing, http: ProviderHTTP) -> SendResult:
        config = channel.config
        send_url = str(config.get("send_url") or "")
        if not send_url:
            raise SendError("channel_config", "the channel has no send_url")
        method = str(config.get("method") or "POST").upper()
        if method not in METHODS:
            raise SendError("channel_config", f"unsupported method: {method}")
        max_length = _positive_int(config.get("max_length"), self.max_length)
        if max_length is None:
            raise SendError("channel_config", f"invalid max_length: {config.get('max_length')}")
        mime, encoding = _encoding_for(str(config.get("content_type") or "urlencoded"))
        template = str(config.get("body") or DEFAULT_BODY)
        headers: dict[str, str] = {}
        if config.get("send_authorization"):
            headers["Authorization"] = str(config["send_authorization"])
        extra = config.get("headers")
        if isinstance(extra, Mapping):
            headers.update({str(k): str(v) for k, v in extra.items()})

        text = "\n".join([msg.text, *(_attachment_url(a) for a in msg.attachments)]).strip("\n")
        if str(config.get("encoding") or "D").upper() == "S":
            text = text.translate(_LOOK_ALIKES)
        to = _national(msg.urn_path, channel.country) if config.get("use_national") else msg.urn_path
        quick = [str(q.get("text", "")) for q in msg.quick_replies]
        parts = split_text(text, max_length) if text else [""]
        check = config.get("mt_response_check")

        for index, part in enumerate(parts):
            values = {
                "uuid": msg.uuid,
                "id": msg.uuid,
                "text": part,
                "to": to,
                "to_no_plus": to.removeprefix("+"),
                "from": channel.address,
                "from_no_plus": channel.address.removeprefix("+"),
                "channel": channel.uuid,
                "session_status": "",
            }
            last = index == len(parts) - 1
            replies = quick if last else []
            url = render(send_url, values, "urlencoded", replies)
            kwargs: dict[str, Any] = {"headers": headers}
            if method in ("POST", "PUT"):
                kwargs["content"] = render(template, values, encoding, replies).encode("utf-8")
                kwargs["headers"] = {"Content-Type": mime, **headers}
            response = await http.request(method, url, **kwargs)
            check_http(response)
            if check and str(check) not in response.text:
                raise SendError("response_content", f"response does not contain the expected text: {check}")
        return SendResult()

    async def receive(
        self, channel: ChannelInfo, action: str, request: InboundRequest, http: ProviderHTTP
    ) -> Sequence[Item]:
        config = channel.config
        if action == "receive":
            sender = self._sender(config, request)
            text_field = config.get("mo_text_field")
            text = request.param(str(text_field)) if text_field else request.param("text")
            date_field = config.get("mo_date_field")
            raw_date = request.param(str(date_field)) if date_field else request.param("date") or request.param("time")
            return [
                Incoming(
                    urn=sender_urn(channel, sender),
                    text=text or "",
                    received_on=_received_on(raw_date) if raw_date else None,
                )
            ]
        if action in STATUS_ACTIONS:
            return [StatusUpdate(status=STATUS_ACTIONS[action], msg_uuid=_message_uuid(request))]
        if action == "stopped":
            return [ContactEvent(kind="stop_contact", urn=sender_urn(channel, self._sender(config, request)))]
        raise HandlerError(f"unknown action: {action}", status=404)

    @staticmethod
    def _sender(config: Mapping[str, Any], request: InboundRequest) -> str:
        field = config.get("mo_from_field")
        sender = request.param(str(field)) if field else request.param("from") or request.param("sender")
        if not sender or not sender.strip():
            raise HandlerError(f"missing required field '{field or 'from'}'")
        return sender
