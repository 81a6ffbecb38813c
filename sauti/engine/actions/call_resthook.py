"""``call_resthook``: POST the run's standard payload to every subscriber of a resthook (online).

Fields: ``resthook`` (the slug, required, at most 1000 characters) and the legacy ``result_name`` (a result with
category Success or Failure). An unknown slug is not an error: the call does nothing.

Executing goes through the injected :class:`~sauti.engine.services.ResthookService` (the engine does no I/O):
the engine builds the payload (:func:`payload`), logs ``resthook_called`` with it (the platform records the
resthook event from it, even when nobody subscribed), asks the service to deliver it to each subscriber in turn,
and logs a ``webhook_called`` per delivery (with ``resthook`` set). A ``410 Gone`` answer is ``subscriber_gone``
(the platform unsubscribes that URL); other answers are ``success`` (2xx) or ``response_error``, no answer
``connection_error``. The call that becomes ``@webhook`` (and the result) is the last failure if there was one,
otherwise the last success, otherwise the last ``410``.

DECISIONS: with no subscriber at all, ``@webhook`` is cleared and no result is saved. A result saved from a
``410`` call has category Success (the subscriber left on purpose; nothing failed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sauti.engine.actions.base import FAILURE, SUCCESS, Action, ResultInfo, action_uuid, raw_of, register
from sauti.engine.actions.refs import Dependency
from sauti.engine.definition.fields import MAX_NAME, Reader

if TYPE_CHECKING:
    from sauti.engine.execution import Execution
    from sauti.engine.run import WebhookCall

GONE = "subscriber_gone"


def payload(x: Execution) -> dict[str, Any]:
    """The standard payload of the run ``x`` executes in: contact, flow, path, results, run, input, channel."""
    from sauti.engine.contact import ContactError, ContactURN
    from sauti.kit.timefmt import format_utc

    contact, run, assets = x.contact, x.run, x.assets
    channel: dict[str, Any] | None = None
    given = x.session.input
    if given is not None and given.channel is not None:
        known = assets.channel(given.channel["uuid"])
        channel = {
            "uuid": given.channel["uuid"],
            "name": known.name if known is not None else given.channel.get("name", ""),
            "address": known.address if known is not None else "",
        }
    data_input: dict[str, Any] | None = None
    if given is not None:
        urn: dict[str, Any] | None = None
        if given.urn:
            try:
                parsed = ContactURN.from_json(given.urn)
                urn = {"scheme": parsed.scheme, "path": parsed.path, "display": parsed.display or ""}
            except ContactError:
                urn = None
        attachments = []
        for item in given.attachments:
            kind, _, url = item.partition(":")
            attachments.append({"content_type": kind, "url": url})
        data_input = {
            "uuid": given.uuid,
            "type": "msg",
            "text": given.text,
            "created_on": format_utc(given.created_on),
            "attachments": attachments,
            "channel": channel,
            "urn": urn,
        }
    results: dict[str, Any] = {}
    for key, r in run.results.items():
        results[key] = {
            "name": r.name,
            "value": r.value,
            "category": r.category,
            "category_localized": r.category_localized or r.category,
            "input": r.input,
            "node_uuid": r.node_uuid,
            "created_on": format_utc(r.created_on),
        }
    return {
        "contact": {
            "uuid": contact.uuid,
            "name": contact.name,
            "urn": contact.urns[0].identity if contact.urns else None,
            "language": contact.language or None,
        },
        "flow": {"uuid": run.flow["uuid"], "name": run.flow.get("name", ""), "revision": run.flow.get("revision", 0)},
        "path": [s.to_json() for s in run.path],
        "results": results,
        "run": {"uuid": run.uuid, "created_on": format_utc(run.created_on)},
        "input": data_input,
        "channel": channel,
    }


def _chosen(calls: list[tuple[WebhookCall, str]]) -> tuple[WebhookCall, str] | None:
    for wanted in (lambda s: s not in ("success", GONE), lambda s: s == "success", lambda s: s == GONE):
        picked = [c for c in calls if wanted(c[1])]
        if picked:
            return picked[-1]
    return None


@register
@dataclass(frozen=True, kw_only=True)
class CallResthook(Action):
    TYPE = "call_resthook"
    FLOW_CLASS = "online"

    resthook: str
    result_name: str | None = None

    @classmethod
    def read(cls, r: Reader) -> CallResthook:
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            resthook=r.text("resthook", required=True, max_len=1000),
            result_name=r.text("result_name", max_len=MAX_NAME) or None,
        )

    def dependencies(self) -> Iterator[Dependency]:
        """The resthook, by slug (goflow lists none; Sauti's exports name it so subscribers can be re-created)."""
        yield Dependency("resthook", key=self.resthook, name=self.resthook)

    def results(self) -> Iterator[ResultInfo]:
        if self.result_name:
            yield ResultInfo(self.result_name, (SUCCESS, FAILURE))

    def execute(self, x: Execution) -> None:
        from sauti.engine import events, webhooks
        from sauti.engine.jsonio import dumps
        from sauti.engine.services import WebhookRequest

        service = x.services.resthooks
        if service is None:
            x.error("Resthook calls are not available")
            return
        urls = service.subscribers(self.resthook)
        if urls is None:
            return
        data = payload(x)
        body = dumps(data)
        x.log(events.resthook_called(self.resthook, data))
        calls: list[tuple[WebhookCall, str]] = []
        for url in urls:
            trace = service.deliver(self.resthook, url, body)
            status = GONE if trace.status_code == 410 else webhooks.call_status(trace)
            request = trace.request if trace.request.url == url else WebhookRequest("POST", url, (), body)
            calls.append((webhooks.log_call(x, request, trace, status, resthook=self.resthook), status))
        picked = _chosen(calls)
        x.run.webhook = picked[0] if picked is not None else None
        if picked is None or not self.result_name:
            return
        call, status = picked
        extra = call.json if call.json is not None and len(dumps(call.json).encode("utf-8")) < 10_000 else None
        category = SUCCESS if status in ("success", GONE) else FAILURE
        x.save_result(self.result_name, str(call.status), category, "", f"{call.method} {call.url}", extra)
