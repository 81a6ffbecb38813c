"""classifiers.json: the workspace's NLU classifiers, the shape the endpoint last had upstream, secrets never
shown; and the ``sauti classifier`` commands that manage them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sauti.domain.classifiers import service as classifiers
from sauti.domain.errors import Invalid, NotFound
from sauti.kit import clock
from sauti.models import Classifier, Workspace
from tests.api.rapidpro.helpers import count, row
from tests.conftest import Backend, Tenant
from tests.test_cli import sauti

pytestmark = pytest.mark.usefixtures("app")


async def add_classifier(db: Any, workspace_id: int, name: str, kind: str = "wit", **kwargs: Any) -> Classifier:
    async with db() as session:
        ws = await session.get(Workspace, workspace_id)
        assert ws is not None
        made = await classifiers.add(
            session, ws, classifier_type=kind, name=name, token=kwargs.pop("token", f"secret-{name}"), **kwargs
        )
        await session.commit()
        return made


async def test_list_newest_first_with_intents_sorted_and_no_secrets(
    client: httpx.AsyncClient, db: Any, tenant: Tenant
) -> None:
    booking = await add_classifier(
        db, tenant.workspace.id, "Booking", intents=["cancel", "book", "book"], url="http://127.0.0.1:9/wit"
    )
    luis = await add_classifier(db, tenant.workspace.id, "Old LUIS", "luis", intents=["greet"])
    resp = await client.get("/api/v2/classifiers.json")
    assert resp.status_code == 200
    body = resp.json()
    assert body["next"] is None and body["previous"] is None
    assert body["results"] == [
        {
            "uuid": luis.uuid,
            "name": "Old LUIS",
            "type": "luis",
            "intents": ["greet"],
            "created_on": body["results"][0]["created_on"],
        },
        {
            "uuid": booking.uuid,
            "name": "Booking",
            "type": "wit",
            "intents": ["book", "cancel"],
            "created_on": body["results"][1]["created_on"],
        },
    ]
    assert body["results"][0]["created_on"].endswith("Z")
    assert "secret" not in resp.text and "127.0.0.1" not in resp.text
    stored = await row(db, Classifier, Classifier.uuid == booking.uuid)
    assert stored.config == {"access_token": "secret-Booking", "url": "http://127.0.0.1:9/wit", "version": "20240304"}
    assert stored.intents == ["book", "cancel"]


async def test_uuid_filter_and_its_errors(client: httpx.AsyncClient, db: Any, tenant: Tenant) -> None:
    one = await add_classifier(db, tenant.workspace.id, "One")
    await add_classifier(db, tenant.workspace.id, "Two")
    found = (await client.get(f"/api/v2/classifiers.json?uuid={one.uuid}")).json()["results"]
    assert [c["name"] for c in found] == ["One"]
    missing = await client.get("/api/v2/classifiers.json?uuid=ad6acad9-959b-4d70-b144-5de2891e4d00")
    assert missing.status_code == 200 and missing.json()["results"] == []
    bad = await client.get("/api/v2/classifiers.json?uuid=xyz")
    assert bad.status_code == 400
    assert bad.json() == {"detail": "Param 'uuid': xyz is not a valid UUID."}
    assert await count(db, Classifier) == 2


async def test_removed_ones_are_not_listed_and_other_methods_are_refused(
    client: httpx.AsyncClient, db: Any, tenant: Tenant
) -> None:
    gone = await add_classifier(db, tenant.workspace.id, "Gone")
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        await classifiers.remove(session, ws, gone.uuid)
        await session.commit()
    assert (await client.get("/api/v2/classifiers.json")).json()["results"] == []
    for method in ("POST", "DELETE"):
        resp = await client.request(method, "/api/v2/classifiers.json", json={"name": "X"})
        assert resp.status_code == 405
        assert resp.json() == {"detail": f'Method "{method}" not allowed.'}
    assert await count(db, Classifier) == 1
    assert (await row(db, Classifier, Classifier.uuid == gone.uuid)).is_active is False


async def test_no_token_is_refused(anon_client: httpx.AsyncClient) -> None:
    resp = await anon_client.get("/api/v2/classifiers.json")
    assert resp.status_code == 403


async def test_bad_input_to_the_domain(db: Any, tenant: Tenant) -> None:
    with pytest.raises(Invalid) as caught:
        await add_classifier(db, tenant.workspace.id, "", "watson", token=" ", url="ftp://x")
    assert {(p.field, p.code) for p in caught.value.problems} == {
        ("type", "invalid_choice"),
        ("name", "blank"),
        ("token", "blank"),
        ("url", "invalid_url"),
    }
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        with pytest.raises(NotFound):
            await classifiers.remove(session, ws, clock.new_uuid())
    assert await count(db, Classifier) == 0


async def test_cli_add_list_remove(backend: Backend, tmp_path: Path, db: Any) -> None:
    assert sauti(backend, tmp_path, "workspace", "create", "Acme").returncode == 0
    added = sauti(
        backend, tmp_path, "classifier", "add", "--workspace", "Acme", "--type", "wit", "--name", "Booking",
        "--token", "tok-123", "--url", "http://127.0.0.1:9", "--intent", "book", "--intent", "cancel",
    )  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    async with db() as session:
        stored = (await session.execute(select(Classifier))).scalar_one()
    assert f"classifier 'Booking' added: {stored.uuid}" in added.stdout
    assert (stored.classifier_type, stored.intents, stored.config["access_token"]) == (
        "wit",
        ["book", "cancel"],
        "tok-123",
    )
    listed = sauti(backend, tmp_path, "classifier", "list", "--workspace", "Acme")
    assert listed.stdout.splitlines()[1] == f"{stored.uuid}\twit\tBooking\tbook,cancel"
    assert "tok-123" not in listed.stdout
    bad = sauti(
        backend, tmp_path, "classifier", "add", "--workspace", "Acme", "--type", "watson", "--name", "X", "--token", "t"
    )
    assert bad.returncode == 2
    assert 'type "watson" is not valid: use wit, luis or bothub' in bad.stderr
    removed = sauti(backend, tmp_path, "classifier", "remove", stored.uuid, "--workspace", "Acme")
    assert removed.returncode == 0 and "classifier 'Booking' removed" in removed.stdout
    again = sauti(backend, tmp_path, "classifier", "remove", stored.uuid, "--workspace", "Acme")
    assert again.returncode == 2 and "no active classifier has the UUID" in again.stderr
    async with db() as session:
        assert (await session.execute(select(Classifier.is_active))).scalar_one() is False
