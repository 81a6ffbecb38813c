"""How fast ``GET /api/v2/contacts.json`` pages, over real HTTP, on SQLite and on PostgreSQL.

For each backend: generate the dataset (``bench.dataset``) into a fresh database (a temporary SQLite file, or a
throwaway PostgreSQL cluster started with the machine's binaries), start the real server (uvicorn, one process)
against it, and time with one keep-alive client:

- ``page1``: the first page of the whole listing;
- ``page_deep``: page 400 of it (the URL reached by following ``next`` from page 1), which keyset pagination
  should serve as fast as page 1 (the goal: within 1.2x);
- ``group_page1`` / ``group_deep``: the listing filtered to the largest smart group, first page and its last
  full page (at most page 400);
- ``sparse_group_page1``: the first page of the smallest smart group (few matches per contact scanned);
- ``tiny_group_page1``: the first (only) page of the smallest group of all, a manual one of a few dozen members:
  the worst case for a listing that walks the contacts in order and keeps the group's members.

- ``messages_page1`` / ``messages_page_deep``: ``messages.json``, page 1 and page 400, over ``--messages``
  (1,000,000) messages spread over the contacts.
- ``reads``: ``--read-clients`` (32) clients at once, for ``--read-seconds``, asking small things (a contact by
  UUID, a contact's messages, groups, fields, the workspace): requests a second.

``goals`` holds each figure with its goal (p50 <= 20 ms and p99 <= 40 ms for the listings; >= 800 reads a
second) and whether it was met.

The cases run interleaved, round after round, so drift on a busy machine touches them alike. Figures are
milliseconds per request, client-side (the whole response read). Exactly one JSON line goes to stdout; progress
goes to stderr. ``make bench`` runs it with the defaults (100,000 contacts, both backends)::

    python -m bench.contacts --contacts 5000 --backends sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from bench import dataset
from sauti.settings import DEFAULT_API_RATES

REPO = Path(__file__).resolve().parents[1]
PAGE_SIZE = 250  # the server's default page size (SAUTI_PAGE_SIZE)
DEEP_PAGE = 400
RATIO_GOAL = 1.2
BACKENDS = ("sqlite", "postgres")
# besides BACKENDS, on request: the same throwaway PostgreSQL reached over its unix socket instead of TCP loopback
CHOICES = (*BACKENDS, "postgres-socket")
API_RATES = json.dumps(dict.fromkeys(DEFAULT_API_RATES, "10000000/hour"))  # no throttling in the way
LISTING = "/api/v2/contacts.json"
MESSAGES = "/api/v2/messages.json"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------------------------------- databases


@contextlib.contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    """An empty database for ``backend`` (one of ``CHOICES``), removed afterwards; yields its async SQLAlchemy
    URL (``postgres-socket``: ``postgresql+asyncpg://postgres@/sauti?host=<socket dir>&port=<port>``)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        return
    from tests.support.postgres import Cluster  # the test suite's throwaway cluster (runs as postgres if root)

    cluster = Cluster()
    try:
        tcp = cluster.start()
        yield cluster.socket_url() if backend == "postgres-socket" else tcp
    finally:
        cluster.stop()


# ---------------------------------------------------------------------------------------------------- server


class Server:
    """``uvicorn sauti.app:create_app`` in its own process group, killed with it on exit."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.env = {
            **os.environ,
            "SAUTI_DATABASE_URL": url,
            "SAUTI_DATA_DIR": str(workdir / "data"),
            "SAUTI_API_RATES": API_RATES,
            "SAUTI_EMBEDDED_WORKER": "false",  # nothing but the requests we time
            "SAUTI_PAGE_SIZE": str(PAGE_SIZE),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        command = [
            sys.executable, "-m", "uvicorn", "sauti.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def wait_ready(self, token: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Token {token}"}
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}): {self.tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/api/v2/workspace.json", headers=headers, timeout=5).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {timeout:.0f}s: {self.tail()}")

    def tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def __exit__(self, *exc: object) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)  # its own group (start_new_session): the server and nothing else
            try:
                process.wait(grace)
                return
            except subprocess.TimeoutExpired:
                continue


# -------------------------------------------------------------------------------------------------- timing


@dataclass
class Case:
    name: str
    url: str
    page: int
    rows: int = 0


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def get_page(client: httpx.Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {response.text[:500]}")
    page: dict[str, Any] = response.json()
    return page


def walk(client: httpx.Client, url: str, page: int) -> tuple[str, float]:
    """The URL of page ``page`` (following ``next`` from ``url``, page 1), and the mean seconds per page walked."""
    started = time.perf_counter()
    for n in range(1, page):
        following = get_page(client, url)["next"]
        if following is None:
            raise RuntimeError(f"the listing ended at page {n}, before page {page}")
        url = following
    return url, (time.perf_counter() - started) / max(1, page - 1)


def measure(client: httpx.Client, cases: Sequence[Case], requests: int, warmup: int) -> dict[str, dict[str, Any]]:
    """Warm up each case (checking its page), then time ``requests`` GETs of each, interleaved."""
    for case in cases:
        for _ in range(warmup):
            case.rows = len(get_page(client, case.url)["results"])
        if case.rows == 0:
            raise RuntimeError(f"{case.name}: the page is empty")
    samples: dict[str, list[float]] = {case.name: [] for case in cases}
    for _ in range(requests):
        for case in cases:
            started = time.perf_counter()
            response = client.get(case.url)  # the body is read in full before it returns
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{case.name}: GET answered {response.status_code}")
            samples[case.name].append(elapsed * 1000)
    return {
        case.name: {
            "page": case.page,
            "rows": case.rows,
            "p50_ms": round(statistics.median(samples[case.name]), 2),
            "p99_ms": round(percentile(samples[case.name], 99), 2),
            "mean_ms": round(statistics.fmean(samples[case.name]), 2),
        }
        for case in cases
    }


def ratio(results: dict[str, dict[str, Any]], deep: str, first: str) -> float | None:
    if deep not in results or first not in results:
        return None
    return round(float(results[deep]["p50_ms"]) / float(results[first]["p50_ms"]), 3)


# --------------------------------------------------------------------------------------------------- a backend


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"sauti-bench-{backend}-") as tmp:
        workdir = Path(tmp)
        with database(backend, workdir) as url:
            log(f"{backend}: generating {args.contacts} contacts")
            data = dataset.build(url, contacts=args.contacts, seed=args.seed)
            if args.messages:
                log(f"{backend}: adding {args.messages} messages")
                data.seconds["messages"] = asyncio.run(
                    dataset.add_messages(url, data.workspace_uuid, args.messages, args.seed)
                )
            log(f"{backend}: generated in {data.seconds['total']:.1f}s; starting the server")
            with Server(url, workdir) as server:
                server.wait_ready(data.token)
                return measure_backend(server, data, args)


def measure_backend(server: Server, data: dataset.Dataset, args: argparse.Namespace) -> dict[str, Any]:
    smart = sorted((g for g in data.groups if g.kind == "smart"), key=lambda g: g.members)
    large, sparse = smart[-1], smart[0]
    tiny = min(data.groups, key=lambda g: g.members)
    headers = {"Authorization": f"Token {data.token}"}
    with httpx.Client(base_url=server.base, headers=headers, timeout=120) as client:
        first = f"{server.base}{LISTING}"
        pages = data.contacts // PAGE_SIZE  # full pages of the whole listing
        deep = min(DEEP_PAGE, pages)
        cases = [Case("page1", first, 1)]
        walked: dict[str, float] = {}
        if deep >= 2:
            log(f"walking to page {deep} of the listing")
            deep_url, walked["listing"] = walk(client, first, deep)
            cases.append(Case("page_deep", deep_url, deep))
        group_first = f"{server.base}{LISTING}?group={large.uuid}"
        cases.append(Case("group_page1", group_first, 1))
        group_deep = min(DEEP_PAGE, large.members // PAGE_SIZE)
        if group_deep >= 2:
            log(f"walking to page {group_deep} of group {large.name!r}")
            group_url, walked["group"] = walk(client, group_first, group_deep)
            cases.append(Case("group_deep", group_url, group_deep))
        cases.append(Case("sparse_group_page1", f"{server.base}{LISTING}?group={sparse.uuid}", 1))
        cases.append(Case("tiny_group_page1", f"{server.base}{LISTING}?group={tiny.uuid}", 1))
        if args.messages:
            messages_first = f"{server.base}{MESSAGES}"
            cases.append(Case("messages_page1", messages_first, 1))
            messages_deep = min(DEEP_PAGE, args.messages // PAGE_SIZE)
            if messages_deep >= 2:
                log(f"walking to page {messages_deep} of the messages")
                deep_messages_url, walked["messages"] = walk(client, messages_first, messages_deep)
                cases.append(Case("messages_page_deep", deep_messages_url, messages_deep))
        log(f"timing {len(cases)} cases x {args.requests} requests")
        results = measure(client, cases, args.requests, args.warmup)
        sample = [c["uuid"] for c in get_page(client, first)["results"]]
    reads = asyncio.run(mixed_reads(server.base, headers, sample, args.read_clients, args.read_seconds))
    page_ratio = ratio(results, "page_deep", "page1")
    return {
        "generate_s": round(data.seconds["total"], 2),
        "dataset": data.summary(),
        "groups": {
            "group": {"name": large.name, "query": large.query, "members": large.members},
            "sparse_group": {"name": sparse.name, "query": sparse.query, "members": sparse.members},
            "tiny_group": {"name": tiny.name, "query": tiny.query, "members": tiny.members},
        },
        "walk_ms_per_page": {k: round(v * 1000, 2) for k, v in walked.items()},
        "cases": results,
        "ratios": {
            "page_deep/page1": page_ratio,
            "group_deep/group_page1": ratio(results, "group_deep", "group_page1"),
            "sparse_group_page1/page1": ratio(results, "sparse_group_page1", "page1"),
            "tiny_group_page1/page1": ratio(results, "tiny_group_page1", "page1"),
        },
        "goal_met": None if page_ratio is None else page_ratio <= RATIO_GOAL,
        "reads": reads,
        "goals": goals(results, reads),
    }


LATENCY_GOALS = {"p50_ms": 20.0, "p99_ms": 40.0}
READS_GOAL = 800.0


def goals(results: dict[str, dict[str, Any]], reads: dict[str, Any]) -> dict[str, Any]:
    """The listing goals (p50 <= 20 ms, p99 <= 40 ms for contacts and messages, page 1 and page 400) and the
    mixed reads goal (>= 800 requests a second), each with what was measured."""
    out: dict[str, Any] = {}
    for name in ("page1", "page_deep", "messages_page1", "messages_page_deep"):
        if name in results:
            measured = {k: results[name][k] for k in LATENCY_GOALS}
            met = all(measured[k] <= v for k, v in LATENCY_GOALS.items())
            out[name] = {"goal": "p50 <= 20 ms, p99 <= 40 ms", **measured, "met": met}
    rate = reads["requests_per_s"]
    out["mixed_reads"] = {"goal": ">= 800 requests/s", "measured": rate, "met": rate >= READS_GOAL}
    return out


async def mixed_reads(
    base: str, headers: dict[str, str], contacts: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    """``clients`` keep-alive clients asking small things at once for ``seconds``: a contact by UUID, that
    contact's messages, the groups, the fields, the workspace. Requests a second and latency per kind."""
    import random

    kinds = {
        "contact": lambda r: f"/api/v2/contacts.json?uuid={r.choice(contacts)}",
        "contact_messages": lambda r: f"/api/v2/messages.json?contact={r.choice(contacts)}",
        "groups": lambda r: "/api/v2/groups.json",
        "fields": lambda r: "/api/v2/fields.json",
        "workspace": lambda r: "/api/v2/workspace.json",
    }
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client_loop(session: aiohttp.ClientSession, seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        names = list(kinds)
        while time.perf_counter() < deadline:
            name = rng.choice(names)
            started = time.perf_counter()
            async with session.get(kinds[name](rng)) as response:
                await response.read()
                status = response.status
            samples[name].append((time.perf_counter() - started) * 1000)
            if status != 200:
                errors += 1

    # aiohttp rather than httpx: the clients share the machine's two cores with the server, and aiohttp's client
    # spends about a third of httpx's time a request
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base, headers=headers, timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(session, n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    total = sum(len(v) for v in samples.values())
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": total,
        "errors": errors,
        "requests_per_s": round(total / elapsed, 1),
        "kinds": {
            k: {"p50_ms": round(statistics.median(v), 2), "p99_ms": round(percentile(v, 99), 2)}
            for k, v in samples.items()
            if v
        },
    }


# ---------------------------------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.contacts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000, help="contacts to list (default 100000)")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgres,postgres-socket")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per case (default 60)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per case first (default 5)")
    parser.add_argument("--messages", type=int, default=1_000_000, help="messages to list (default 1000000)")
    parser.add_argument("--read-clients", type=int, default=32, help="clients of the mixed reads (default 32)")
    parser.add_argument("--read-seconds", type=float, default=30.0, help="seconds of mixed reads (default 30)")
    parser.add_argument("--seed", type=int, default=dataset.DEFAULT_SEED)
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in args.backends if b not in CHOICES]
    if unknown or not args.backends:
        parser.error(f"--backends takes {', '.join(CHOICES)} (got {', '.join(unknown) or 'none'})")
    if args.contacts < 1 or args.requests < 1 or args.warmup < 1:
        parser.error("--contacts, --requests and --warmup must be at least 1")
    return args


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the with-blocks: servers, processes and clusters are stopped


def run_report(
    header: dict[str, Any],
    backends: Sequence[str],
    run_backend: Callable[[str], dict[str, Any]],
) -> int:
    """Run every backend and print ONE JSON line: ``header`` plus each backend's figures (or its error) and the
    total seconds. Shared by the benchmarks; returns the exit status."""
    signal.signal(signal.SIGTERM, _terminate)
    started = time.perf_counter()
    report: dict[str, Any] = {**header, "backends": {}}
    failed = False
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the one JSON line and nothing else
        for backend in backends:
            try:
                report["backends"][backend] = run_backend(backend)
            except Exception as exc:  # one backend failing (e.g. no PostgreSQL here) still reports the other
                log(f"{backend} failed: {exc!r}")
                report["backends"][backend] = {"error": f"{type(exc).__name__}: {exc}"}
                failed = True
    report["seconds"] = round(time.perf_counter() - started, 1)
    sys.stdout.write(json.dumps(report) + "\n")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    header = {
        "bench": "contacts",
        "contacts": args.contacts,
        "page_size": PAGE_SIZE,
        "requests": args.requests,
        "warmup": args.warmup,
        "seed": args.seed,
    }
    return run_report(header, args.backends, lambda backend: run_backend(backend, args))


if __name__ == "__main__":
    sys.exit(main())
