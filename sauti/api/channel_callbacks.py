"""``/c/<type>/<channel uuid>/<action>``: where providers deliver messages, delivery reports and events.

The channel type reads the request into plain items; the domain stores them; the type answers in its own
format. Every request is kept in a channel log (secrets masked), including the ones we refuse.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from sauti.api import routes as mounting
from sauti.channels import registry
from sauti.channels.base import (
    MASK,
    ContactEvent,
    HandlerError,
    HTTPLog,
    InboundRequest,
    Incoming,
    Outcome,
    ProviderHTTP,
    Reply,
    SendError,
    StatusUpdate,
)
from sauti.domain.channels import logs
from sauti.domain.channels import queries as channel_queries
from sauti.domain.channels.service import info
from sauti.domain.errors import Invalid, Problem
from sauti.domain.media import service as media_service
from sauti.domain.messages import receive, status
from sauti.kit.text import has_nul, scrubbed
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


def _words(problem: Problem) -> str:
    """What a provider (and the channel log) is told about a request we could not take."""
    if problem.code == "invalid_urn":
        return f"invalid URN: {problem.params.get('value')}"
    return f"invalid {problem.field or 'request'}: {problem.code}"


def _response(reply: Reply) -> Response:
    return Response(content=reply.body, status_code=reply.status, media_type=reply.content_type)


# inbound headers whose values are credentials whatever they hold (a wrong secret may be a near miss)
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "x-telegram-bot-api-secret-token"})


def _dump(inbound: InboundRequest) -> str:
    lines = [f"{k}: {MASK if k in SENSITIVE_HEADERS else v}\r\n" for k, v in inbound.headers.items()]
    return f"{inbound.method} {inbound.url}\r\n" + "".join(lines) + "\r\n" + inbound.body.decode("utf-8", "replace")


async def handle(request: Request) -> Response:
    slug = request.path_params["slug"]
    kind = registry.by_slug(slug)
    not_found = Reply(404, b'{"message":"Error","data":[{"type":"error","error":"channel not found"}]}')
    if kind is None or has_nul(request.path_params["uuid"]) or has_nul(request.path_params["action"]):
        return _response(not_found)
    started = time.monotonic()
    state = request.app.state
    async with state.sessionmaker() as session:
        found = await channel_queries.for_callback(session, kind.code, request.path_params["uuid"])
        if found is None:
            return _response(not_found)
        channel, workspace = found
        inbound = await _inbound(request)
        http = ProviderHTTP(state.http_client, kind.secrets(info(channel, state.settings.callback_base)))
        action = request.path_params["action"]
        outcome = Outcome()
        log_type = "msg_receive"
        errors: list[dict[str, str]] = []
        try:
            items = await kind.receive(info(channel, state.settings.callback_base), action, inbound, http)
            for item in map(scrubbed, items):
                if isinstance(item, Incoming):
                    if kind.fetch_attachments and item.attachments:
                        item = await _fetch_attachments(session, workspace, item, http, state, errors)
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
            await session.refresh(channel)  # the rollback expired it; the log below reads it
            errors.append({"code": "handler", "message": exc.message})
            reply = kind.error_reply(exc)
        except Invalid as exc:
            await session.rollback()
            await session.refresh(channel)
            problem = "; ".join(_words(p) for p in exc.problems)
            errors.append({"code": "invalid", "message": problem})
            reply = kind.error_reply(HandlerError(problem))
        except SendError as exc:
            # the type could not reach its provider while reading the request (e.g. a file lookup): ask the
            # provider to deliver again later
            await session.rollback()
            await session.refresh(channel)
            errors.append({"code": exc.code, "message": exc.message})
            reply = kind.error_reply(HandlerError(exc.message, status=503))
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


async def _fetch_attachments(
    session: AsyncSession, workspace: Workspace, incoming: Incoming, http: ProviderHTTP, state: Any, errors: list[Any]
) -> Incoming:
    """Download each attachment from the provider into our media storage and keep only our URL. One that cannot
    be fetched is dropped (its URL carries credentials) and the failure is logged."""
    kept: list[str] = []
    for attachment in incoming.attachments:
        ctype, _, url = attachment.partition(":")
        try:
            response = await http.request("GET", url)
        except SendError as exc:
            errors.append({"code": "attachment_fetch", "message": exc.message})
            continue
        if response.status_code != 200:
            errors.append({"code": "attachment_fetch", "message": f"provider answered {response.status_code}"})
            continue
        media = await media_service.create(
            session,
            workspace,
            data_dir=Path(state.settings.data_dir),
            base_url=state.settings.callback_base,
            filename=url.rsplit("/", 1)[-1].split("?")[0] or None,
            content_type=response.headers.get("content-type", ctype).split(";")[0] or ctype,
            content=response.content,
            checked=False,
        )
        kept.append(media_service.attachment(media))
    return replace(incoming, attachments=tuple(kept))


def mount(app: FastAPI) -> None:
    mounting.add(mounting.table(app), "/c/{slug}/{uuid}/{action}", handle, methods=["GET", "POST"])
