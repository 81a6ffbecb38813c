"""The real server as a separate process: uvicorn on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
# throttle counters live in the server process and survive the tables being wiped between tests
GENEROUS_RATES = {"v2": "100000/hour", "v2.contacts": "100000/hour"}
PR_SET_PDEATHSIG = 1


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: have the kernel kill the server if the test process dies without running its finalizers."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn shuts down gracefully), then SIGKILL of its whole process group if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


@contextmanager
def running_server(
    database_url: str, *, env: Mapping[str, str] | None = None, startup_timeout: float = 30.0
) -> Iterator[Server]:
    """Start ``uvicorn sauti.app:create_app --factory`` against ``database_url``; stop it on exit.

    The schema must already exist (the server does not migrate). Output goes to a log file whose tail is shown
    when the server does not come up.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="sauti-server-"))
    log_path = data_dir / "server.log"
    port = free_port()
    child_env = {
        **os.environ,
        "SAUTI_DATABASE_URL": database_url,
        "SAUTI_DATA_DIR": str(data_dir),
        "SAUTI_API_RATES": json.dumps(GENEROUS_RATES),
        "SAUTI_EMBEDDED_WORKER": "false",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        **(env or {}),
    }
    cmd = [
        sys.executable, "-m", "uvicorn", "sauti.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=child_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the tests, which then stop the server in order
            preexec_fn=_die_with_parent,
        )
    server = Server(port=port, process=process, log_path=log_path)
    try:
        deadline = time.monotonic() + startup_timeout
        while not _answers(f"{server.base_url}/api/v2/"):
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer within {startup_timeout}s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)
