"""The README's snippets run as written, against a real server process (only its address is changed)."""

from __future__ import annotations

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

from sauti.models import Broadcast, Contact, ContactGroup, Message
from tests.conftest import Backend
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


def _run(command: list[str], script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command, script], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


async def test_the_tour_runs_as_written(demo: tuple[Server, Path], db: Any) -> None:
    server, cwd = demo
    assert shutil.which("curl"), "the tour uses curl"
    tour = next(b for b in blocks("sh") if "TOKEN=$(cat data/demo-token)" in b)
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


def test_the_python_client_snippet_runs(demo: tuple[Server, Path]) -> None:
    server, cwd = demo
    (snippet,) = [b for b in blocks("python") if "TembaClient" in b]
    token = (cwd / "data" / "demo-token").read_text().strip()
    env_headers = ["-H", f"Authorization: Token {token}", "-H", "Content-Type: application/json"]
    base = f"{server.base_url}/api/v2"
    for path, body in [
        ("fields.json", '{"name": "Age", "type": "number"}'),
        ("groups.json", '{"name": "Adults", "query": "age >= 18"}'),
        ("contacts.json", '{"name": "Ada", "urns": ["tel:+250788123123"], "fields": {"age": 36}}'),
        ("contacts.json", '{"name": "Kid", "urns": ["tel:+250788123124"], "fields": {"age": 9}}'),
    ]:
        made = subprocess.run(["curl", "-sf", *env_headers, f"{base}/{path}", "-d", body], capture_output=True)
        assert made.returncode == 0, made.stderr
    ran = _run([sys.executable, "-c"], snippet.replace(DEFAULT_BASE, server.base_url), cwd)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["Ada ['tel:+250788123123']"]
