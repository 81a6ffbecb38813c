"""A fast fake provider: an asyncio HTTP/1.1 server on loopback, in its own thread and event loop, answering every
request ``200 {}`` at once with keep-alive, and recording when each arrived. For throughput (benchmarks, and
tests that send thousands of messages); ``fake_provider.py`` is the one with programmable answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Hit:
    at: float  # time.perf_counter() when the request was read
    path: str
    body: bytes


@dataclass
class Provider:
    """An HTTP/1.1 server answering ``200 {}`` to everything, in its own thread and event loop."""

    hits: list[Hit] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                self.hits.append(Hit(time.perf_counter(), head.split(b" ", 2)[1].decode(), body))
                writer.write(self.RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def start(self) -> Provider:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)  # gather() at shutdown looks for the thread's loop
            self._loop = loop
            server = loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=512))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            try:
                loop.run_forever()
            finally:
                server.close()
                pending = asyncio.all_tasks(loop)  # open connections: end them before the loop goes
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(server.wait_closed())
                loop.close()

        self._thread = threading.Thread(target=serve, name="fake-provider", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake provider did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str) -> list[Hit]:
        return [h for h in list(self.hits) if h.path == path]

    def count(self, path: str) -> int:
        return sum(1 for h in list(self.hits) if h.path == path)


@contextlib.contextmanager
def fake_provider() -> Iterator[Provider]:
    provider = Provider().start()
    try:
        yield provider
    finally:
        provider.stop()


@contextlib.contextmanager
def provider_process() -> Iterator[RemoteProvider]:
    """A fast fake provider in a process of its own, so its clock and its CPU are not the test's: what it records
    as arrival times is what a real provider would see. Its hits are read when the block ends."""
    import json
    import subprocess
    import sys

    script = (
        "import json, sys, time\n"
        "from tests.support.fast_provider import Provider\n"
        "p = Provider().start()\n"
        "print(p.port, flush=True)\n"
        "sys.stdin.read()\n"
        "for h in list(p.hits):\n"
        "    print(json.dumps([h.at, h.path, h.body.decode('utf-8', 'replace')]), flush=True)\n"
    )
    root = __file__.rsplit("/tests/support/", 1)[0]
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root
    )
    assert process.stdout is not None and process.stdin is not None
    remote = RemoteProvider(int(process.stdout.readline()))
    try:
        yield remote
    finally:
        out, _ = process.communicate("", timeout=60)
        remote.hits = [Hit(at, path, body.encode()) for at, path, body in map(json.loads, out.splitlines())]


@dataclass
class RemoteProvider:
    port: int
    hits: list[Hit] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]
