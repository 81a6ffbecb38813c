"""A soak: 50 concurrent clients mixing reads and writes against ``sauti run`` (server and embedded worker in
one process) for a while, on SQLite and on PostgreSQL.

For each backend: a fresh database with a generated dataset (``bench.dataset``), an External API channel whose
provider is a local fake HTTP server, then the server with its worker. The clients pick operations at random
(weighted; a fixed seed per client) from both dialects' endpoints (API v2 and TextUs): listings, single reads, contact
creates and updates, messages sent, small broadcasts, labels and bulk actions. When the time is up the outbox
is left to drain, then the run is checked:

- errors by status (goal: no 5xx at all, and no 4xx from requests that were meant to be valid);
- p50/p99 per operation, client side;
- the server's RSS after warm-up (the first 30% of the run: pools and caches fill meanwhile) and at the end
  (goal: growth under 10%), with the curve by tenth of the run so a plateau shows from a slope;
- consistency: every message the API accepted is in the database with a final or queued status, every
  broadcast completed with one message per recipient, and the provider got no message twice.

One JSON line goes to stdout, progress to stderr::

    python -m bench.soak                     # 10 minutes per backend
    python -m bench.soak --seconds 60 --backends sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
from sqlalchemy import func, select

from bench import dataset
from bench.contacts import BACKENDS, CHOICES, Server, database, log, percentile, run_report
from bench.messaging import UNLIMITED_TPS, Provider, _add_channel, fake_provider
from sauti.db.engine import make_engine
from sauti.models import Broadcast, Message

CLIENTS = 50
RSS_GOAL = 1.10  # end RSS over post-warm-up RSS
WARMUP = 0.3  # the share of the run before RSS is taken as the baseline
FINAL = ("wired", "sent", "delivered", "read", "failed")
DRAIN_TIMEOUT = 300.0


@dataclass
class Tally:
    """What the clients saw, shared by all of them (one event loop: no locks needed)."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    messages: set[str] = field(default_factory=set)  # UUIDs of messages API v2 accepted
    textus_messages: set[int] = field(default_factory=set)  # ids of messages the TextUs API accepted
    broadcasts: set[str] = field(default_factory=set)
    contacts: list[str] = field(default_factory=list)  # UUIDs created or seen, for later operations
    incoming_ids: list[int] = field(default_factory=list)

    def record(self, op: str, status: int, seconds: float, expected: Sequence[int], body: str) -> None:
        self.latencies.setdefault(op, []).append(seconds * 1000)
        self.statuses.setdefault(op, Counter())[status] += 1
        if status not in expected and len(self.unexpected) < 20:
            self.unexpected.append(f"{op} -> {status}: {body[:300]}")


Op = Callable[[httpx.AsyncClient, random.Random, "Soak"], Awaitable[None]]


@dataclass
class Soak:
    tally: Tally
    group_uuid: str
    channel_uuid: str
    label_names: list[str]
    email: str = dataset.ADMIN_EMAIL
    textus_auth: str = ""
    serial: int = 0

    def next_number(self) -> str:
        self.serial += 1
        return f"+25073{self.serial:07d}"

    async def call(
        self,
        client: httpx.AsyncClient,
        op: str,
        method: str,
        url: str,
        expected: Sequence[int] = (200,),
        **kwargs: Any,
    ) -> httpx.Response:
        started = time.perf_counter()
        response = await client.request(method, url, **kwargs)
        self.tally.record(op, response.status_code, time.perf_counter() - started, expected, response.text)
        return response


def _some_contact(rng: random.Random, soak: Soak) -> str | None:
    return rng.choice(soak.tally.contacts) if soak.tally.contacts else None


async def list_contacts(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    response = await soak.call(client, "GET contacts", "GET", "/api/v2/contacts.json")
    if response.status_code == 200 and len(soak.tally.contacts) < 5000:
        soak.tally.contacts.extend(c["uuid"] for c in response.json()["results"][:20])


async def group_contacts(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    await soak.call(client, "GET contacts?group", "GET", f"/api/v2/contacts.json?group={soak.group_uuid}")


async def read_contact(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    if (uuid := _some_contact(rng, soak)) is not None:
        await soak.call(client, "GET contact", "GET", f"/api/v2/contacts.json?uuid={uuid}")


async def list_messages(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    folder = rng.choice(["inbox", "sent", "outbox", "failed", ""])
    query = f"?folder={folder}" if folder else ""
    response = await soak.call(client, "GET messages", "GET", f"/api/v2/messages.json{query}")
    if folder == "inbox" and response.status_code == 200 and len(soak.tally.incoming_ids) < 2000:
        soak.tally.incoming_ids.extend(m["id"] for m in response.json()["results"][:20])


async def small_reads(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    path = rng.choice(["groups", "fields", "workspace", "labels", "channels", "broadcasts", "globals", "users"])
    await soak.call(client, f"GET {path}", "GET", f"/api/v2/{path}.json")


async def create_contact(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    body = {"name": f"Soak {soak.serial}", "urns": [f"tel:{soak.next_number()}"], "fields": {"age": rng.randint(1, 90)}}
    response = await soak.call(client, "POST contact", "POST", "/api/v2/contacts.json", (201,), json=body)
    if response.status_code == 201:
        soak.tally.contacts.append(response.json()["uuid"])


async def update_contact(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    if (uuid := _some_contact(rng, soak)) is not None:
        body = {"fields": {"district": rng.choice(["Gasabo", "Kicukiro", "Nyarugenge"])}}
        await soak.call(client, "POST contact?uuid", "POST", f"/api/v2/contacts.json?uuid={uuid}", (200,), json=body)


async def send_message(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    body = {"contact": f"tel:{soak.next_number()}", "text": f"soak {rng.random():.6f}"}
    # a URN nobody has is refused (400); send to a known contact instead when there is one
    if (uuid := _some_contact(rng, soak)) is not None:
        body["contact"] = uuid
        response = await soak.call(client, "POST message", "POST", "/api/v2/messages.json", (201,), json=body)
        if response.status_code == 201:
            soak.tally.messages.add(response.json()["uuid"])


async def broadcast(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    urns = [f"tel:{soak.next_number()}" for _ in range(rng.randint(1, 5))]
    body = {"text": {"eng": "soak broadcast", "kin": "Muraho"}, "urns": urns}
    response = await soak.call(client, "POST broadcast", "POST", "/api/v2/broadcasts.json", (201,), json=body)
    if response.status_code == 201:
        soak.tally.broadcasts.add(response.json()["uuid"])


async def receive(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    data = {"from": f"+25072{rng.randint(0, 9999999):07d}", "text": rng.choice(["hello", "yes", "stop", "Murakoze"])}
    await soak.call(client, "POST receive", "POST", f"/c/ex/{soak.channel_uuid}/receive", (200,), data=data)


async def label_messages(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    if soak.tally.incoming_ids:
        ids = rng.sample(soak.tally.incoming_ids, min(5, len(soak.tally.incoming_ids)))
        body = {"messages": ids, "action": "label", "label_name": rng.choice(soak.label_names)}
        await soak.call(client, "POST message_actions", "POST", "/api/v2/message_actions.json", (200, 204), json=body)


async def block_unblock(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    if (uuid := _some_contact(rng, soak)) is not None:
        action = rng.choice(["block", "unblock"])
        body = {"contacts": [uuid], "action": action}
        await soak.call(client, "POST contact_actions", "POST", "/api/v2/contact_actions.json", (204,), json=body)


def _textus(soak: Soak) -> dict[str, str]:
    return {"Authorization": soak.textus_auth, "Accept": "application/vnd.textus-v2"}


async def textus_contacts(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    await soak.call(client, "TextUs GET contacts", "GET", "/api/contacts", headers=_textus(soak))


async def textus_create_contact(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    body = {"phone": soak.next_number(), "first_name": "Soak", "last_name": str(soak.serial)}
    await soak.call(client, "TextUs POST contact", "POST", "/api/contacts", (201,), json=body, headers=_textus(soak))


async def textus_send(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    body = {"sender": soak.email, "receiver": soak.next_number(), "content": f"textus {rng.random():.6f}"}
    response = await soak.call(
        client, "TextUs POST message", "POST", "/api/messages", (201,), json=body, headers=_textus(soak)
    )
    if response.status_code == 201:
        soak.tally.textus_messages.add(int(response.json()["id"]))


async def textus_messages(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    await soak.call(client, "TextUs GET messages", "GET", "/api/messages", headers=_textus(soak))


async def bad_request(client: httpx.AsyncClient, rng: random.Random, soak: Soak) -> None:
    """Input a real integration gets wrong now and then: it must be a 400, never a 500."""
    body = rng.choice([{"name": "x" * 100}, {"urns": ["nonsense"]}, {"fields": {"nope": "1"}}, {"text": "a\x00b"}])
    await soak.call(client, "POST bad contact", "POST", "/api/v2/contacts.json", (400,), json=body)


# (operation, weight): mostly reads, as integrations mostly read
MIX: tuple[tuple[Op, int], ...] = (
    (list_contacts, 14),
    (group_contacts, 6),
    (read_contact, 14),
    (list_messages, 12),
    (small_reads, 16),
    (create_contact, 8),
    (update_contact, 8),
    (send_message, 10),
    (broadcast, 2),
    (receive, 6),
    (label_messages, 2),
    (block_unblock, 1),
    (bad_request, 1),
    (textus_contacts, 6),
    (textus_create_contact, 3),
    (textus_send, 4),
    (textus_messages, 4),
)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


async def client_loop(base: str, token: str, soak: Soak, seed: int, deadline: float) -> None:
    rng = random.Random(seed)
    ops, weights = zip(*MIX, strict=True)
    headers = {"Authorization": f"Token {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        while time.monotonic() < deadline:
            op = rng.choices(ops, weights)[0]
            try:
                await op(client, rng, soak)
            except httpx.TransportError as exc:
                soak.tally.record(op.__name__, 599, 0.0, (), f"transport error {exc!r}")


async def run_clients(
    server: Server, token: str, soak: Soak, seconds: float, clients: int, seed: int
) -> dict[str, Any]:
    assert server.process is not None
    pid = server.process.pid
    started = time.monotonic()
    deadline = started + seconds
    samples: list[tuple[float, int]] = []

    async def sample() -> None:
        while time.monotonic() < deadline:
            samples.append((time.monotonic() - started, rss_kib(pid)))
            await asyncio.sleep(1.0)

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(client_loop(server.base, token, soak, seed + i, deadline) for i in range(clients)))
    await sampler
    # warm-up: the first WARMUP share of the run (connection pools, page and statement caches fill during it)
    warm = next((kib for at, kib in samples if at >= seconds * WARMUP), samples[0][1])
    tenths = [next((kib for at, kib in samples if at >= seconds * n / 10), samples[-1][1]) for n in range(11)]
    return {
        "by_tenth_kib": tenths,  # the shape of the curve: a plateau (caches filling) or a slope (a leak)
        "start_kib": samples[0][1],
        "after_warmup_kib": warm,
        "end_kib": samples[-1][1],
        "max_kib": max(k for _, k in samples),
    }


async def check(url: str, tally: Tally, provider: Provider) -> dict[str, Any]:
    """Wait for the outbox to drain, then compare what the API accepted with what the database and the provider
    hold."""
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while True:
            async with engine.connect() as conn:
                busy = int(
                    (
                        await conn.execute(
                            select(func.count()).where(
                                Message.direction == "out", Message.status.in_(("queued", "sending", "errored"))
                            )
                        )
                    ).scalar_one()
                )
                open_broadcasts = int(
                    (
                        await conn.execute(
                            select(func.count()).where(Broadcast.status.in_(("pending", "queued", "started")))
                        )
                    ).scalar_one()
                )
            if (busy == 0 and open_broadcasts == 0) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        async with engine.connect() as conn:
            accepted = sorted(tally.messages)
            found: dict[str, str] = {}
            for start in range(0, len(accepted), 500):
                chunk = accepted[start : start + 500]
                rows = await conn.execute(select(Message.uuid, Message.status).where(Message.uuid.in_(chunk)))
                found.update({u: s for u, s in rows})
            by_id = sorted(tally.textus_messages)
            for start in range(0, len(by_id), 500):
                ids = by_id[start : start + 500]
                rows = await conn.execute(select(Message.uuid, Message.status).where(Message.id.in_(ids)))
                found.update({u: s for u, s in rows})
            broadcasts = {
                b.uuid: b
                for b in (
                    await conn.execute(select(Broadcast).where(Broadcast.uuid.in_(sorted(tally.broadcasts))))
                ).all()
            }
            per_broadcast = dict(
                (
                    await conn.execute(
                        select(Broadcast.uuid, func.count(Message.id))
                        .join(Message, Message.broadcast_id == Broadcast.id)
                        .group_by(Broadcast.uuid)
                    )
                ).all()
            )
    finally:
        await engine.dispose()
    sent = [parse_qs(h.body.decode())["uuid"][0] for h in provider.on("/soak") if h.body]
    counts = Counter(sent)
    statuses = Counter(found.values())
    bad_broadcasts = [u for u, b in broadcasts.items() if b.status != "completed" or per_broadcast.get(u, 0) != b.total]
    return {
        "drained": busy == 0 and open_broadcasts == 0,
        "accepted_messages": len(accepted) + len(by_id),
        "missing": len(accepted) + len(by_id) - len(found),
        "statuses": dict(statuses),
        "not_final_or_queued": sum(n for s, n in statuses.items() if s not in (*FINAL, "queued")),
        "broadcasts": len(tally.broadcasts),
        "broadcasts_missing": len(tally.broadcasts) - len(broadcasts),
        "broadcasts_incomplete": len(bad_broadcasts),
        "provider_requests": len(sent),
        "sent_twice": sum(1 for n in counts.values() if n > 1),
    }


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"sauti-soak-{backend}-") as tmp:
        workdir = Path(tmp)
        with database(backend, workdir) as url, fake_provider() as provider:
            log(f"{backend}: generating {args.contacts} contacts")
            data = dataset.build(url, contacts=args.contacts, seed=args.seed)
            channel = asyncio.run(
                _add_channel(url, data.workspace_uuid, "Soak Gateway", provider.url("/soak"), UNLIMITED_TPS)
            )
            server = Server(url, workdir)
            server.env["SAUTI_EMBEDDED_WORKER"] = "true"  # as `sauti run` serves: API and worker in one process
            with server:
                server.wait_ready(data.token)
                group = max(data.groups, key=lambda g: g.members if g.kind == "smart" else 0)
                basic = base64.b64encode(f"{dataset.ADMIN_EMAIL}:{data.token}".encode()).decode()
                soak = Soak(Tally(), group.uuid, channel, ["Soak A", "Soak B", "Soak C"], textus_auth=f"Basic {basic}")
                log(f"{backend}: {args.clients} clients for {args.seconds:.0f}s")
                rss = asyncio.run(run_clients(server, data.token, soak, args.seconds, args.clients, args.seed))
                log(f"{backend}: draining the outbox and checking")
                consistency = asyncio.run(check(url, soak.tally, provider))
                assert server.process is not None
                alive = server.process.poll() is None
                if any(s >= 500 for counts in soak.tally.statuses.values() for s in counts):
                    kept = Path(tempfile.gettempdir()) / f"sauti-soak-{backend}-server.log"
                    kept.write_text(server.log_path.read_text(errors="replace"))
                    log(f"{backend}: server errors; its log is kept at {kept}")
    return report(soak.tally, rss, consistency, alive, args.seconds)


def report(
    tally: Tally, rss: dict[str, Any], consistency: dict[str, Any], alive: bool, seconds: float
) -> dict[str, Any]:
    by_status: Counter[int] = Counter()
    for counts in tally.statuses.values():
        by_status.update(counts)
    operations = {
        op: {
            "requests": len(samples),
            "p50_ms": round(statistics.median(samples), 2),
            "p99_ms": round(percentile(samples, 99), 2),
            "statuses": {str(k): v for k, v in sorted(tally.statuses[op].items())},
        }
        for op, samples in sorted(tally.latencies.items())
    }
    total = sum(by_status.values())
    server_errors = sum(n for s, n in by_status.items() if s >= 500)
    growth = round(rss["end_kib"] / rss["after_warmup_kib"], 3)
    nothing_lost = (
        consistency["drained"]
        and consistency["missing"] == 0
        and consistency["not_final_or_queued"] == 0
        and consistency["broadcasts_missing"] == 0
        and consistency["broadcasts_incomplete"] == 0
        and consistency["sent_twice"] == 0
    )
    return {
        "requests": total,
        "requests_per_s": round(total / seconds, 1),
        "by_status": {str(k): v for k, v in sorted(by_status.items())},
        "unexpected": tally.unexpected,
        "operations": operations,
        "rss": {**rss, "growth_after_warmup": growth},
        "consistency": consistency,
        "server_alive": alive,
        "goals": {
            "no_5xx": {"goal": 0, "measured": server_errors, "met": server_errors == 0},
            "rss_growth": {"goal": f"< {RSS_GOAL}", "measured": growth, "met": growth < RSS_GOAL},
            "nothing_lost": {"met": nothing_lost},
        },
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="how long the clients run (default 600)")
    parser.add_argument("--short", action="store_true", help="a CI-sized run: 60 seconds, 5000 contacts")
    parser.add_argument("--clients", type=int, default=CLIENTS, help=f"concurrent clients (default {CLIENTS})")
    parser.add_argument("--contacts", type=int, default=20_000, help="generated contacts (default 20000)")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgres,postgres-socket")
    parser.add_argument("--seed", type=int, default=dataset.DEFAULT_SEED)
    args = parser.parse_args(argv)
    if args.short:
        args.seconds, args.contacts = 60.0, 5000
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not args.backends or any(b not in CHOICES for b in args.backends):
        parser.error(f"--backends takes {', '.join(CHOICES)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    header = {"bench": "soak", "seconds": args.seconds, "clients": args.clients, "contacts": args.contacts}
    return run_report(header, args.backends, lambda backend: run_backend(backend, args))


if __name__ == "__main__":
    raise SystemExit(main())
