"""``call_webhook``: make an HTTP request; the node's router then splits on ``@webhook.status`` (online).

Fields: ``method`` (required: GET, HEAD, POST, PUT, PATCH or DELETE), ``url`` (template, required, at most 8192
characters), ``headers`` (at most 10; names are HTTP header names of at most 100 characters, values templates of
at most 5000), ``body`` (template, at most 20000 characters, never truncated when evaluated) and the legacy
``result_name`` (when set, the call also saves a result with category Success or Failure).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sauti.engine.actions.base import FAILURE, SUCCESS, Action, ResultInfo, action_uuid, raw_of, register
from sauti.engine.definition.fields import MAX_NAME, Reader, is_header_name

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _json_size(data: Any) -> int:
    from sauti.engine.jsonio import dumps

    return len(dumps(data).encode("utf-8"))


@register
@dataclass(frozen=True, kw_only=True)
class CallWebhook(Action):
    TYPE = "call_webhook"
    FLOW_CLASS = "online"
    TEMPLATES = ("url", "headers.*", "body")

    method: str
    url: str
    headers: Mapping[str, str]
    body: str = ""
    result_name: str | None = None

    @classmethod
    def read(cls, r: Reader) -> CallWebhook:
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            method=r.choice("method", METHODS, "is not a valid HTTP method"),
            url=r.text("url", required=True, max_len=8192),
            headers=r.text_map("headers", max_items=10, key_max=100, value_max=5000),
            body=r.text("body", max_len=20_000),
            result_name=r.text("result_name", max_len=MAX_NAME) or None,
        )

    def check(self) -> Iterator[str]:
        for name in self.headers:
            if not is_header_name(name):
                yield f"header '{name}' is not a valid HTTP header name"

    def results(self) -> Iterator[ResultInfo]:
        if self.result_name:
            yield ResultInfo(self.result_name, (SUCCESS, FAILURE))

    def execute(self, x: Execution) -> None:
        """Call the evaluated URL through the webhook service; ``@webhook`` becomes the call (it is cleared
        first, so a call that isn't made leaves it null). With the legacy ``result_name`` the call also saves a
        result: the status code, category Success (2xx) or Failure, input ``METHOD URL``, and the response JSON
        as extra when it is under 10000 bytes."""
        from sauti.engine import webhooks
        from sauti.engine.excellent import truncate
        from sauti.engine.services import WebhookRequest

        x.run.webhook = None
        url = x.evaluate(self.url)[0].strip()
        if not url:
            x.error("Webhook URL evaluated to empty string")
            return
        if not webhooks.is_valid_url(url):
            shown = truncate(url, 255)
            x.error(f"Webhook URL evaluated to an invalid URL: '{shown}'", "url_invalid", url=shown)
            return
        headers = tuple((name, x.evaluate(value)[0]) for name, value in self.headers.items())
        body = x.evaluate(self.body, truncate=False)[0] if self.body else ""
        made = webhooks.call(x, WebhookRequest(self.method.upper(), url, headers, body))
        if made is None:
            return
        call, status = made
        x.run.webhook = call
        if self.result_name:
            extra = call.json if call.json is not None and _json_size(call.json) < 10_000 else None
            category = SUCCESS if status == "success" else FAILURE
            x.save_result(self.result_name, str(call.status), category, "", f"{call.method} {call.url}", extra)
