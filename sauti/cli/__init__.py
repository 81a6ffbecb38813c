"""The ``sauti`` command: serve, migrate, and manage workspaces, users and API tokens."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.channels.base import ChannelInfo
from sauti.cli import words
from sauti.db.engine import make_engine, make_sessionmaker
from sauti.db.migrate import upgrade
from sauti.domain.errors import DomainError, NotFound
from sauti.domain.workspaces import service
from sauti.kit.timefmt import format_utc
from sauti.settings import get_settings

if TYPE_CHECKING:
    from sauti.models import Flow, Workspace

app = typer.Typer(help="Sauti: a self-hostable messaging platform.", no_args_is_help=True)
workspace_app = typer.Typer(help="Manage workspaces.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(workspace_app, name="workspace")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
channel_app = typer.Typer(help="Manage channels.", no_args_is_help=True)
app.add_typer(channel_app, name="channel")
flow_app = typer.Typer(help="List, archive and restore flows.", no_args_is_help=True)
app.add_typer(flow_app, name="flow")
trigger_app = typer.Typer(help="Manage the triggers that start flows from incoming messages.", no_args_is_help=True)
app.add_typer(trigger_app, name="trigger")
campaign_app = typer.Typer(help="List, archive and restore campaigns.", no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")
classifier_app = typer.Typer(help="Manage the NLU classifiers flows call.", no_args_is_help=True)
app.add_typer(classifier_app, name="classifier")
archive_app = typer.Typer(help="Archive old messages and runs.", no_args_is_help=True)
app.add_typer(archive_app, name="archive")
console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")

DEMO_WORKSPACE = "Demo Workspace"
DEMO_EMAIL = "admin@demo.sauti.local"


def _db(fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``fn`` in one committed transaction against the configured database."""

    async def go() -> T:
        engine = make_engine(get_settings().resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await fn(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except DomainError as exc:
        _fail(words.error(exc))
        raise  # unreachable: _fail exits


def _fail(text: str) -> NoReturn:
    err_console.print(f"[red]error:[/red] {text}", soft_wrap=True, highlight=False)
    raise typer.Exit(2)


def _out(text: str) -> None:
    """A line of output, never wrapped or cut (UUIDs, tokens and URLs stay whole, in a terminal or a pipe)."""
    console.print(text, soft_wrap=True, highlight=False)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table for people in a terminal (no column is ever cut), tab-separated lines for a pipe or a file."""
    if not console.is_terminal:
        for line in [headers, *rows]:
            sys.stdout.write("\t".join(line) + "\n")
        return
    table = Table(*headers)
    for column, _ in zip(table.columns, headers, strict=True):
        column.no_wrap = True
        column.overflow = "ignore"
    for row in rows:
        table.add_row(*row)
    console.print(table, soft_wrap=True)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = get_settings()
    url = settings.resolved_database_url
    before, after = upgrade(url)
    where = _describe(url)
    if before is None:
        _out(f"created the database schema at revision {after} ({where})")
    elif before != after:
        _out(f"upgraded the database from revision {before} to {after} ({where})")
    else:
        _out(f"database is up to date at revision {after} ({where})")


def _describe(url: str) -> str:
    return url.split("@")[-1] if "@" in url else url


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
) -> None:
    """Serve the APIs (and, unless SAUTI_EMBEDDED_WORKER=false, the background worker) in one process."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "sauti.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        proxy_headers=True,
    )


@workspace_app.command("create")
def workspace_create(
    name: str,
    country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2 country code, e.g. RW")] = None,
    language: Annotated[list[str] | None, typer.Option(help="ISO-639-3 language code, primary first")] = None,
    timezone: Annotated[str, typer.Option(help="IANA timezone")] = "UTC",
    date_style: Annotated[str, typer.Option(help="day_first, month_first or year_first")] = "day_first",
    anon: Annotated[bool, typer.Option(help="hide contact URNs")] = False,
) -> None:
    """Create a workspace."""

    async def go(session: AsyncSession) -> str:
        ws = await service.create_workspace(
            session,
            name=name,
            country=country,
            languages=language or [],
            timezone=timezone,
            date_style=date_style,
            anon=anon,
        )
        return ws.uuid

    _out(f"workspace {name!r} created: {_db(go)}")


@workspace_app.command("list")
def workspace_list() -> None:
    """List the workspaces: UUID, name, country, timezone and languages."""

    async def go(session: AsyncSession) -> list[tuple[str, str, str, str, str]]:
        return [
            (w.uuid, w.name, w.country or "", w.timezone, ",".join(w.languages or []))
            for w in await service.list_workspaces(session)
        ]

    _table(("uuid", "name", "country", "timezone", "languages"), _db(go))


@workspace_app.command("opt-out-words")
def workspace_opt_out_words(
    workspace: Annotated[str, typer.Argument(help="workspace name or UUID")],
    words: Annotated[list[str] | None, typer.Argument(help="the new words; none to show the current ones")] = None,
) -> None:
    """Show or replace the words that, sent alone by a contact, opt them out (their status becomes stopped)."""

    async def go(session: AsyncSession) -> list[str]:
        ws = await service.get_workspace(session, workspace)
        if words:
            ws.opt_out_keywords = sorted({w.strip().casefold() for w in words if w.strip()})
        return list(ws.opt_out_keywords or [])

    _out(", ".join(_db(go)) or "(none)")


@user_app.command("create")
def user_create(
    email: str,
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
    role: Annotated[str, typer.Option(help="administrator, editor or agent")] = "administrator",
    password: Annotated[str | None, typer.Option(help="login password (optional)")] = None,
    first_name: str = "",
    last_name: str = "",
) -> None:
    """Create a user (or reuse one with this email) and give them a role in a workspace."""

    async def go(session: AsyncSession) -> str:
        ws = await service.get_workspace(session, workspace)
        try:
            user = await service.get_user(session, email)
        except NotFound:
            user = await service.create_user(
                session, email=email, password=password, first_name=first_name, last_name=last_name
            )
        await service.grant_role(session, ws, user, role)
        return user.uuid

    _out(f"user {email} is {role} of {workspace!r}: {_db(go)}")


@token_app.command("create")
def token_create(
    email: str,
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
) -> None:
    """Issue an API token for a user of a workspace. It is shown once: keep it."""

    async def go(session: AsyncSession) -> str:
        ws = await service.get_workspace(session, workspace)
        user = await service.get_user(session, email)
        return (await service.create_token(session, ws, user)).key

    _out(_db(go))


@token_app.command("list")
def token_list(workspace: Annotated[str, typer.Option(help="workspace name or UUID")]) -> None:
    """List a workspace's tokens (their first 8 characters only)."""

    async def go(session: AsyncSession) -> list[tuple[str, str, bool, str]]:
        ws = await service.get_workspace(session, workspace)
        return [
            (t.prefix, u.email, t.is_active, format_utc(t.created_on) or "")
            for t, u in await service.list_tokens(session, ws)
        ]

    rows = [
        (prefix + "…", email, "yes" if active else "revoked", created) for prefix, email, active, created in _db(go)
    ]
    _table(("prefix", "user", "active", "created"), rows)


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="the token, or its first 8 characters")],
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
) -> None:
    """Revoke a token: it stops working at once."""

    async def go(session: AsyncSession) -> int:
        ws = await service.get_workspace(session, workspace)
        return await service.revoke_token(session, ws, token)

    count = _db(go)
    if not count:
        _fail(f"no active token of {workspace!r} is {token!r} or starts with it: `sauti token list` shows them")
    _out(f"revoked {count} token(s)")


@app.command()
def worker() -> None:
    """Run the background worker alone (sending, broadcasts, recovery); run several against PostgreSQL."""
    import signal

    from sauti.domain.flows import webhooks as flow_webhooks
    from sauti.worker import Worker

    settings = get_settings()
    flow_webhooks.configure(
        timeout=settings.flow_webhook_timeout,
        allow_private=settings.webhook_allow_private,
        allow=settings.webhook_allow_networks,
    )

    async def go() -> None:
        from sauti.kit import gctune

        gctune.tune()
        engine = make_engine(settings.resolved_database_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            w = Worker(make_sessionmaker(engine), settings)
            _out(f"worker {w.id} running")
            await w.run(stop)
        finally:
            await engine.dispose()

    try:
        import uvloop
    except ImportError:  # uvicorn[standard] brings it wherever it builds
        asyncio.run(go())
    else:  # the loop the server's embedded worker runs on (uvicorn's choice): the sending worker spent a tenth
        uvloop.run(go())  # of its time in asyncio's own loop and socket transports


def _config_pairs(pairs: list[str] | None) -> dict[str, object]:
    import json

    config: dict[str, object] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            _fail(f"a channel setting is written key=value, not {pair!r}")
        try:
            config[key] = json.loads(value) if value[:1] in "[{" else value
        except ValueError:
            config[key] = value
    return config


@channel_app.command("add")
def channel_add(
    channel_type: Annotated[str, typer.Argument(help="type code or slug: TST/test, EX/ex, T/t, TG/tg")],
    name: str,
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
    address: Annotated[str, typer.Option(help="the channel's phone number, short code or bot name")] = "",
    country: Annotated[str | None, typer.Option(help="country for reading local numbers")] = None,
    scheme: Annotated[list[str] | None, typer.Option(help="URN scheme it reaches (repeatable)")] = None,
    tps: Annotated[int | None, typer.Option(help="maximum messages per second")] = None,
    config: Annotated[list[str] | None, typer.Option("--config", "-c", help="type setting key=value")] = None,
) -> None:
    """Add a channel; prints its UUID and the URLs providers should call."""
    from sauti.channels import registry
    from sauti.domain.channels import service as channels

    async def go(session: AsyncSession) -> ChannelInfo:
        ws = await service.get_workspace(session, workspace)
        channel = await channels.add(
            session,
            ws,
            channel_type=channel_type,
            name=name,
            address=address,
            country=country,
            schemes=scheme,
            tps=tps,
            config=_config_pairs(config),
        )
        return channels.info(channel, get_settings().callback_base)

    chan = _db(go)
    kind = registry.by_code(chan.channel_type)
    _out(f"channel {name!r} added: {chan.uuid}")
    if kind is not None:
        _out("give the provider these URLs (from SAUTI_PUBLIC_URL, as the server builds them):")
        for action in kind.actions:
            _out(f"  {action}: {chan.callback_url(kind.slug, action)}")


@channel_app.command("list")
def channel_list(workspace: Annotated[str, typer.Option(help="workspace name or UUID")]) -> None:
    """List a workspace's channels."""
    from sauti.domain.channels import queries as channel_queries
    from sauti.models import Channel

    async def go(session: AsyncSession) -> list[tuple[str, str, str, str, str]]:
        ws = await service.get_workspace(session, workspace)
        rows = await session.execute(channel_queries.listing(ws).order_by(Channel.id))
        return [(c.uuid, c.channel_type, c.name, c.address, ",".join(c.schemes or [])) for c in rows.scalars()]

    _table(("uuid", "type", "name", "address", "schemes"), _db(go))


@channel_app.command("remove")
def channel_remove(uuid: str, workspace: Annotated[str, typer.Option(help="workspace name or UUID")]) -> None:
    """Remove a channel: it sends and receives nothing more."""
    from sauti.domain.channels import service as channels

    async def go(session: AsyncSession) -> str:
        ws = await service.get_workspace(session, workspace)
        return (await channels.remove(session, ws, uuid)).name

    _out(f"channel {_db(go)!r} removed")


@channel_app.command("receive")
def channel_receive(
    uuid: Annotated[str, typer.Argument(help="the test channel's UUID")],
    sender: Annotated[str, typer.Option("--from", help="who writes, e.g. +250788123123")],
    text: Annotated[str, typer.Option(help="what they write")],
) -> None:
    """Inject an incoming message into a test channel, as if a contact had written."""
    from sauti.channels.base import Incoming
    from sauti.domain.channels import service as channels
    from sauti.domain.messages import receive
    from sauti.models import Workspace

    async def go(session: AsyncSession) -> str:
        channel = await channels.test_channel(session, uuid)
        ws = await session.get(Workspace, channel.workspace_id)
        assert ws is not None
        urn = sender if ":" in sender and not sender.startswith("+") else f"{channel.schemes[0]}:{sender}"
        message, _ = await receive.receive(session, ws, channel, Incoming(urn=urn, text=text))
        return message.uuid

    _out(f"received: {_db(go)}")


@trigger_app.command("add")
def trigger_add(
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
    flow: Annotated[str, typer.Option(help="the flow to start: its name or UUID")],
    keyword: Annotated[list[str] | None, typer.Option(help="a keyword that starts the flow (repeatable)")] = None,
    catch_all: Annotated[bool, typer.Option("--catch-all", help="start the flow for any other message")] = False,
    match: Annotated[str, typer.Option(help="first_word (the message starts with it) or only_word")] = "first_word",
    group: Annotated[list[str] | None, typer.Option(help="only for contacts in this group (repeatable)")] = None,
    exclude_group: Annotated[list[str] | None, typer.Option(help="never for contacts in this group")] = None,
    channel: Annotated[str | None, typer.Option(help="only for messages on this channel (UUID)")] = None,
) -> None:
    """Add a keyword trigger (--keyword, repeatable) or a catch-all trigger (--catch-all) for a flow."""
    if catch_all == bool(keyword):
        _fail("give either --keyword WORD (one or more) or --catch-all")

    async def go(session: AsyncSession) -> str:
        from sauti.domain.flows import triggers

        ws = await service.get_workspace(session, workspace)
        found = await _flow(session, ws, flow)
        row = await triggers.create(
            session,
            ws,
            trigger_type="catch_all" if catch_all else "keyword",
            flow=found,
            keywords=keyword or [],
            match_type=match,
            include_group_ids=await _group_ids(session, ws, group or []),
            exclude_group_ids=await _group_ids(session, ws, exclude_group or []),
            channel_id=await _channel_id(session, ws, channel),
        )
        return row.uuid

    _out(f"trigger added: {_db(go)}")


async def _flow(session: AsyncSession, ws: Workspace, ref: str) -> Flow:
    from sauti.domain.flows import queries as flow_queries

    found = await flow_queries.by_uuid(session, ws, ref) or await flow_queries.by_name(session, ws, ref)
    if found is None:
        raise NotFound("flow", ref)
    return found


async def _group_ids(session: AsyncSession, ws: Workspace, refs: Sequence[str]) -> list[int]:
    from sauti.domain.groups import queries as group_queries

    found = await group_queries.by_references(session, ws, list(refs))
    ids = []
    for ref in refs:
        if ref not in found:
            raise NotFound("group", ref)
        ids.append(found[ref].id)
    return ids


async def _channel_id(session: AsyncSession, ws: Workspace, ref: str | None) -> int | None:
    from sauti.domain.channels import queries as channel_queries

    if ref is None:
        return None
    found = await channel_queries.by_uuid(session, ws, ref)
    if found is None:
        raise NotFound("channel", ref)
    return found.id


@trigger_app.command("list")
def trigger_list(workspace: Annotated[str, typer.Option(help="workspace name or UUID")]) -> None:
    """List a workspace's active triggers."""
    from sauti.domain.flows import queries as flow_queries
    from sauti.domain.flows import triggers

    async def go(session: AsyncSession) -> list[tuple[str, ...]]:
        ws = await service.get_workspace(session, workspace)
        rows = await triggers.listing(session, ws)
        flows = await flow_queries.by_ids(session, ws, [t.flow_id for t in rows])
        out: list[tuple[str, ...]] = []
        for t in rows:
            flow = flows.get(t.flow_id)
            what = ",".join(t.keywords) if t.trigger_type == "keyword" else "*"
            match = t.match_type if t.trigger_type == "keyword" else ""
            out.append((t.uuid, t.trigger_type, what, match, flow.name if flow is not None else "(deleted)"))
        return out

    _table(("uuid", "type", "keywords", "match", "flow"), _db(go))


@trigger_app.command("remove")
def trigger_remove(uuid: str, workspace: Annotated[str, typer.Option(help="workspace name or UUID")]) -> None:
    """Remove (archive) a trigger: it starts nothing more."""
    from sauti.domain.flows import triggers

    async def go(session: AsyncSession) -> str:
        ws = await service.get_workspace(session, workspace)
        return (await triggers.remove(session, ws, uuid)).uuid

    _out(f"trigger {_db(go)} removed")


@campaign_app.command("list")
def campaign_list(
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
    archived: Annotated[bool, typer.Option(help="list the archived campaigns instead")] = False,
) -> None:
    """List a workspace's campaigns (live ones, or the archived ones)."""
    from sauti.domain.campaigns import queries as campaign_queries

    async def go(session: AsyncSession) -> list[tuple[str, ...]]:
        ws = await service.get_workspace(session, workspace)
        found = await campaign_queries.listed(session, ws, archived=archived)
        groups = await campaign_queries.groups_of(session, found)
        return [(c.uuid, c.name, groups[c.group_id].name) for c in found]

    _table(("uuid", "name", "group"), _db(go))


@campaign_app.command("archive")
def campaign_archive(uuid: str, workspace: Annotated[str, typer.Option(help="workspace name or UUID")]) -> None:
    """Archive a campaign: its events stop firing (what was due meanwhile is skipped)."""
    from sauti.domain.campaigns import service as campaigns

    async def go(session: AsyncSession) -> str:
        ws = await service.get_workspace(session, workspace)
        return (await campaigns.archive_campaign(session, ws, uuid)).uuid

    _out(f"campaign {_db(go)} archived")


@campaign_app.command("restore")
def campaign_restore(uuid: str, workspace: Annotated[str, typer.Option(help="workspace name or UUID")]) -> None:
    """Restore an archived campaign: every event is scheduled again for the group's members (never back-filled)."""
    from sauti.domain.campaigns import service as campaigns

    async def go(session: AsyncSession) -> str:
        ws = await service.get_workspace(session, workspace)
        return (await campaigns.restore_campaign(session, ws, uuid)).uuid

    _out(f"campaign {_db(go)} restored")


@flow_app.command("list")
def flow_list(workspace: Annotated[str, typer.Option(help="workspace name or UUID")]) -> None:
    """List a workspace's flows (archived ones too) with how many contacts wait in each."""
    from sauti.domain.flows import archiving

    async def go(session: AsyncSession) -> list[tuple[str, ...]]:
        ws = await service.get_workspace(session, workspace)
        return [
            (f.uuid, f.name, f.type, "archived" if f.is_archived else "active", str(f.runs_waiting))
            for f in await archiving.listing(session, ws)
        ]

    _table(("uuid", "name", "type", "status", "waiting"), _db(go))


@flow_app.command("archive")
def flow_archive(
    flow: Annotated[str, typer.Argument(help="the flow's name or UUID")],
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
) -> None:
    """Archive a flow: triggers no longer start it and the contacts waiting in it are interrupted."""
    from sauti.domain.flows import archiving

    async def go(session: AsyncSession) -> tuple[str, bool, int]:
        ws = await service.get_workspace(session, workspace)
        found = await _flow(session, ws, flow)
        was = found.is_archived
        return found.name, was, await archiving.archive(session, ws, found)

    name, was, ended = _db(go)
    if was:
        _out(f"flow {name!r} was already archived")
    else:
        _out(f"flow {name!r} archived: {ended} waiting session{'' if ended == 1 else 's'} interrupted")


@flow_app.command("restore")
def flow_restore(
    flow: Annotated[str, typer.Argument(help="the flow's name or UUID")],
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
) -> None:
    """Restore an archived flow: triggers start it again."""
    from sauti.domain.flows import archiving

    async def go(session: AsyncSession) -> tuple[str, bool]:
        ws = await service.get_workspace(session, workspace)
        found = await _flow(session, ws, flow)
        return found.name, await archiving.restore(session, ws, found)

    name, restored = _db(go)
    _out(f"flow {name!r} restored" if restored else f"flow {name!r} is not archived")


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="a RapidPro/TextIt export (.json), e.g. from definitions.json")],
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
) -> None:
    """Import the fields, groups, flows, triggers and campaigns of an export file, all or nothing. Importing a
    file again updates what it made (flows by UUID, fields by key, groups by UUID or name, campaigns by UUID or
    name) instead of duplicating it."""
    from sauti.domain.flows import imports

    try:
        raw = file.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}")

    async def go(session: AsyncSession) -> imports.ImportSummary:
        ws = await service.get_workspace(session, workspace)
        return await imports.import_export(session, ws, imports.parse(raw))

    done = _db(go)
    for flow in done.flows:
        _out(f"flow {flow.uuid} {flow.name}")
    _out(
        f"imported {len(done.flows)} flows, {done.triggers_created} new triggers ({done.triggers_kept} already "
        f"there), {len(done.fields_created)} new fields ({len(done.fields_kept)} kept), {len(done.groups_created)} "
        f"new groups ({len(done.groups_kept)} kept)"
    )
    if done.triggers_skipped:
        _out(f"skipped {done.triggers_skipped} triggers of types Sauti does not run (only keyword and catch-all)")
    if done.campaigns_skipped:
        _out(f"skipped {done.campaigns_skipped} campaigns: this version of Sauti cannot import campaigns yet")
    elif done.campaigns_imported:
        _out(f"imported {done.campaigns_imported} campaigns")


@app.command()
def demo() -> None:
    """Create (or reuse) the demo workspace, its admin user and API token, and print how to call the API.

    The demo token is kept in ``<data dir>/demo-token`` (mode 0600) so a second run can show it again; tokens
    made with ``sauti token create`` are never stored in the clear.
    """
    settings = get_settings()
    token_file = Path(settings.data_dir) / "demo-token"

    async def go(session: AsyncSession) -> str:
        try:
            ws = await service.get_workspace(session, DEMO_WORKSPACE)
        except NotFound:
            ws = await service.create_workspace(
                session, name=DEMO_WORKSPACE, country="RW", languages=["eng", "kin"], timezone="Africa/Kigali"
            )
        try:
            user = await service.get_user(session, DEMO_EMAIL)
        except NotFound:
            user = await service.create_user(session, email=DEMO_EMAIL, first_name="Demo", last_name="Admin")
        await service.grant_role(session, ws, user, "administrator")
        await _demo_channel(session, ws)
        await _demo_flow(session, ws)
        if token_file.exists():
            key = token_file.read_text().strip()
            caller = await service.authenticate(session, key)
            if caller is not None and caller.workspace.id == ws.id:
                return key
        key = (await service.create_token(session, ws, user)).key
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.write_text(key + "\n")
        os.chmod(token_file, 0o600)
        return key

    key = _db(go)
    email = DEMO_EMAIL
    base = f"http://{settings.host}:{settings.port}"
    _out(f"\nDemo workspace {DEMO_WORKSPACE!r}, admin {email}")
    _out(f"API token: {key}")
    _out("Try the RapidPro API v2:")
    _out(f'  curl -s -H "Authorization: Token {key}" {base}/api/v2/workspace.json')
    _out("Try the TextUs API v2 (the same token, with your email, over HTTP Basic):")
    _out(f"  curl -u {email}:{key} {base}/api/contacts")
    _out(f"Docs: {base}/api/v2/ and {base}/api/   Explorer: {base}/api/explorer/")
    _out("A test channel is set up: messages to tel: contacts go sent then delivered at once.")
    _out('The Registration flow starts when a contact texts "join" to it (see the README tour).\n')


async def _demo_channel(session: AsyncSession, ws: object) -> None:
    """The demo workspace gets a test channel (no network), so messages can be sent and replies injected."""
    from sauti.domain.channels import queries as channel_queries
    from sauti.domain.channels import service as channels
    from sauti.models import Channel, Workspace

    assert isinstance(ws, Workspace)
    existing = await session.execute(channel_queries.listing(ws).where(Channel.channel_type == "TST"))
    if existing.scalar() is None:
        await channels.add(session, ws, channel_type="TST", name="Test Channel", address="+250788000000")


async def _demo_flow(session: AsyncSession, ws: object) -> None:
    """The demo workspace gets the registration flow (name, age, district) and its keyword trigger "join", from
    the export file shipped beside this module; running the demo again updates them in place."""
    from importlib import resources

    from sauti.domain.flows import imports
    from sauti.models import Workspace

    assert isinstance(ws, Workspace)
    raw = (resources.files("sauti.cli") / "demo_registration.json").read_bytes()
    await imports.import_export(session, ws, imports.parse(raw))


def main() -> None:
    app()


if __name__ == "__main__":
    main()


resthook_app = typer.Typer(help="Manage resthooks (the events flows fire to subscribed URLs).", no_args_is_help=True)
app.add_typer(resthook_app, name="resthook")
webhook_app = typer.Typer(help="Read the log of the calls Sauti made to your URLs.", no_args_is_help=True)
app.add_typer(webhook_app, name="webhook")


@resthook_app.command("add")
def resthook_add(
    slug: Annotated[str, typer.Argument(help="the resthook's slug (kept trimmed and in lower case)")],
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
) -> None:
    """Add a resthook (flows that call a slug create it too); an existing one is left as it is."""

    async def go(session: AsyncSession) -> tuple[str, bool]:
        from sauti.domain.resthooks import service as resthooks

        row, made = await resthooks.add(session, await service.get_workspace(session, workspace), slug)
        return row.slug, made

    found, made = _db(go)
    _out(f"resthook {'added' if made else 'exists'}: {found}")


@resthook_app.command("list")
def resthook_list(workspace: Annotated[str, typer.Option(help="workspace name or UUID")]) -> None:
    """Every active resthook, with its active subscribers."""

    async def go(session: AsyncSession) -> list[list[str]]:
        from sauti.domain.resthooks import queries as resthook_queries

        ws = await service.get_workspace(session, workspace)
        hooks = list((await session.execute(resthook_queries.listing(ws).order_by("slug"))).scalars())
        subscribers = await resthook_queries.subscribers_of(session, ws, [h.id for h in hooks])
        urls: dict[int, list[str]] = {}
        for s in subscribers:
            urls.setdefault(s.resthook_id, []).append(s.target_url)
        return [[h.slug, str(len(urls.get(h.id, []))), " ".join(urls.get(h.id, []))] for h in hooks]

    _table(["resthook", "subscribers", "urls"], _db(go))


@resthook_app.command("remove")
def resthook_remove(
    slug: Annotated[str, typer.Argument(help="the resthook's slug")],
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
) -> None:
    """Remove a resthook and unsubscribe its subscribers (flows that call it then do nothing)."""

    async def go(session: AsyncSession) -> str:
        from sauti.domain.resthooks import service as resthooks

        return (await resthooks.remove(session, await service.get_workspace(session, workspace), slug)).slug

    _out(f"resthook removed: {_db(go)}")


@resthook_app.command("secret")
def resthook_secret(
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
    rotate: Annotated[bool, typer.Option("--rotate", help="make a new secret (receivers must learn it)")] = False,
) -> None:
    """Show the secret every delivery to the workspace's subscribers is signed with (X-Sauti-Signature)."""

    async def go(session: AsyncSession) -> str:
        from sauti.domain.resthooks import service as resthooks

        ws = await service.get_workspace(session, workspace)
        return await (resthooks.rotate_secret(session, ws) if rotate else resthooks.signing_secret(session, ws))

    _out(_db(go))


@webhook_app.command("log")
def webhook_log(
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many calls, newest first")] = 20,
    full: Annotated[bool, typer.Option("--full", help="print each request and response too")] = False,
) -> None:
    """The most recent calls to your URLs: flow webhooks, resthook deliveries and their retries, web hooks."""

    async def go(session: AsyncSession) -> list[Any]:
        from sauti.domain.deliveries import log

        return await log.recent(session, await service.get_workspace(session, workspace), limit)

    calls = _db(go)
    if full:
        for c in calls:
            _out(f"{format_utc(c.created_on)} {c.kind} {c.status_code} {c.elapsed_ms}ms {c.outcome} {c.url}")
            _out(c.request)
            _out(c.response or "(no response)")
            _out("")
        return
    _table(
        ["when", "kind", "status", "elapsed_ms", "outcome", "url"],
        [
            [format_utc(c.created_on) or "", c.kind, str(c.status_code), str(c.elapsed_ms), c.outcome, c.url]
            for c in calls
        ],
    )


@classifier_app.command("add")
def classifier_add(
    workspace: Annotated[str, typer.Option(help="workspace name or UUID")],
    classifier_type: Annotated[str, typer.Option("--type", help="the NLU service: wit, luis or bothub")],
    name: Annotated[str, typer.Option(help="the classifier's name")],
    token: Annotated[str, typer.Option(help="the service's access token (kept secret)")],
    url: Annotated[str | None, typer.Option(help="the service's base URL (Wit.ai: https://api.wit.ai)")] = None,
    version: Annotated[str | None, typer.Option(help="the Wit.ai API version (v=...)")] = None,
    intent: Annotated[list[str] | None, typer.Option(help="an intent it knows (repeatable)")] = None,
) -> None:
    """Add a classifier; prints its UUID (flows name it in their call_classifier actions)."""
    from sauti.domain.classifiers import service as classifiers

    async def go(session: AsyncSession) -> str:
        ws = await service.get_workspace(session, workspace)
        found = await classifiers.add(
            session,
            ws,
            classifier_type=classifier_type,
            name=name,
            token=token,
            url=url,
            version=version,
            intents=intent or [],
        )
        return found.uuid

    _out(f"classifier {name!r} added: {_db(go)}")


@classifier_app.command("list")
def classifier_list(workspace: Annotated[str, typer.Option(help="workspace name or UUID")]) -> None:
    """List a workspace's classifiers (never their tokens)."""
    from sauti.domain.classifiers import queries as classifier_queries

    async def go(session: AsyncSession) -> list[tuple[str, ...]]:
        ws = await service.get_workspace(session, workspace)
        found = await classifier_queries.active(session, ws)
        return [(c.uuid, c.classifier_type, c.name, ",".join(c.intents or [])) for c in found]

    _table(("uuid", "type", "name", "intents"), _db(go))


@classifier_app.command("remove")
def classifier_remove(uuid: str, workspace: Annotated[str, typer.Option(help="workspace name or UUID")]) -> None:
    """Remove a classifier: flows calling it take their Failure exit."""
    from sauti.domain.classifiers import service as classifiers

    async def go(session: AsyncSession) -> str:
        ws = await service.get_workspace(session, workspace)
        return (await classifiers.remove(session, ws, uuid)).name

    _out(f"classifier {_db(go)!r} removed")


@archive_app.command("run")
def archive_run(workspace: Annotated[str, typer.Option(help="workspace name or UUID")]) -> None:
    """Write the workspace's due archives now (messages and runs older than SAUTI_ARCHIVE_AFTER_DAYS days)."""
    from sauti.worker import Worker
    from sauti.worker import archives as archive_work

    settings = get_settings()

    async def go() -> tuple[int, list[tuple[str, ...]]]:
        from sauti.domain.archives import queries as archive_queries

        engine = make_engine(settings.resolved_database_url)
        try:
            sessionmaker = make_sessionmaker(engine)
            async with sessionmaker() as session:
                ws = await service.get_workspace(session, workspace)
            w = Worker(sessionmaker, settings)
            try:
                await w.heartbeat(force=True)
                written = await archive_work.run_now(sessionmaker, w, ws.id)
            finally:
                await w.close()
            async with sessionmaker() as session:
                found = await archive_queries.page(session, archive_queries.listed(ws), 0, 1000)
            rows: list[tuple[str, ...]] = [
                (a.archive_type, a.period, a.start_date.isoformat(), str(a.record_count), str(a.size), a.hash or "")
                for a in found
            ]
            return written, rows
        finally:
            await engine.dispose()

    try:
        written, rows = asyncio.run(go())
    except DomainError as exc:
        _fail(words.error(exc))
    _out(f"{written} archive(s) written")
    _table(("type", "period", "start_date", "records", "size", "hash"), rows)
