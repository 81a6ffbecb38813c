"""archives.json and the archive job: messages and runs older than the archive age written to gzipped JSON Lines
files by the worker, listed with upstream's filters and limit/offset pages, downloaded with the workspace's own
token and read back line by line against what messages.json and runs.json said before."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from sauti.kit import clock
from sauti.models import Archive, Contact, FlowRun, Message, MessageLabel, Workspace
from sauti.worker import archives as archive_work
from tests.api.rapidpro.flow_helpers import add_flow, add_run, registration
from tests.api.rapidpro.helpers import all_pages, count, create_contact
from tests.api.rapidpro.test_message_actions import make_message
from tests.conftest import Backend, Tenant
from tests.test_cli import sauti

pytestmark = pytest.mark.usefixtures("app")

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # 90 days before is 2026-03-17: March 1..16 are due
DAY1 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
DAY2 = datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW


@pytest.fixture
def frozen() -> Iterator[Clock]:
    c = Clock()
    clock.set_clock(lambda: c.now)
    yield c
    clock.set_clock(None)


@pytest.fixture
def settings(app: Any) -> Iterator[Any]:
    s = app.state.settings
    saved = (s.archive_after_days, s.archive_delete)
    yield s
    s.archive_after_days, s.archive_delete = saved


async def _seed(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> dict[str, Any]:
    """Old messages on March 1 and 2, old runs on March 1 (two ended, one still waiting), and new ones."""
    contact = await create_contact(client, name="Amina", urns=["tel:+250788123123"])
    async with db() as session:
        cid = (await session.execute(select(Contact.id).where(Contact.uuid == contact["uuid"]))).scalar_one()
    old = [
        await make_message(db, tenant.workspace.id, cid, text="first", created_on=DAY1),
        await make_message(db, tenant.workspace.id, cid, direction="out", status="sent", text="reply", created_on=DAY1),
        await make_message(db, tenant.workspace.id, cid, text="late", created_on=DAY2),
    ]
    new = await make_message(db, tenant.workspace.id, cid, text="recent", created_on=NOW - timedelta(days=3))
    label = (await client.post("/api/v2/labels.json", json={"name": "Kept"})).json()
    resp = await client.post(
        "/api/v2/message_actions.json", json={"messages": [old[0].id], "action": "label", "label": label["uuid"]}
    )
    assert resp.status_code == 204
    flow = await add_flow(db, tenant.workspace.id, registration())
    results = {
        "name": {
            "name": "Name",
            "value": "Amina",
            "category": "Has Text",
            "node_uuid": "n1",
            "created_on": "2026-03-01T09:31:00Z",
        }
    }
    runs = [
        await add_run(db, tenant.workspace.id, flow, cid, at=DAY1, results=results),
        await add_run(db, tenant.workspace.id, flow, cid, status="interrupted", at=DAY1 + timedelta(hours=1)),
    ]
    waiting = await add_run(db, tenant.workspace.id, flow, cid, status="waiting", at=DAY1 + timedelta(hours=2))
    recent_run = await add_run(db, tenant.workspace.id, flow, cid, at=NOW - timedelta(days=1))
    return {"old": old, "new": new, "runs": runs, "waiting": waiting, "recent_run": recent_run, "contact": cid}


async def _download(client: httpx.AsyncClient, url: str) -> tuple[bytes, list[dict[str, Any]]]:
    resp = await client.get(url)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/gzip"
    assert resp.headers["content-disposition"].startswith("attachment;")
    raw = resp.content
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    return raw, [orjson.loads(line) for line in lines]


async def test_archives_written_listed_downloaded_and_read_back(
    client: httpx.AsyncClient, db: Any, tenant: Tenant, worker: Any, frozen: Clock, settings: Any
) -> None:
    seeded = await _seed(client, db, tenant)
    messages_before = {m["uuid"]: m for m in await all_pages(client, "/api/v2/messages.json")}
    runs_before = {r["uuid"]: r for r in await all_pages(client, "/api/v2/runs.json")}
    assert len(messages_before) == 4 and len(runs_before) == 4

    assert await archive_work.run_now(db, worker, tenant.workspace.id) == 32  # 16 days of each type

    listing = await client.get("/api/v2/archives.json")
    assert listing.status_code == 200
    body = listing.json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == 32 and body["next"] is None and body["previous"] is None
    results = body["results"]
    assert [a["start_date"] for a in results[::2]] == [f"2026-03-{d:02d}" for d in range(16, 0, -1)]
    assert all(a["period"] == "daily" and a["type"] == a["archive_type"] for a in results)
    by_key = {(a["type"], a["start_date"]): a for a in results}
    empty = by_key[("message", "2026-03-05")]
    assert empty == {
        "type": "message",
        "start_date": "2026-03-05",
        "period": "daily",
        "record_count": 0,
        "size": 0,
        "hash": None,
        "download_url": None,
        "archive_type": "message",
    }

    day1 = by_key[("message", "2026-03-01")]
    assert day1["record_count"] == 2
    assert day1["download_url"].startswith("http://testserver/api/v2/archives/")
    raw, lines = await _download(client, day1["download_url"])
    assert day1["size"] == len(raw) and day1["hash"] == hashlib.md5(raw).hexdigest()
    assert lines == [messages_before[m.uuid] for m in seeded["old"][:2]]  # the API's own shape, label included
    assert lines[0]["labels"] == [{"uuid": lines[0]["labels"][0]["uuid"], "name": "Kept"}]
    _, lines = await _download(client, by_key[("message", "2026-03-02")]["download_url"])
    assert lines == [messages_before[seeded["old"][2].uuid]]

    runs_day1 = by_key[("run", "2026-03-01")]
    assert runs_day1["record_count"] == 2  # the waiting run is not archived
    _, lines = await _download(client, runs_day1["download_url"])
    assert lines == [runs_before[r.uuid] for r in seeded["runs"]]
    assert lines[0]["values"]["name"]["value"] == "Amina" and lines[0]["path"]

    # the database: one written row per (type, day), files where the rows say; nothing removed (the default)
    async with db() as session:
        stored = list((await session.execute(select(Archive).order_by(Archive.id))).scalars())
    assert len(stored) == 32 and {a.status for a in stored} == {"ready"}
    assert {a.claimed_by for a in stored} == {None}
    assert {a.path is None for a in stored if a.record_count == 0} == {True}
    for a in stored:
        if a.path is not None:
            assert (Path(settings.data_dir) / a.path).is_file()
    assert await count(db, Message) == 4 and await count(db, FlowRun) == 4

    # running the job again writes nothing twice
    assert await archive_work.run_now(db, worker, tenant.workspace.id) == 0
    assert await worker.drain() == 0
    assert await count(db, Archive) == 32
    again = (await client.get("/api/v2/archives.json")).json()
    assert again == body


async def test_the_worker_loop_writes_archives_and_months_roll_up(
    client: httpx.AsyncClient, db: Any, tenant: Tenant, worker: Any, frozen: Clock, settings: Any
) -> None:
    await _seed(client, db, tenant)
    assert await worker.drain() >= 32  # the archive kind plans (first round) and writes, one per round
    assert await count(db, Archive, Archive.status == "ready") == 32
    first = {(a["type"], a["start_date"]): a for a in (await client.get("/api/v2/archives.json")).json()["results"]}

    frozen.now = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)  # cutoff 2026-04-16: March is complete
    assert await archive_work.run_now(db, worker, tenant.workspace.id) == 2 * (30 + 1)  # Mar 17..Apr 15, then March
    monthly = (await client.get("/api/v2/archives.json?period=monthly")).json()
    assert monthly["count"] == 2
    assert [(a["type"], a["start_date"], a["record_count"]) for a in monthly["results"]] == [
        ("run", "2026-03-01", 2),
        ("message", "2026-03-01", 3),
    ] or [(a["type"], a["start_date"], a["record_count"]) for a in monthly["results"]] == [
        ("message", "2026-03-01", 3),
        ("run", "2026-03-01", 2),
    ]
    messages_month = next(a for a in monthly["results"] if a["type"] == "message")
    raw, lines = await _download(client, messages_month["download_url"])
    assert messages_month["hash"] == hashlib.md5(raw).hexdigest()
    _, day1 = await _download(client, first[("message", "2026-03-01")]["download_url"])
    _, day2 = await _download(client, first[("message", "2026-03-02")]["download_url"])  # still downloadable
    assert lines == day1 + day2
    daily = (await client.get("/api/v2/archives.json?period=daily")).json()
    assert {a["start_date"][:7] for a in daily["results"]} == {"2026-04"}  # March's days are rolled up
    assert daily["count"] == 2 * 15
    async with db() as session:
        march = list(
            (
                await session.execute(
                    select(Archive.rollup_id).where(Archive.period == "daily", Archive.start_date < date(2026, 4, 1))
                )
            ).scalars()
        )
    assert len(march) == 62 and None not in march


async def test_the_delete_setting_removes_exactly_the_archived_rows(
    client: httpx.AsyncClient, db: Any, tenant: Tenant, worker: Any, frozen: Clock, settings: Any
) -> None:
    seeded = await _seed(client, db, tenant)
    settings.archive_delete = True
    await archive_work.run_now(db, worker, tenant.workspace.id)
    async with db() as session:
        messages = set((await session.execute(select(Message.uuid))).scalars())
        runs = set((await session.execute(select(FlowRun.uuid))).scalars())
        labelled = (await session.execute(select(MessageLabel.message_id))).scalars().all()
        deleted = list((await session.execute(select(Archive.deleted_on).where(Archive.record_count > 0))).scalars())
    assert messages == {seeded["new"].uuid}
    assert runs == {seeded["waiting"].uuid, seeded["recent_run"].uuid}
    assert labelled == []
    assert len(deleted) == 3 and None not in deleted
    listed = (await client.get("/api/v2/archives.json?type=message")).json()["results"]
    _, lines = await _download(client, next(a for a in listed if a["start_date"] == "2026-03-01")["download_url"])
    assert [line["uuid"] for line in lines] == [m.uuid for m in seeded["old"][:2]]  # the file outlives the rows
    assert [m["uuid"] for m in (await client.get("/api/v2/messages.json")).json()["results"]] == [seeded["new"].uuid]


async def test_age_setting(
    client: httpx.AsyncClient, db: Any, tenant: Tenant, worker: Any, frozen: Clock, settings: Any
) -> None:
    await _seed(client, db, tenant)
    settings.archive_after_days = 200  # nothing is old enough
    assert await archive_work.run_now(db, worker, tenant.workspace.id) == 0
    settings.archive_after_days = 4  # days before June 11: not the recent message (June 12) nor the recent run
    await archive_work.run_now(db, worker, tenant.workspace.id)
    listed = await all_pages(client, "/api/v2/archives.json")
    assert sum(a["record_count"] for a in listed if a["type"] == "message") == 3
    assert sum(a["record_count"] for a in listed if a["type"] == "run") == 2
    assert max(a["start_date"] for a in listed) == "2026-06-10"
    monthly = sorted((a["type"], a["start_date"]) for a in listed if a["period"] == "monthly")
    assert monthly == [(t, f"2026-0{m}-01") for t in ("message", "run") for m in (3, 4, 5)]


async def _archive(db: Any, workspace_id: int, kind: str, period: str, day: date, records: int = 1) -> Archive:
    async with db() as session:
        row = Archive(
            uuid=clock.new_uuid(),
            workspace_id=workspace_id,
            archive_type=kind,
            period=period,
            start_date=day,
            status="ready",
            record_count=records,
            size=10 * records,
            hash="0" * 32 if records else None,
            path=f"archives/x/{day}.jsonl.gz" if records else None,
            created_on=clock.now(),
            modified_on=clock.now(),
        )
        session.add(row)
        await session.commit()
        return row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["m 2026-05-03", "r 2026-05-02", "m 2026-05-02", "r 2026-05-01", "m 2026-04-01"]),
        ("?type=message", ["m 2026-05-03", "m 2026-05-02", "m 2026-04-01"]),
        ("?archive_type=run", ["r 2026-05-02", "r 2026-05-01"]),
        ("?type=run&archive_type=message", ["r 2026-05-02", "r 2026-05-01"]),
        ("?type=flow", []),
        ("?period=monthly", ["m 2026-04-01"]),
        ("?period=weekly", ["m 2026-05-03", "r 2026-05-02", "m 2026-05-02", "r 2026-05-01", "m 2026-04-01"]),
        ("?after=2026-05-02", ["m 2026-05-03", "r 2026-05-02", "m 2026-05-02"]),
        ("?after=2026-05-02T10:00:00Z", ["m 2026-05-03"]),
        ("?before=2026-05-02", ["r 2026-05-02", "m 2026-05-02", "r 2026-05-01", "m 2026-04-01"]),
        ("?before=2026-05-02T23:00:00.000000Z&after=2026-05-01", ["r 2026-05-02", "m 2026-05-02", "r 2026-05-01"]),
        ("?before=yesterday", []),
        ("?after=2026-13-45", []),
    ],
)
async def test_filters(client: httpx.AsyncClient, db: Any, tenant: Tenant, query: str, expected: list[str]) -> None:
    ws = tenant.workspace.id
    await _archive(db, ws, "message", "monthly", date(2026, 4, 1), 5)
    rolled = await _archive(db, ws, "message", "daily", date(2026, 4, 2))
    await _archive(db, ws, "run", "daily", date(2026, 5, 1))
    await _archive(db, ws, "message", "daily", date(2026, 5, 2))
    await _archive(db, ws, "run", "daily", date(2026, 5, 2))
    await _archive(db, ws, "message", "daily", date(2026, 5, 3))
    async with db() as session:
        monthly = (await session.execute(select(Archive.id).where(Archive.period == "monthly"))).scalar_one()
        row = await session.get(Archive, rolled.id)
        assert row is not None
        row.rollup_id = monthly
        await session.commit()
    before = await count(db, Archive)
    resp = await client.get(f"/api/v2/archives.json{query}")
    assert resp.status_code == 200
    body = resp.json()
    assert [f"{a['type'][0]} {a['start_date']}" for a in body["results"]] == expected
    assert body["count"] == len(expected)
    assert await count(db, Archive) == before


async def test_limit_offset_pages(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> None:
    for n in range(5):
        await _archive(db, tenant.workspace.id, "message", "daily", date(2026, 5, 1) + timedelta(days=n))
    first = (await client.get("/api/v2/archives.json?limit=2")).json()
    assert first["count"] == 5 and first["previous"] is None
    assert [a["start_date"] for a in first["results"]] == ["2026-05-05", "2026-05-04"]
    assert first["next"] == "http://testserver/api/v2/archives.json?limit=2&offset=2"
    second = (await client.get(first["next"])).json()
    assert [a["start_date"] for a in second["results"]] == ["2026-05-03", "2026-05-02"]
    assert second["previous"] == "http://testserver/api/v2/archives.json?limit=2"
    third = (await client.get(second["next"])).json()
    assert [a["start_date"] for a in third["results"]] == ["2026-05-01"]
    assert third["next"] is None and third["previous"] == "http://testserver/api/v2/archives.json?limit=2&offset=2"
    for odd in ("limit=abc", "limit=-1", "limit=0", "offset=-3", "offset=x"):
        resp = await client.get(f"/api/v2/archives.json?{odd}")
        assert resp.status_code == 200 and resp.json()["count"] == 5 and len(resp.json()["results"]) == 5, odd
    beyond = (await client.get("/api/v2/archives.json?offset=10")).json()
    assert beyond["results"] == [] and beyond["count"] == 5 and beyond["next"] is None


async def test_download_needs_the_workspaces_own_token(
    client: httpx.AsyncClient,
    anon_client: httpx.AsyncClient,
    app: Any,
    db: Any,
    tenant: Tenant,
    other: Tenant,
    worker: Any,
    frozen: Clock,
    settings: Any,
) -> None:
    await _seed(client, db, tenant)
    await archive_work.run_now(db, worker, tenant.workspace.id)
    url = next(a for a in (await client.get("/api/v2/archives.json")).json()["results"] if a["download_url"])[
        "download_url"
    ]
    assert (await client.get(url)).status_code == 200
    anonymous = await anon_client.get(url)
    assert anonymous.status_code == 403
    assert anonymous.json() == {"detail": "Authentication credentials were not provided."}
    bad_token = await anon_client.get(url, headers={"Authorization": "Token nope"})
    assert bad_token.status_code == 403
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=other.headers) as b:
        theirs = await b.get(url)
        assert theirs.status_code == 404 and theirs.json() == {"detail": "Not found."}
        assert (await b.get("/api/v2/archives.json")).json() == {
            "count": 0,
            "next": None,
            "previous": None,
            "results": [],
        }
    missing = await client.get(f"/api/v2/archives/{clock.new_uuid()}.jsonl.gz")
    assert missing.status_code == 404
    for method in ("POST", "DELETE", "PUT"):
        refused = await client.request(method, url)
        assert refused.status_code == 405 and refused.json() == {"detail": f'Method "{method}" not allowed.'}
    assert (await client.post("/api/v2/archives.json", json={})).status_code == 405
    assert (await client.delete("/api/v2/archives.json")).status_code == 405


async def test_a_failing_archive_is_marked_failed_and_the_others_go_on(
    client: httpx.AsyncClient,
    backend: Backend,
    db: Any,
    tenant: Tenant,
    other: Tenant,
    worker: Any,
    frozen: Clock,
    settings: Any,
) -> None:
    await _seed(client, db, tenant)
    await make_message(db, other.workspace.id, text="theirs", created_on=DAY1)
    blocker = Path(settings.data_dir) / "archives" / tenant.workspace.uuid
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")  # A's archive folder cannot be made
    try:
        await worker.drain()
    finally:
        blocker.unlink()
    async with db() as session:
        rows = (await session.execute(select(Archive.workspace_id, Archive.status, Archive.failure))).all()
    mine = [r for r in rows if r.workspace_id == tenant.workspace.id]
    theirs = [r for r in rows if r.workspace_id == other.workspace.id]
    assert mine and {r.status for r in mine} == {"failed"}
    assert all(r.failure for r in mine)
    assert theirs and {r.status for r in theirs} == {"ready"}
    assert await count(db, Message, Message.workspace_id == tenant.workspace.id) == 4


async def test_cli_archive_run(backend: Backend, tmp_path: Path, db: Any) -> None:
    assert sauti(backend, tmp_path, "workspace", "create", "Acme").returncode == 0
    async with db() as session:
        ws_id = (await session.execute(select(Workspace.id).where(Workspace.name == "Acme"))).scalar_one()
    long_ago = datetime.now(UTC).replace(hour=8) - timedelta(days=120)
    await make_message(db, ws_id, text="old news", created_on=long_ago)
    ran = sauti(backend, tmp_path, "archive", "run", "--workspace", "Acme")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    async with db() as session:
        written = list(
            (
                await session.execute(select(Archive).where(Archive.record_count > 0, Archive.period == "daily"))
            ).scalars()
        )
    assert len(written) == 1 and written[0].start_date == long_ago.date() and written[0].archive_type == "message"
    assert (tmp_path / str(written[0].path)).is_file()
    line = f"message\tdaily\t{long_ago.date().isoformat()}\t1\t{written[0].size}\t{written[0].hash}"
    assert line in ran.stdout or written[0].rollup_id is not None  # listed unless its month was rolled up
    again = sauti(backend, tmp_path, "archive", "run", "--workspace", "Acme")
    assert again.returncode == 0 and again.stdout.startswith("0 archive(s) written")
    nobody = sauti(backend, tmp_path, "archive", "run", "--workspace", "Nobody")
    assert nobody.returncode == 2 and "no workspace is named or has the UUID 'Nobody'" in nobody.stderr


async def test_docs_page(anon_client: httpx.AsyncClient) -> None:
    page = await anon_client.get("/api/v2/archives")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "List Archives" in page.text and "download_url" in page.text and "archive_type" in page.text
    assert "paged by <code>limit</code> and <code>offset</code>" in page.text
    classifiers = await anon_client.get("/api/v2/classifiers")
    assert classifiers.status_code == 200 and "List Classifiers" in classifiers.text and "intents" in classifiers.text
    assert "paged by cursor" in classifiers.text
