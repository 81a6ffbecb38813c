"""``/c/<type>/<channel uuid>/<action>``: where providers deliver messages, delivery reports and events.

The channel type reads the request into plain items; the domain stores them; the type answers in its own
format. Every request is kept in a channel log (secrets masked), including the ones we refuse.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import Response

from sauti.channels import registry
from sauti.channels.base import (
    ContactEvent,
    HandlerError,
    HTTPLog,
    InboundRequest,
    Incoming,
    Outcome,
    ProviderHTTP,
    Reply,
    StatusUpdate,
)
from sauti.domain.channels import logs
from sauti.domain.channels import queries as channel_queries
from sauti.domain.channels.service import info
from sauti.domain.errors import Invalid
from sauti.domain.messages import receive, status
from sauti.models import Workspace


async def _inbound(request: Request) -> InboundRequest:
    body = await request.body()
    form: list[tuple[str, str]] = []
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        parsed = await request.form()
        form = [(k, v) for k, v in parsed.multi_items() if isinstance(v, str)]
    return InboundRequest(
        method=request.method,
        url=str(request.url),
        headers={k.lower(): v for k, v in request.headers.items()},
        query=list(request.query_params.multi_items()),
        form=form,
        body=body,
    )


def _response(reply: Reply) -> Response:
    return Response(content=reply.body, status_code=reply.status, media_type=reply.content_type)


def _dump(inbound: InboundRequest) -> str:
    head = f"{inbound.method} {inbound.url}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in inbound.headers.items())
    return head + "\r\n" + inbound.body.decode("utf-8", "replace")


async def handle(request: Request) -> Response:
    slug = request.path_params["slug"]
    kind = registry.by_slug(slug)
    not_found = Reply(404, b'{"message":"Error","data":[{"type":"error","error":"channel not found"}]}')
    if kind is None:
        return _response(not_found)
    started = time.monotonic()
    state = request.app.state
    async with state.sessionmaker() as session:
        channel = await channel_queries.for_callback(session, kind.code, request.path_params["uuid"])
        if channel is None:
            return _response(not_found)
        workspace = await session.get(Workspace, channel.workspace_id)
        assert workspace is not None
        inbound = await _inbound(request)
        http = ProviderHTTP(state.http_client, kind.secrets(info(channel, state.settings.callback_base)))
        action = request.path_params["action"]
        outcome = Outcome()
        log_type = "msg_receive"
        errors: list[dict[str, str]] = []
        try:
            items = await kind.receive(info(channel, state.settings.callback_base), action, inbound, http)
            for item in items:
                if isinstance(item, Incoming):
                    message, _ = await receive.receive(session, workspace, channel, item)
                    outcome.message_uuids.append(message.uuid)
                elif isinstance(item, StatusUpdate):
                    log_type = "msg_status"
                    await status.report(session, channel.id, item)
                    outcome.statuses.append((item.status, item.external_id))
                elif isinstance(item, ContactEvent):
                    log_type = "event_receive"
                    await receive.contact_event(session, workspace, channel, item)
                    outcome.events.append(item.kind)
            reply = kind.reply(items, outcome)
        except HandlerError as exc:
            await session.rollback()
            errors.append({"code": "handler", "message": exc.message})
            reply = kind.error_reply(exc)
        except Invalid as exc:
            await session.rollback()
            problem = "; ".join(str(m) for msgs in exc.errors.values() for m in msgs)
            errors.append({"code": "invalid", "message": problem})
            reply = kind.error_reply(HandlerError(problem))
        body = reply.body if isinstance(reply.body, str) else reply.body.decode("utf-8", "replace")
        exchange = HTTPLog(
            url=http.mask(inbound.url),
            method=inbound.method,
            status_code=reply.status,
            request=http.mask(_dump(inbound)),
            response=http.mask(body),
            elapsed_ms=int((time.monotonic() - started) * 1000),
        )
        logs.record(session, channel, log_type, [exchange, *http.logs], errors)
        await session.commit()
    return _response(reply)


def mount(app: FastAPI) -> None:
    router = APIRouter()
    router.add_api_route("/c/{slug}/{uuid}/{action}", handle, methods=["GET", "POST"], include_in_schema=False)
    app.include_router(router)
