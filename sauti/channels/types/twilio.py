"""T, Twilio Programmable Messaging: send with the Messages API, receive webhooks signed with the auth token.

Every request Twilio makes to us (messages and delivery reports) must carry a valid ``X-Twilio-Signature``:
base64 of HMAC-SHA1, keyed with the auth token, over the URL Twilio called followed by each POST parameter
(sorted by name) as name and value. We may not see that URL exactly (a TLS-terminating proxy turns https into
http), so the signature is checked against the few URLs the request could have been addressed to: as
received, the same with https, the path a proxy reports in ``X-Forwarded-Path``, and the channel's public
callback URL. Each is a URL of ours; a forger still needs the token.

Choices where the reference is silent:

- Twilio statuses without a Sauti equivalent (``accepted``, ``scheduled``, ``sending``, ``receiving``) are
  ignored with a 200; ``canceled`` fails the message.
- A 2xx answer to a send that is not JSON is ``response_unparseable``; JSON without ``sid`` is
  ``response_unexpected``.
- A received media item without ``MediaContentTypeN`` is stored as ``application/octet-stream``.
- Every reply to Twilio, status callbacks included, is empty TwiML (Twilio ignores the body of the latter);
  refusals keep the standard JSON error body, which Twilio shows in its debugger.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid as uuidlib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx

from sauti.channels.base import (
    ChannelInfo,
    ChannelType,
    ContactEvent,
    HandlerError,
    InboundRequest,
    Incoming,
    Item,
    Outcome,
    Outgoing,
    ProviderHTTP,
    Reply,
    SendError,
    SendResult,
    StatusUpdate,
    check_http,
    split_text,
)
from sauti.channels.registry import register
from sauti.kit.urns import URN, normalize, to_string

DEFAULT_BASE_URL = "https://api.twilio.com"
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
STOPPED_CODE = "21610"  # the recipient replied STOP: Twilio refuses to message them
THROTTLED_CODE = "63018"  # a delivery report saying the send hit a rate limit: try again
STATUSES = {
    "queued": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "failed",
    "canceled": "failed",
}
IGNORED_STATUSES = frozenset({"accepted", "scheduled", "sending", "receiving", "received"})


def signature(auth_token: str, url: str, form: Sequence[tuple[str, str]]) -> str:
    """Twilio's request signature for a request to ``url`` with these POST parameters."""
    payload = url + "".join(name + value for name, value in sorted(form, key=lambda kv: kv[0]))
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _candidate_urls(channel: ChannelInfo, action: str, request: InboundRequest) -> list[str]:
    parts = urlsplit(request.url)
    out = [request.url]
    if parts.scheme == "http":
        out.append(urlunsplit(("https", *parts[1:])))
    forwarded = request.headers.get("x-forwarded-path")
    host = request.headers.get("x-forwarded-host") or request.headers.get("host") or parts.netloc
    if forwarded:
        path, _, query = forwarded.partition("?")
        out.append(urlunsplit(("https", host, path, query or parts.query, "")))
    public = channel.callback_url("t", action)
    out.append(f"{public}?{parts.query}" if parts.query else public)
    return list(dict.fromkeys(out))


def _attachment_url(attachment: str) -> str:
    kind, sep, rest = attachment.partition(":")
    return rest if sep and "/" in kind else attachment


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _sender_urn(sender: str, country: str | None) -> str:
    sender = sender.strip()
    if sender.startswith("whatsapp:"):
        return to_string(URN("whatsapp", sender.removeprefix("whatsapp:").lstrip("+")))
    if not sender.startswith("+") and country:
        # a local number: Twilio says which country it is from, which may not be the channel's
        normalized = normalize(URN("tel", sender), country).path
        if normalized.startswith("+"):
            sender = normalized
    return to_string(URN("tel", sender))


@register
class TwilioType(ChannelType):
    code = "T"
    actions = ("receive", "status")
    slug = "t"
    api_type = "twilio"
    title = "Twilio"
    schemes = ("tel",)
    max_length = 1600
    required_config = ("account_sid", "auth_token")
    secret_config = ("auth_token",)

    def secrets(self, channel: ChannelInfo) -> list[str]:
        """The auth token, and the Basic credentials it travels in (base64 hides it from plain masking)."""
        out = super().secrets(channel)
        credentials = self._credentials(channel.config)
        if credentials:
            out.append(credentials)
        return out

    @staticmethod
    def _credentials(config: Mapping[str, Any]) -> str | None:
        sid, token = config.get("account_sid"), config.get("auth_token")
        if not sid or not token:
            return None
        return base64.b64encode(f"{sid}:{token}".encode()).decode("ascii")

    async def send(self, channel: ChannelInfo, msg: Outgoing, http: ProviderHTTP) -> SendResult:
        config = channel.config
        credentials = self._credentials(config)
        if credentials is None:
            raise SendError("channel_config", "the channel needs account_sid and auth_token")
        if not msg.text and not msg.attachments:
            raise SendError("message_invalid", "a message needs text or attachments")
        base = str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        url = f"{base}/2010-04-01/Accounts/{quote(str(config['account_sid']), safe='')}/Messages.json"
        callback = channel.callback_url(self.slug, "status") + "?" + urlencode({"uuid": msg.uuid, "action": "callback"})
        headers = {
            "Authorization": f"Basic {credentials}",
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        service = config.get("messaging_service_sid")
        external_id: str | None = None
        parts = split_text(msg.text, self.max_length) if msg.text else [""]
        for index, part in enumerate(parts):
            form = [("To", msg.urn_path), ("Body", part)]
            form.append(("MessagingServiceSid", str(service)) if service else ("From", channel.address))
            form.append(("StatusCallback", callback))
            if index == 0:
                form += [("MediaUrl", _attachment_url(a)) for a in msg.attachments]
            response = await http.request("POST", url, content=urlencode(form).encode("ascii"), headers=headers)
            sid = self._check(response)
            if index == 0:
                external_id = sid
        return SendResult(external_id=external_id)

    @staticmethod
    def _check(response: httpx.Response) -> str:
        """The new message's sid, or the SendError this answer means."""
        status = response.status_code
        if status == 429 or status >= 500:
            check_http(response)
        data = _json(response)
        if not 200 <= status < 300:
            code = data.get("code") if isinstance(data, dict) else None
            if code:
                message = str(data.get("message") or f"Twilio error {code}")
                if str(code) == STOPPED_CODE:
                    raise SendError("contact_stopped", message, ext_code=STOPPED_CODE)
                raise SendError("rejected_with_reason", message, ext_code=str(code))
            check_http(response)
        if not isinstance(data, dict):
            raise SendError("response_unparseable", "Twilio's answer is not JSON")
        sid = data.get("sid")
        if not isinstance(sid, str) or not sid:
            raise SendError("response_unexpected", "Twilio's answer has no message sid")
        return sid

    async def receive(
        self, channel: ChannelInfo, action: str, request: InboundRequest, http: ProviderHTTP
    ) -> Sequence[Item]:
        if action not in ("receive", "status"):
            raise HandlerError(f"unknown action: {action}", status=404)
        self._verify(channel, action, request)
        if action == "receive":
            return [self._incoming(request)]
        return self._status(channel, request)

    def _verify(self, channel: ChannelInfo, action: str, request: InboundRequest) -> None:
        given = request.headers.get("x-twilio-signature")
        if not given:
            raise HandlerError("missing request signature")
        token = channel.config.get("auth_token")
        if not token:
            raise HandlerError("the channel has no auth_token to check signatures with")
        for url in _candidate_urls(channel, action, request):
            if hmac.compare_digest(signature(str(token), url, request.form).encode(), given.encode()):
                return
        raise HandlerError("invalid request signature")

    @staticmethod
    def _required(request: InboundRequest, *names: str) -> list[str]:
        values = [request.param(n) for n in names]
        missing = [n for n, v in zip(names, values, strict=True) if not v]
        if missing:
            raise HandlerError(f"missing required field(s): {', '.join(missing)}")
        return [v or "" for v in values]

    def _incoming(self, request: InboundRequest) -> Incoming:
        sid, _, sender, _ = self._required(request, "MessageSid", "AccountSid", "From", "To")
        try:
            count = int(request.param("NumMedia") or 0)
        except ValueError:
            count = 0
        attachments = []
        for i in range(max(0, count)):
            media_url = request.param(f"MediaUrl{i}")
            if media_url:
                kind = request.param(f"MediaContentType{i}") or "application/octet-stream"
                attachments.append(f"{kind}:{media_url}")
        return Incoming(
            urn=_sender_urn(sender, request.param("FromCountry")),
            text=request.param("Body") or "",
            external_id=sid,
            attachments=tuple(attachments),
        )

    def _status(self, channel: ChannelInfo, request: InboundRequest) -> list[Item]:
        sid, reported = self._required(request, "MessageSid", "MessageStatus")
        reported = reported.lower()
        error_code = (request.param("ErrorCode") or "").strip()
        msg_uuid = None
        for name, value in request.query:
            if name == "uuid":
                try:
                    msg_uuid = str(uuidlib.UUID(value))
                except ValueError:
                    msg_uuid = None
        if reported in IGNORED_STATUSES or reported not in STATUSES:
            return []
        status = STATUSES[reported]
        if error_code == THROTTLED_CODE:
            status = "errored"
        if channel.config.get("ignore_dlrs") and status not in ("failed", "errored"):
            return []
        items: list[Item] = [StatusUpdate(status=status, msg_uuid=msg_uuid, external_id=sid, error=error_code or None)]
        recipient = request.param("To")
        if error_code == STOPPED_CODE and recipient:
            items.append(ContactEvent(kind="stop_contact", urn=_sender_urn(recipient, None)))
        return items

    def reply(self, items: Sequence[Item], outcome: Outcome) -> Reply:
        return Reply(200, TWIML_EMPTY, "text/xml")
