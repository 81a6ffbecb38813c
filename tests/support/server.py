"""The real server as a separate process: uvicorn on a free loopback port, for end-to-end tests."""

from __future__ import annotations

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

from sauti.settings import DEFAULT_API_RATES
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
# throttle counters live in the server process and survive the tables being wiped between tests
GENEROUS_RATES = dict.fromkeys(DEFAULT_API_RATES, "100000/hour")

# Runs uvicorn's command line exactly as ``python -m uvicorn`` would, after asking Linux to SIGKILL the server
# when the test process dies without running its finalizers (kill -9, a CI timeout). Done in the child itself
# rather than with ``preexec_fn``, which is unsafe when the parent has threads (aiosqlite and to_thread do).
BOOT = """
import ctypes, os, signal, sys
if sys.platform.startswith("linux"):
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != int(os.environ["SAUTI_TEST_PARENT_PID"]):
        sys.exit("parent gone before the server started")
from uvicorn.main import main
main()
"""


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


def _start(env: dict[str, str], data_dir: Path, attempt: int, startup_timeout: float) -> Server:
    log_path = data_dir / f"server-{attempt}.log"
    port = free_port()
    cmd = [
        sys.executable, "-c", BOOT, "sauti.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the tests, which then stop the server in order
        )
    server = Server(port=port, process=process, log_path=log_path)
    deadline = time.monotonic() + startup_timeout
    while not _answers(f"{server.base_url}/api/v2/"):
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
        if time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError(f"server did not answer within {startup_timeout}s:\n{server.log()}")
        time.sleep(0.1)
    return server


@contextmanager
def running_server(
    database_url: str, *, env: Mapping[str, str] | None = None, startup_timeout: float = 30.0
) -> Iterator[Server]:
    """Start ``uvicorn sauti.app:create_app --factory`` against ``database_url``; stop it on exit.

    The schema must already exist (the server does not migrate). Output goes to a log file whose tail is shown
    when the server does not come up. A start that dies at once (say the free port was taken meanwhile) is
    retried on another port.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="sauti-server-"))
    child_env = {
        **os.environ,
        "SAUTI_DATABASE_URL": database_url,
        "SAUTI_DATA_DIR": str(data_dir),
        "SAUTI_API_RATES": json.dumps(GENEROUS_RATES),
        "SAUTI_EMBEDDED_WORKER": "false",
        "SAUTI_WEBHOOK_ALLOW_NETWORKS": json.dumps(["127.0.0.0/8", "::1/128"]),  # tests allow loopback explicitly
        "SAUTI_TEST_PARENT_PID": str(os.getpid()),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        **(env or {}),
    }
    server: Server | None = None
    for attempt in range(3):
        try:
            server = _start(child_env, data_dir, attempt, startup_timeout)
            break
        except RuntimeError:
            if attempt == 2:
                raise
    assert server is not None
    try:
        yield server
    finally:
        _stop(server.process)
