"""The README's snippets run as written, against a real server process (only its address is changed)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sauti.models import (
    Broadcast,
    Contact,
    ContactGroup,
    ContactTag,
    FlowRun,
    Message,
    Topic,
    WebHook,
    WebhookDelivery,
)
from tests.conftest import Backend
from tests.support.postgres import free_port
from tests.support.server import Server, running_server

pytestmark = pytest.mark.usefixtures("app")
README = Path(__file__).resolve().parents[1] / "README.md"
DEFAULT_BASE = "http://127.0.0.1:8000"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture
def demo(backend: Backend, tmp_path: Path, app: Any) -> Iterator[tuple[Server, Path]]:
    """``sauti demo`` on the test database (data dir under ``tmp_path``), then a server on it."""
    env = {**os.environ, "SAUTI_DATABASE_URL": backend.url, "SAUTI_DATA_DIR": str(tmp_path / "data")}
    made = subprocess.run(
        [sys.executable, "-m", "sauti.cli", "demo"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert made.returncode == 0, made.stderr
    with running_server(backend.url) as server:
        yield server, tmp_path


@pytest.fixture
def demo_with_worker(backend: Backend, tmp_path: Path, app: Any) -> Iterator[tuple[Server, Path]]:
    """The demo on the test database, served with its embedded worker (the web hook of the TextUs tour needs
    messages to go out)."""
    env = {**os.environ, "SAUTI_DATABASE_URL": backend.url, "SAUTI_DATA_DIR": str(tmp_path / "data")}
    made = subprocess.run(
        [sys.executable, "-m", "sauti.cli", "demo"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert made.returncode == 0, made.stderr
    with running_server(backend.url, env={"SAUTI_EMBEDDED_WORKER": "true"}) as server:
        yield server, tmp_path


def _run(command: list[str], script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command, script], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


async def test_the_tour_runs_as_written(demo: tuple[Server, Path], db: Any) -> None:
    server, cwd = demo
    assert shutil.which("curl"), "the tour uses curl"
    tour = next(b for b in blocks("sh") if "API=http://127.0.0.1:8000/api/v2" in b)
    script = "set -eu\n" + tour.replace(DEFAULT_BASE, server.base_url)
    done = _run(["bash", "-c"], script, cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"detail"' not in done.stdout, done.stdout  # no request of the tour was refused
    async with db() as session:
        ada = (await session.execute(select(Contact).where(Contact.name == "Ada"))).scalar_one()
        assert (ada.language, ada.status) == ("eng", "blocked")
        adults = (await session.execute(select(ContactGroup).where(ContactGroup.name == "Adults"))).scalar_one()
        assert adults.query == "fields.age >= 18"
        texts = set((await session.execute(select(Message.text))).scalars())
        assert {"Hello Ada", "Thanks"} <= texts
        assert (await session.execute(select(Broadcast.translations))).scalar_one() == {"eng": {"text": "Hi all"}}
        run = (await session.execute(select(FlowRun))).scalar_one()  # the Registration conversation
        assert (run.status, run.responded) == ("completed", True)
        assert {k: v["value"] for k, v in run.results.items()} == {"name": "Amani", "age": "31", "district": "Gasabo"}
        topics = set((await session.execute(select(Topic.name))).scalars())
        assert topics == {"General", "Billing"}


def test_the_python_client_snippet_runs(demo: tuple[Server, Path]) -> None:
    server, cwd = demo
    (snippet,) = [b for b in blocks("python") if "TembaClient" in b]
    token = (cwd / "data" / "demo-token").read_text().strip()
    env_headers = ["-H", f"Authorization: Token {token}", "-H", "Content-Type: application/json"]
    base = f"{server.base_url}/api/v2"
    for path, body in [
        ("groups.json", '{"name": "Adults", "query": "age >= 18"}'),
        ("contacts.json", '{"name": "Ada", "urns": ["tel:+250788123123"], "fields": {"age": 36}}'),
        ("contacts.json", '{"name": "Kid", "urns": ["tel:+250788123124"], "fields": {"age": 9}}'),
    ]:
        made = subprocess.run(["curl", "-sf", *env_headers, f"{base}/{path}", "-d", body], capture_output=True)
        assert made.returncode == 0, made.stderr
    ran = _run([sys.executable, "-c"], snippet.replace(DEFAULT_BASE, server.base_url), cwd)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["Ada ['tel:+250788123123']"]


async def test_the_textus_tour_runs_as_written(demo_with_worker: tuple[Server, Path], db: Any) -> None:
    server, cwd = demo_with_worker
    tour = next(b for b in blocks("sh") if "TEXTUS=" in b)
    port = str(free_port())
    script = "set -eu\n" + tour.replace(DEFAULT_BASE, server.base_url).replace("HOOK_PORT=9000", f"HOOK_PORT={port}")
    done = _run(["bash", "-c"], script, cwd)
    assert done.returncode == 0, done.stdout + done.stderr + server.log()
    assert '"error"' not in done.stdout, done.stdout  # no request of the tour was refused
    async with db() as session:
        grace = (await session.execute(select(Contact).where(Contact.name == "Grace Mugisha"))).scalar_one()
        tags = (await session.execute(select(ContactTag.name).where(ContactTag.contact_id == grace.id))).scalars()
        assert list(tags) == ["tour"]
        texts = {
            m.text: m.status
            for m in (await session.execute(select(Message).where(Message.contact_id == grace.id))).scalars()
        }
        assert texts == {"Hello Grace": "delivered", "Murakoze": "handled"}
        hook = (await session.execute(select(WebHook))).scalar_one()
        delivered = (await session.execute(select(WebhookDelivery.status))).scalars()
        assert set(delivered) == {"delivered"}
    # the receiver's log: each line a signature and the body it signs
    lines = (cwd / "hooks.log").read_text().splitlines()
    assert len(lines) == 2 and lines[1] in done.stdout
    for line in lines:
        signature, body = line.split(" ", 1)
        assert hmac.compare_digest(signature, hmac.new(hook.secret.encode(), body.encode(), hashlib.sha256).hexdigest())
    contents = [json.loads(line.split(" ", 1)[1])["message"]["content"] for line in lines]
    assert contents == ["Hello Grace", "Murakoze"]


def test_the_flow_list_line_runs_as_written(demo: tuple[Server, Path], backend: Backend) -> None:
    """The README's ``sauti flow list`` line, on the demo workspace: its Registration flow is listed, active."""
    import shlex

    _, cwd = demo
    (line,) = [ln for b in blocks("sh") for ln in b.splitlines() if ln.startswith(".venv/bin/sauti flow list")]
    args = shlex.split(line.split("#", 1)[0])[1:]
    args[args.index("Acme")] = "Demo Workspace"
    env = {**os.environ, "SAUTI_DATABASE_URL": backend.url, "SAUTI_DATA_DIR": str(cwd / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "sauti.cli", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header == "uuid\tname\ttype\tstatus\twaiting"
    assert [r.split("\t")[1:] for r in rows] == [["Registration", "message", "active", "0"]]


def test_the_signature_check_accepts_sauti_deliveries_and_nothing_else() -> None:
    """The README's receiver snippet, run as written, against headers made by the code that signs deliveries."""
    from sauti.domain.deliveries.service import sauti_headers

    (snippet,) = [b for b in blocks("python") if "X-Sauti-Signature" in b]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    verify = namespace["verify"]
    body = b'{"contact": {"name": "Ann"}}'
    headers = sauti_headers("s3cret", body, "key-1")
    assert headers["Idempotency-Key"] == "key-1"
    assert verify("s3cret", headers, body) is True
    assert verify("another", headers, body) is False
    assert verify("s3cret", headers, body.replace(b"Ann", b"Bob")) is False
    assert (
        verify("s3cret", {**headers, "X-Sauti-Timestamp": str(int(headers["X-Sauti-Timestamp"]) - 3600)}, body) is False
    )
    assert verify("s3cret", {}, body) is False


def test_the_classifier_and_archive_lines_run_as_written(demo: tuple[Server, Path], backend: Backend) -> None:
    """The README's ``sauti classifier add``/``list`` and ``sauti archive run`` lines, on the demo workspace."""
    import shlex

    _, cwd = demo
    lines = [ln for b in blocks("sh") for ln in b.splitlines()]
    env = {**os.environ, "SAUTI_DATABASE_URL": backend.url, "SAUTI_DATA_DIR": str(cwd / "data")}
    outputs = []
    for start in (".venv/bin/sauti classifier add", ".venv/bin/sauti classifier list", ".venv/bin/sauti archive run"):
        (line,) = [ln for ln in lines if ln.startswith(start)]
        args = shlex.split(line.split("#", 1)[0])[1:]
        args[args.index("Acme")] = "Demo Workspace"
        done = subprocess.run(
            [sys.executable, "-m", "sauti.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    added, listed, archived = outputs
    assert added.startswith("classifier 'Booking' added: ")
    header, row = listed.splitlines()
    assert header == "uuid\ttype\tname\tintents" and row.split("\t")[1:] == ["wit", "Booking", "book_flight"]
    assert "WIT_TOKEN" not in listed
    assert archived.splitlines()[0] == "0 archive(s) written"  # the demo's messages are new
