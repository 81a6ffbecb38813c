"""The sauti command, run as a real process against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.models import APIToken, Membership, User, Workspace
from tests.conftest import Backend

pytestmark = pytest.mark.usefixtures("app")


def sauti(backend: Backend, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAUTI_DATABASE_URL": backend.url, "SAUTI_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "sauti.cli", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_workspace_user_and_token_lifecycle(app: Any, backend: Backend, tmp_path: Path, db: Any) -> None:
    assert sauti(backend, tmp_path, "migrate").returncode == 0
    made = sauti(backend, tmp_path, "workspace", "create", "Acme", "--country", "KE", "--language", "eng",
                 "--language", "swa", "--timezone", "Africa/Nairobi")  # fmt: skip
    assert made.returncode == 0, made.stderr
    user = sauti(backend, tmp_path, "user", "create", "ops@acme.org", "--workspace", "Acme", "--role", "editor")
    assert user.returncode == 0, user.stderr
    token = sauti(backend, tmp_path, "token", "create", "ops@acme.org", "--workspace", "Acme")
    assert token.returncode == 0, token.stderr
    key = token.stdout.strip()
    assert len(key) == 40

    async with db() as session:
        ws = (await session.execute(select(Workspace).where(Workspace.name == "Acme"))).scalar_one()
        assert (ws.country, ws.languages, ws.timezone) == ("KE", ["eng", "swa"], "Africa/Nairobi")
        role = (await session.execute(select(Membership.role).join(User).where(User.email == "ops@acme.org"))).scalar()
        assert role == "editor"
        stored = (await session.execute(select(APIToken))).scalar_one()
        assert stored.digest != key and stored.prefix == key[:8]

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers={"Authorization": f"Token {key}"}
    ) as c:
        assert (await c.get("/api/v2/workspace.json")).json()["name"] == "Acme"
        listed = sauti(backend, tmp_path, "token", "list", "--workspace", "Acme")
        assert key[:8] in listed.stdout and key not in listed.stdout and "ops@acme.org" in listed.stdout
        revoked = sauti(backend, tmp_path, "token", "revoke", key[:8], "--workspace", "Acme")
        assert revoked.returncode == 0 and "revoked 1" in revoked.stdout
        assert (await c.get("/api/v2/workspace.json")).json() == {"detail": "Invalid token"}
    again = sauti(backend, tmp_path, "token", "revoke", key[:8], "--workspace", "Acme")
    assert again.returncode == 2


def said(result: subprocess.CompletedProcess[str]) -> str:
    """What a failed command told the operator, as one line (errors go to stderr)."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return " ".join(result.stderr.split())


async def test_bad_input_is_a_clear_error(backend: Backend, tmp_path: Path, db: Any) -> None:
    bad = sauti(backend, tmp_path, "workspace", "create", "Nowhere", "--country", "XX")
    assert said(bad) == "error: country 'XX' is not an ISO 3166 alpha-2 code such as RW or KE"
    missing = sauti(backend, tmp_path, "user", "create", "a@b.org", "--workspace", "No Such Workspace")
    assert said(missing) == (
        "error: no workspace is named or has the UUID 'No Such Workspace': `sauti workspace list` shows them"
    )
    sauti(backend, tmp_path, "workspace", "create", "Acme")
    role = sauti(backend, tmp_path, "user", "create", "x@acme.org", "--workspace", "Acme", "--role", "admin")
    assert said(role) == 'error: role "admin" is not valid: use administrator, editor or agent'
    sauti(backend, tmp_path, "user", "create", "agent@acme.org", "--workspace", "Acme", "--role", "agent")
    agent = sauti(backend, tmp_path, "token", "create", "agent@acme.org", "--workspace", "Acme")
    assert "only administrators and editors can hold API tokens" in said(agent)
    nobody = sauti(backend, tmp_path, "token", "create", "ghost@acme.org", "--workspace", "Acme")
    assert said(nobody).startswith("error: no user has the email 'ghost@acme.org'")
    async with db() as session:
        assert (await session.execute(select(APIToken))).first() is None
        assert [w.name for w in (await session.execute(select(Workspace))).scalars()] == ["Acme"]


async def test_demo_is_idempotent(backend: Backend, tmp_path: Path, db: Any) -> None:
    first = sauti(backend, tmp_path, "demo")
    second = sauti(backend, tmp_path, "demo")
    assert first.returncode == 0 and second.returncode == 0, first.stderr
    key = (tmp_path / "demo-token").read_text().strip()
    assert key in first.stdout and key in second.stdout
    assert oct((tmp_path / "demo-token").stat().st_mode)[-3:] == "600"
    async with db() as session:
        assert len((await session.execute(select(Workspace))).all()) == 1
        assert len((await session.execute(select(APIToken))).all()) == 1


async def test_channel_commands(backend: Backend, tmp_path: Path, db: Any) -> None:
    from sauti.models import Channel, Message

    sauti(backend, tmp_path, "workspace", "create", "Acme", "--country", "RW")
    added = sauti(
        backend, tmp_path, "channel", "add", "test", "Demo", "--workspace", "Acme", "--address", "+250788000000"
    )
    assert added.returncode == 0, added.stdout + added.stderr
    async with db() as session:
        channel = (await session.execute(select(Channel))).scalar_one()
    assert (channel.channel_type, channel.name, channel.country) == ("TST", "Demo", "RW")
    assert f"/c/test/{channel.uuid}/" in added.stdout
    listed = sauti(backend, tmp_path, "channel", "list", "--workspace", "Acme")
    assert channel.uuid in listed.stdout and "TST" in listed.stdout
    got = sauti(backend, tmp_path, "channel", "receive", channel.uuid, "--from", "0788123123", "--text", "hello")
    assert got.returncode == 0, got.stdout + got.stderr
    async with db() as session:
        message = (await session.execute(select(Message))).scalar_one()
    assert (message.direction, message.text, message.status) == ("in", "hello", "handled")
    bad = sauti(backend, tmp_path, "channel", "add", "nope", "X", "--workspace", "Acme")
    assert said(bad) == "error: unknown channel type 'nope': use EX (ex), T (t), TG (tg) or TST (test)"
    removed = sauti(backend, tmp_path, "channel", "remove", channel.uuid, "--workspace", "Acme")
    assert removed.returncode == 0
    async with db() as session:
        assert (await session.execute(select(Channel.is_active))).scalar_one() is False


async def test_opt_out_words(app: Any, backend: Backend, tmp_path: Path, db: Any) -> None:
    from sauti.channels.base import Incoming
    from sauti.domain.messages import receive
    from sauti.models import Contact
    from tests.conftest import Tenant, add_channel, make_tenant

    tenant: Tenant = await make_tenant(backend, "Acme", "a@acme.org", country="RW")
    shown = sauti(backend, tmp_path, "workspace", "opt-out-words", "Acme")
    assert "stop" in shown.stdout and "unsubscribe" in shown.stdout
    changed = sauti(backend, tmp_path, "workspace", "opt-out-words", "Acme", "HAGARIKA", "Acha")
    assert changed.returncode == 0 and changed.stdout.strip() == "acha, hagarika"
    channel = await add_channel(backend, tenant)
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        ch = await session.get(type(channel), channel.id)
        await receive.receive(session, ws, ch, Incoming(urn="tel:+250788000001", text="stop"))
        await receive.receive(session, ws, ch, Incoming(urn="tel:+250788000002", text=" Hagarika "))
        await session.commit()
        rows = (await session.execute(select(Contact.status).order_by(Contact.id))).scalars().all()
    assert list(rows) == ["active", "stopped"]  # "stop" is no longer an opt-out word here; "hagarika" is


async def test_workspace_names_are_unique_and_listed(backend: Backend, tmp_path: Path, db: Any) -> None:
    assert sauti(backend, tmp_path, "workspace", "create", "Acme").returncode == 0
    again = sauti(backend, tmp_path, "workspace", "create", "ACME")
    assert said(again) == (
        "error: a workspace called 'ACME' already exists (names are unique whatever their case): pick another"
    )
    sauti(backend, tmp_path, "workspace", "create", "Beta Org", "--country", "KE", "--language", "swa")
    listed = sauti(backend, tmp_path, "workspace", "list")
    async with db() as session:
        rows = (await session.execute(select(Workspace).order_by(Workspace.id))).scalars().all()
    assert [w.name for w in rows] == ["Acme", "Beta Org"]
    # piped output is tab-separated and complete: every UUID whole
    assert listed.stdout.splitlines() == [
        "uuid\tname\tcountry\ttimezone\tlanguages",
        f"{rows[0].uuid}\tAcme\t\tUTC\t",
        f"{rows[1].uuid}\tBeta Org\tKE\tUTC\tswa",
    ]
    # names are matched whatever their case
    found = sauti(backend, tmp_path, "workspace", "opt-out-words", "beta org")
    assert found.returncode == 0 and "stop" in found.stdout


async def test_a_name_two_older_workspaces_share_asks_for_the_uuid(backend: Backend, tmp_path: Path, db: Any) -> None:
    from sauti.kit import clock

    async with db() as session:
        for _ in range(2):  # as a database from before names were unique may hold them
            now = clock.now()
            session.add(Workspace(uuid=clock.new_uuid(), name="Twin", created_on=now, modified_on=now))
        await session.commit()
        uuids = [w.uuid for w in (await session.execute(select(Workspace).order_by(Workspace.id))).scalars()]
    twin = sauti(backend, tmp_path, "channel", "list", "--workspace", "Twin")
    assert said(twin) == f"error: 2 workspaces are called 'Twin': name one by its UUID ({uuids[0]}, {uuids[1]})"
    by_uuid = sauti(backend, tmp_path, "channel", "list", "--workspace", uuids[1])
    assert by_uuid.returncode == 0 and by_uuid.stdout.splitlines() == ["uuid\ttype\tname\taddress\tschemes"]


async def test_channel_output_is_whole_and_uses_the_public_url(backend: Backend, tmp_path: Path, db: Any) -> None:
    from sauti.models import Channel

    sauti(backend, tmp_path, "workspace", "create", "Acme", "--country", "RW")
    env_url = {"SAUTI_PUBLIC_URL": "https://sms.example.org/"}
    added = run_with(backend, tmp_path, env_url, "channel", "add", "EX", "Gateway with a long name for the table",
                     "--workspace", "Acme", "-c", "send_url=https://gateway.example/send")  # fmt: skip
    assert added.returncode == 0, added.stderr
    async with db() as session:
        channel = (await session.execute(select(Channel))).scalar_one()
    for action in ("receive", "sent", "delivered", "failed", "stopped"):
        assert f"  {action}: https://sms.example.org/c/ex/{channel.uuid}/{action}" in added.stdout.splitlines()
    listed = sauti(backend, tmp_path, "channel", "list", "--workspace", "Acme")
    assert listed.stdout.splitlines()[1] == f"{channel.uuid}\tEX\tGateway with a long name for the table\t\ttel"
    other = sauti(backend, tmp_path, "channel", "receive", channel.uuid, "--from", "+250788123123", "--text", "hi")
    assert said(other).startswith(f"error: channel {channel.uuid} is not a test channel")


async def test_migrate_says_what_it_did_and_the_demo_banner_does_not_wrap(backend: Backend, tmp_path: Path) -> None:
    fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    first = run_with(backend, tmp_path, {"SAUTI_DATABASE_URL": fresh}, "migrate")
    assert first.returncode == 0 and first.stdout.startswith("created the database schema at revision ")
    second = run_with(backend, tmp_path, {"SAUTI_DATABASE_URL": fresh}, "migrate")
    assert second.stdout.startswith("database is up to date at revision ")
    demo = run_with(backend, tmp_path, {"SAUTI_DATABASE_URL": fresh, "COLUMNS": "40"}, "demo")
    key = (tmp_path / "demo-token").read_text().strip()
    lines = demo.stdout.splitlines()
    assert f"API token: {key}" in lines
    assert f'  curl -s -H "Authorization: Token {key}" http://127.0.0.1:8000/api/v2/workspace.json' in lines
    assert f"  curl -u admin@demo.sauti.local:{key} http://127.0.0.1:8000/api/contacts" in lines


def run_with(backend: Backend, tmp_path: Path, extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAUTI_DATABASE_URL": backend.url, "SAUTI_DATA_DIR": str(tmp_path), **extra}
    return subprocess.run(
        [sys.executable, "-m", "sauti.cli", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_trigger_commands(backend: Backend, tmp_path: Path, db: Any) -> None:
    import json

    from sauti.domain.flows.definitions import save_flow
    from sauti.models import Channel, FlowSession, FlowTrigger, Message

    sauti(backend, tmp_path, "workspace", "create", "Acme", "--country", "RW")
    sauti(backend, tmp_path, "channel", "add", "test", "Demo", "--workspace", "Acme", "--address", "+250788000000")
    definition = json.loads((Path(__file__).parent / "domain" / "flow_defs" / "registration.json").read_text())
    async with db() as session:
        ws = (await session.execute(select(Workspace))).scalar_one()
        await save_flow(session, ws, definition)
        await session.commit()
        channel = (await session.execute(select(Channel))).scalar_one()

    added = sauti(backend, tmp_path, "trigger", "add", "--workspace", "Acme", "--flow", "Mini Registration",
                  "--keyword", "Join", "--match", "only_word")  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    async with db() as session:
        trigger = (await session.execute(select(FlowTrigger))).scalar_one()
    assert added.stdout.strip() == f"trigger added: {trigger.uuid}"
    assert (trigger.keywords, trigger.match_type, trigger.trigger_type) == (["join"], "only_word", "keyword")
    listed = sauti(backend, tmp_path, "trigger", "list", "--workspace", "Acme")
    assert listed.stdout.splitlines() == [
        "uuid\ttype\tkeywords\tmatch\tflow",
        f"{trigger.uuid}\tkeyword\tjoin\tonly_word\tMini Registration",
    ]
    # a message of just the keyword starts the flow (the keyword answers its first question: the skip rule)
    got = sauti(backend, tmp_path, "channel", "receive", channel.uuid, "--from", "0788123123", "--text", "JOIN")
    assert got.returncode == 0, got.stderr
    async with db() as session:
        assert (await session.execute(select(FlowSession.status))).scalar_one() == "waiting"
        texts = (await session.execute(select(Message.text).where(Message.direction == "out"))).scalars().all()
        assert list(texts) == ["Hi! What is your name?", "Thanks JOIN. How old are you?"]

    taken = sauti(backend, tmp_path, "trigger", "add", "--workspace", "Acme", "--flow", "Mini Registration",
                  "--keyword", "join")  # fmt: skip
    assert said(taken) == (
        "error: an active trigger already answers 'join' for the same channel and groups: remove it first"
    )
    two_words = sauti(backend, tmp_path, "trigger", "add", "--workspace", "Acme", "--flow", "Mini Registration",
                      "--keyword", "sign up")  # fmt: skip
    assert said(two_words) == (
        "error: keyword 'sign up' is not one word: use 1 to 16 letters, digits or underscores, without spaces"
    )
    no_flow = sauti(backend, tmp_path, "trigger", "add", "--workspace", "Acme", "--flow", "Nope", "--catch-all")
    assert said(no_flow) == "error: no flow is named or has the UUID 'Nope'"
    neither = sauti(backend, tmp_path, "trigger", "add", "--workspace", "Acme", "--flow", "Mini Registration")
    assert said(neither) == "error: give either --keyword WORD (one or more) or --catch-all"
    removed = sauti(backend, tmp_path, "trigger", "remove", trigger.uuid, "--workspace", "Acme")
    assert removed.returncode == 0 and removed.stdout.strip() == f"trigger {trigger.uuid} removed"
    again = sauti(backend, tmp_path, "trigger", "remove", trigger.uuid, "--workspace", "Acme")
    assert said(again) == (
        f"error: no active trigger has the UUID '{trigger.uuid}': `sauti trigger list --workspace NAME` shows them"
    )
    async with db() as session:
        assert (await session.execute(select(FlowTrigger.is_archived))).scalar_one() is True


async def test_flow_commands(backend: Backend, tmp_path: Path, db: Any) -> None:
    import json

    from sauti.domain.contacts import service as contacts
    from sauti.domain.flows import runner
    from sauti.domain.flows.definitions import save_flow
    from sauti.models import Flow, FlowSession

    sauti(backend, tmp_path, "workspace", "create", "Acme", "--country", "RW")
    sauti(backend, tmp_path, "channel", "add", "test", "Demo", "--workspace", "Acme", "--address", "+250788000000")
    definition = json.loads((Path(__file__).parent / "domain" / "flow_defs" / "registration.json").read_text())
    async with db() as session:
        ws = (await session.execute(select(Workspace))).scalar_one()
        flow = await save_flow(session, ws, definition)
        contact = await contacts.create(session, ws, contacts.ContactInput(name="Kofi", urns=["tel:+250788123123"]))
        assert await runner.start_contacts(session, ws, flow, [contact.id]) == 1
        await session.commit()

    listed = sauti(backend, tmp_path, "flow", "list", "--workspace", "Acme")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "uuid\tname\ttype\tstatus\twaiting",
        f"{flow.uuid}\tMini Registration\tmessage\tactive\t1",
    ]
    archived = sauti(backend, tmp_path, "flow", "archive", "Mini Registration", "--workspace", "Acme")
    assert archived.stdout.strip() == "flow 'Mini Registration' archived: 1 waiting session interrupted"
    async with db() as session:
        assert (await session.execute(select(FlowSession.status))).scalar_one() == "interrupted"
        assert (await session.execute(select(Flow.is_archived))).scalar_one() is True
    listed = sauti(backend, tmp_path, "flow", "list", "--workspace", "Acme")
    assert listed.stdout.splitlines()[1] == f"{flow.uuid}\tMini Registration\tmessage\tarchived\t0"
    again = sauti(backend, tmp_path, "flow", "archive", flow.uuid, "--workspace", "Acme")
    assert again.stdout.strip() == "flow 'Mini Registration' was already archived"
    restored = sauti(backend, tmp_path, "flow", "restore", flow.uuid, "--workspace", "Acme")
    assert restored.stdout.strip() == "flow 'Mini Registration' restored"
    assert sauti(backend, tmp_path, "flow", "restore", flow.uuid, "--workspace", "Acme").stdout.strip() == (
        "flow 'Mini Registration' is not archived"
    )
    async with db() as session:
        assert (await session.execute(select(Flow.is_archived))).scalar_one() is False
    nope = sauti(backend, tmp_path, "flow", "archive", "Nope", "--workspace", "Acme")
    assert said(nope) == "error: no flow is named or has the UUID 'Nope'"


async def test_resthook_commands(backend: Backend, tmp_path: Path, db: Any) -> None:
    import json

    from sauti.models import Resthook, ResthookSubscriber, SigningKey
    from tests.test_resthooks_end_to_end import flow_definition

    sauti(backend, tmp_path, "workspace", "create", "Acme", "--country", "RW")
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"version": "13", "site": "https://x", "flows": [flow_definition()],
                                  "campaigns": [], "triggers": [], "fields": [], "groups": []}))  # fmt: skip
    imported = sauti(backend, tmp_path, "import", str(export), "--workspace", "Acme")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    async with db() as session:  # importing a flow that calls a resthook made it
        assert list((await session.execute(select(Resthook.slug, Resthook.is_active))).all()) == [
            ("new-registration", True)
        ]

    added = sauti(backend, tmp_path, "resthook", "add", " New-Mother ", "--workspace", "Acme")
    assert (added.returncode, added.stdout.strip()) == (0, "resthook added: new-mother")
    again = sauti(backend, tmp_path, "resthook", "add", "new-mother", "--workspace", "Acme")
    assert (again.returncode, again.stdout.strip()) == (0, "resthook exists: new-mother")
    blank = sauti(backend, tmp_path, "resthook", "add", "  ", "--workspace", "Acme")
    assert blank.returncode == 2 and "error" in blank.stderr

    async with db() as session:
        ws = (await session.execute(select(Workspace))).scalar_one()
        from sauti.domain.resthooks import service as resthooks

        await resthooks.subscribe(session, ws, resthook="new-mother", target_url="https://a.example/m")
        await session.commit()
    listed = sauti(backend, tmp_path, "resthook", "list", "--workspace", "Acme")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "resthook\tsubscribers\turls",
        "new-mother\t1\thttps://a.example/m",
        "new-registration\t0\t",
    ]

    shown = sauti(backend, tmp_path, "resthook", "secret", "--workspace", "Acme")
    assert shown.returncode == 0
    secret = shown.stdout.strip()
    assert sauti(backend, tmp_path, "resthook", "secret", "--workspace", "Acme").stdout.strip() == secret  # stable
    rotated = sauti(backend, tmp_path, "resthook", "secret", "--workspace", "Acme", "--rotate").stdout.strip()
    assert len(rotated) == 64 and rotated != secret
    async with db() as session:
        assert (await session.execute(select(SigningKey.secret))).scalar_one() == rotated

    removed = sauti(backend, tmp_path, "resthook", "remove", "new-mother", "--workspace", "Acme")
    assert (removed.returncode, removed.stdout.strip()) == (0, "resthook removed: new-mother")
    async with db() as session:
        assert (await session.execute(select(ResthookSubscriber.is_active))).scalar_one() is False
    missing = sauti(backend, tmp_path, "resthook", "remove", "new-mother", "--workspace", "Acme")
    assert missing.returncode == 2
    assert "no active resthook has the slug 'new-mother'" in missing.stderr
    empty_log = sauti(backend, tmp_path, "webhook", "log", "--workspace", "Acme")
    assert (empty_log.returncode, empty_log.stdout.splitlines()) == (
        0,
        ["when\tkind\tstatus\telapsed_ms\toutcome\turl"],
    )
