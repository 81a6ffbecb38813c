"""The built-in test type: no network. Outgoing messages go sent and then delivered at once; incoming ones are
injected with ``POST /c/test/<uuid>/receive`` (``from``, ``text``) or ``sauti channel receive``."""

from __future__ import annotations

from collections.abc import Sequence

from sauti.channels.base import (
    ChannelInfo,
    ChannelType,
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
from sauti.channels.registry import register


@register
class TestType(ChannelType):
    code = "TST"
    actions = ("receive", "sent", "delivered", "failed", "read")
    slug = "test"
    api_type = "test"
    title = "Test channel (no network)"
    schemes = ("tel", "ext", "telegram", "mailto")
    max_length = 1600
    default_tps = 1000

    async def send(self, channel: ChannelInfo, msg: Outgoing, http: ProviderHTTP) -> SendResult:
        # config "fail_to": a URN path that always fails, to show a failure in demos and tests
        if channel.config.get("fail_to") and msg.urn_path == channel.config["fail_to"]:
            raise SendError("rejected_with_reason", "the test channel refuses this address", ext_code="test")
        return SendResult(external_id=f"test-{msg.uuid}", status="wired", then=("sent", "delivered"))

    async def receive(
        self, channel: ChannelInfo, action: str, request: InboundRequest, http: ProviderHTTP
    ) -> Sequence[Item]:
        if action == "receive":
            sender = request.param("from")
            if not sender:
                raise HandlerError("missing required field 'from'")
            urn = sender if ":" in sender and not sender.startswith("+") else f"{channel.schemes[0]}:{sender}"
            return [Incoming(urn=urn, text=request.param("text") or "", external_id=request.param("id"))]
        if action in ("sent", "delivered", "failed", "read"):
            uuid = request.param("id")
            if not uuid:
                raise HandlerError("missing required field 'id'")
            return [StatusUpdate(status=action, msg_uuid=uuid)]
        raise HandlerError(f"unknown action: {action}", status=404)
