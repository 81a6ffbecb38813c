"""TG, a Telegram bot: send with the Bot API, receive the webhook's JSON updates.

The bot token is part of every Bot API URL (``/bot<token>/<method>``), so it is masked in channel logs, as is
the optional ``secret_token`` Telegram echoes in ``X-Telegram-Bot-Api-Secret-Token`` (when configured, a
request without it, or with another value, is refused with 401).

Choices where the reference is silent or where we differ:

- Texts are sent **without** ``parse_mode``. Courier asks for Markdown, but then any unpaired ``_``, ``*`` or
  ``[`` in a user's text (a URL, an e-mail address, a snake_case word) makes Telegram refuse the whole message
  with "can't parse entities". Plain text always arrives as written.
- One attachment and a text of at most 1024 characters (the caption limit) go as one request with the text as
  caption; otherwise the text goes first (split at 4096), then each attachment. Only the last request carries
  ``reply_markup``: the quick replies as a one-time reply keyboard (one button per row), or
  ``{"remove_keyboard": true}`` so an earlier keyboard does not linger. The first request's ``message_id`` is
  the external id.
- ``/start`` (with or without a deep-link payload) is a ``new_conversation`` event, not a message.
- Media are resolved with ``getFile`` into ``<base_url>/file/bot<token>/<file_path>`` URLs (the only URL
  Telegram gives; it contains the token, so such attachments should be fetched into our own storage once
  Sauti has one). When Telegram cannot be reached we answer 503 so Telegram redelivers the update later; when
  Telegram refuses a file (e.g. too big for bots) the message is kept without it.
- Updates that are not a new message from a user (edits, channel posts, polls...) are ignored with a 200.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

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
    check_http,
    split_text,
)
from sauti.channels.registry import register
from sauti.kit.urns import URN, to_string

DEFAULT_BASE_URL = "https://api.telegram.org"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
CAPTION_LENGTH = 1024
# what an attachment's content type is sent as: (Bot API method, its field)
SEND_METHODS = {
    "image": ("sendPhoto", "photo"),
    "video": ("sendVideo", "video"),
    "audio": ("sendAudio", "audio"),
}
DOCUMENT = ("sendDocument", "document")
STOPPED_DESCRIPTIONS = ("bot was blocked by the user", "user is deactivated")
# media fields of a received message and the content type used when Telegram does not give one
MEDIA_FIELDS = (
    ("video", "video/mp4"),
    ("voice", "audio/ogg"),
    ("audio", "audio/mpeg"),
    ("document", "application/octet-stream"),
    ("sticker", "image/webp"),
)


def _split_attachment(attachment: str) -> tuple[str, str]:
    kind, sep, rest = attachment.partition(":")
    return (kind, rest) if sep and "/" in kind else ("", attachment)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _keyboard(quick_replies: Sequence[Mapping[str, Any]]) -> str:
    if not quick_replies:
        return json.dumps({"remove_keyboard": True})
    rows = [[{"text": str(q.get("text", ""))}] for q in quick_replies]
    return json.dumps({"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}, ensure_ascii=False)


def _check(response: httpx.Response) -> str:
    """The sent message's id, or the SendError Telegram's answer means."""
    data = _json(response)
    payload = data if isinstance(data, dict) else {}
    error_code = payload.get("error_code")
    if response.status_code == 429 or error_code == 429:
        retry = (payload.get("parameters") or {}).get("retry_after")
        raise SendError("connection_throttled", f"Telegram throttled the bot (retry after {retry} s)")
    if response.status_code >= 500:
        check_http(response)
    if data is None:
        check_http(response)
        raise SendError("response_unparseable", "Telegram's answer is not JSON")
    ok = 200 <= response.status_code < 300 and payload.get("ok") is True
    if not ok:
        description = str(payload.get("description") or "")
        if error_code == 403 and any(d in description.lower() for d in STOPPED_DESCRIPTIONS):
            raise SendError("contact_stopped", description, ext_code="403")
        if error_code:
            raise SendError("rejected_with_reason", description or f"Telegram error {error_code}", str(error_code))
        check_http(response)
        raise SendError("response_content", "Telegram answered ok: false")
    result = payload.get("result")
    message_id = result.get("message_id") if isinstance(result, dict) else None
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        raise SendError("response_unexpected", "Telegram's answer has no message_id")
    return str(message_id)


@register
class TelegramType(ChannelType):
    fetch_attachments = True
    code = "TG"
    slug = "tg"
    api_type = "telegram"
    title = "Telegram bot"
    schemes = ("telegram",)
    max_length = 4096
    required_config = ("auth_token",)
    secret_config = ("auth_token", "secret_token")

    @staticmethod
    def _base(config: Mapping[str, Any]) -> str:
        return str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")

    def _api(self, config: Mapping[str, Any], method: str) -> str:
        return f"{self._base(config)}/bot{config['auth_token']}/{method}"

    async def send(self, channel: ChannelInfo, msg: Outgoing, http: ProviderHTTP) -> SendResult:
        config = channel.config
        if not config.get("auth_token"):
            raise SendError("channel_config", "the channel has no auth_token")
        if not msg.text and not msg.attachments:
            raise SendError("message_invalid", "a message needs text or attachments")
        requests: list[tuple[str, dict[str, str]]] = []
        as_caption = len(msg.attachments) == 1 and len(msg.text) <= CAPTION_LENGTH
        if not as_caption and msg.text:
            for part in split_text(msg.text, self.max_length):
                requests.append(("sendMessage", {"chat_id": msg.urn_path, "text": part}))
        for attachment in msg.attachments:
            kind, url = _split_attachment(attachment)
            method, field = SEND_METHODS.get(kind.split("/", 1)[0], DOCUMENT)
            form = {"chat_id": msg.urn_path, field: url}
            if as_caption and msg.text:
                form["caption"] = msg.text
            requests.append((method, form))
        requests[-1][1]["reply_markup"] = _keyboard(msg.quick_replies)

        external_id: str | None = None
        for method, form in requests:
            response = await http.request("POST", self._api(config, method), data=form)
            message_id = _check(response)
            external_id = external_id or message_id
        return SendResult(external_id=external_id)

    async def receive(
        self, channel: ChannelInfo, action: str, request: InboundRequest, http: ProviderHTTP
    ) -> Sequence[Item]:
        if action != "receive":
            raise HandlerError(f"unknown action: {action}", status=404)
        config = channel.config
        expected = config.get("secret_token")
        if expected:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), str(expected).encode()):
                raise HandlerError("invalid secret token", status=401)
        try:
            update = json.loads(request.body)
        except ValueError:
            raise HandlerError("unable to parse request JSON") from None
        if not isinstance(update, dict):
            raise HandlerError("request JSON is not an object")
        message = update.get("message")
        if not isinstance(message, dict) or not message.get("message_id"):
            return []
        sender = message.get("from")
        if not isinstance(sender, dict) or not isinstance(sender.get("id"), int) or isinstance(sender["id"], bool):
            return []
        urn = to_string(URN("telegram", str(sender["id"])))
        name = " ".join(str(sender.get(k) or "") for k in ("first_name", "last_name")).strip()
        name = name or str(sender.get("username") or "")
        text = message.get("text") or message.get("caption") or ""
        if not isinstance(text, str):
            text = ""
        if text.strip() == "/start" or text.startswith("/start "):
            return [ContactEvent(kind="new_conversation", urn=urn, contact_name=name or None)]
        attachments = await self._attachments(config, message, http)
        if not text and not attachments:
            return []
        date = message.get("date")
        received_on = datetime.fromtimestamp(date, UTC) if isinstance(date, int) and date > 0 else None
        return [
            Incoming(
                urn=urn,
                text=text,
                external_id=str(message["message_id"]),
                attachments=tuple(attachments),
                received_on=received_on,
                contact_name=name or None,
            )
        ]

    async def _attachments(
        self, config: Mapping[str, Any], message: Mapping[str, Any], http: ProviderHTTP
    ) -> list[str]:
        found: list[tuple[str, str]] = []  # (content type, file id)
        photos = message.get("photo")
        if isinstance(photos, list) and photos:
            largest = max(
                (p for p in photos if isinstance(p, dict)),
                key=lambda p: (p.get("width") or 0) * (p.get("height") or 0) or p.get("file_size") or 0,
                default=None,
            )
            if largest and largest.get("file_id"):
                found.append(("image/jpeg", str(largest["file_id"])))
        for field, default_type in MEDIA_FIELDS:
            media = message.get(field)
            if isinstance(media, dict) and media.get("file_id"):
                found.append((str(media.get("mime_type") or default_type), str(media["file_id"])))
        out = []
        for kind, file_id in found:
            url = await self._file_url(config, file_id, http)
            if url:
                out.append(f"{kind}:{url}")
        location = message.get("location")
        if isinstance(location, dict) and "latitude" in location and "longitude" in location:
            out.append(f"geo:{location['latitude']},{location['longitude']}")
        return out

    async def _file_url(self, config: Mapping[str, Any], file_id: str, http: ProviderHTTP) -> str | None:
        """The download URL of a received file, or ``None`` when Telegram will not give one."""
        try:
            response = await http.request("POST", self._api(config, "getFile"), data={"file_id": file_id})
        except SendError:
            raise HandlerError("unable to reach Telegram to resolve a file", status=503) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise HandlerError(f"Telegram answered {response.status_code} resolving a file", status=503)
        data = _json(response)
        result = data.get("result") if isinstance(data, dict) and data.get("ok") is True else None
        path = result.get("file_path") if isinstance(result, dict) else None
        if not isinstance(path, str) or not path:
            return None
        return f"{self._base(config)}/file/bot{config['auth_token']}/{path}"
