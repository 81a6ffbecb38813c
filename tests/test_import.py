"""``sauti import``: a RapidPro export (tests/data/registration_export.json, a 13.x flow migrated by the engine)
becomes fields, groups, a flow and its keyword trigger, all or nothing; importing it again updates in place."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sauti.domain.errors import Invalid
from sauti.domain.flows import imports
from sauti.models import ContactField, ContactGroup, Flow, FlowDependency, FlowTrigger, Workspace
from tests.api.rapidpro.flow_helpers import EXPORT, export
from tests.conftest import Backend, Tenant
from tests.test_cli import sauti

pytestmark = pytest.mark.usefixtures("app")
REG = "8d3f5a2e-61b4-4c1e-9a57-3b2c6e0f1a01"
FILE_GROUP = "c2e4a6b8-0d1f-4a3c-9e5b-7f9a1b3c5d01"


async def snapshot(db: Any, workspace_id: int) -> dict[str, Any]:
    async with db() as session:

        async def rows(stmt: Any) -> list[Any]:
            return [tuple(r) for r in (await session.execute(stmt)).all()]

        return {
            "fields": await rows(
                select(ContactField.key, ContactField.name, ContactField.value_type).where(
                    ContactField.workspace_id == workspace_id, ContactField.is_system.is_(False)
                )
            ),
            "groups": await rows(
                select(ContactGroup.uuid, ContactGroup.name).where(
                    ContactGroup.workspace_id == workspace_id, ContactGroup.is_system.is_(False)
                )
            ),
            "flows": await rows(
                select(Flow.uuid, Flow.name, Flow.spec_version, Flow.is_active).where(Flow.workspace_id == workspace_id)
            ),
            "triggers": await rows(
                select(FlowTrigger.trigger_type, FlowTrigger.keywords, FlowTrigger.match_type, FlowTrigger.is_archived)
                .where(FlowTrigger.workspace_id == workspace_id)
                .order_by(FlowTrigger.id)
            ),
            "dependencies": await rows(
                select(func.count()).select_from(FlowDependency).where(FlowDependency.workspace_id == workspace_id)
            ),
        }


async def test_import_then_reimport(backend: Backend, tmp_path: Path, tenant: Tenant, db: Any) -> None:
    done = sauti(backend, tmp_path, "import", str(EXPORT), "--workspace", "Nyaruka")
    assert done.returncode == 0, done.stderr
    assert f"flow {REG} Registration" in done.stdout
    assert "imported 1 flows, 1 new triggers (0 already there), 2 new fields (0 kept), 1 new groups (0 kept)" in (
        done.stdout
    )
    first = await snapshot(db, tenant.workspace.id)
    assert first["fields"] == [("age", "Age", "number"), ("district", "District", "text")]
    ((group_uuid, group_name),) = first["groups"]
    assert group_name == "Registered" and group_uuid != FILE_GROUP  # group UUIDs are unique across workspaces
    assert first["flows"] == [(REG, "Registration", "14.4.2", True)]  # 13.1.0 in the file, migrated
    assert first["triggers"] == [("keyword", ["join"], "first_word", False)]
    async with db() as session:
        flow = (await session.execute(select(Flow).where(Flow.uuid == REG))).scalar_one()
        assert group_uuid in json.dumps(flow.definition) and FILE_GROUP not in json.dumps(flow.definition)
        assert [r["key"] for r in flow.results] == ["name", "age", "district"]

    again = sauti(backend, tmp_path, "import", str(EXPORT), "--workspace", "Nyaruka")
    assert again.returncode == 0, again.stderr
    assert "0 new triggers (1 already there), 0 new fields (2 kept), 0 new groups (1 kept)" in again.stdout
    assert await snapshot(db, tenant.workspace.id) == first  # updated in place, nothing duplicated


async def test_bad_files_import_nothing(backend: Backend, tmp_path: Path, tenant: Tenant, db: Any) -> None:
    before = await snapshot(db, tenant.workspace.id)
    broken_flow = export()
    broken_flow["flows"][0]["nodes"][0]["exits"][0]["destination_uuid"] = "0c6b8f1d-4e2a-4b7c-9d31-000000000000"
    legacy = export()
    legacy["flows"][0]["spec_version"] = "11.12"
    clash = export()  # the flow is fine, the trigger's keyword is not one word: the fields and group roll back
    clash["triggers"][0]["keywords"] = ["two words"]
    cases: list[tuple[str, str]] = [
        ("not json {", "the file is not JSON"),
        ("[1, 2]", "the file must hold one JSON object"),
        ('{"hello": 1}', "has none of flows, triggers, fields, groups or campaigns"),
        ('{"flows": {}}', "'flows' must be a list"),
        ('{"fields": [{"key": "x"}]}', "'fields[0].name' must be a non-empty string"),
        (json.dumps(broken_flow), "flow 'Registration' cannot be read"),
        (json.dumps(legacy), "flow 'Registration' cannot be read"),
        (json.dumps(clash), "keyword 'two words' is not one word"),
    ]
    for i, (text, words) in enumerate(cases):
        path = tmp_path / f"bad{i}.json"
        path.write_text(text)
        result = sauti(backend, tmp_path, "import", str(path), "--workspace", "Nyaruka")
        assert result.returncode == 2, (text[:40], result.stdout)
        assert words in result.stderr.replace("\n", " "), (words, result.stderr)
        assert await snapshot(db, tenant.workspace.id) == before, words
    missing = sauti(backend, tmp_path, "import", str(tmp_path / "nope.json"), "--workspace", "Nyaruka")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    nowhere = sauti(backend, tmp_path, "import", str(EXPORT), "--workspace", "Nowhere")
    assert nowhere.returncode == 2


async def test_same_file_in_two_workspaces(backend: Backend, tenant: Tenant, other: Tenant, db: Any) -> None:
    for t in (tenant, other):
        async with db() as session:
            ws = await session.get(Workspace, t.workspace.id)
            assert ws is not None
            await imports.import_export(session, ws, export())
            await session.commit()
    a, b = await snapshot(db, tenant.workspace.id), await snapshot(db, other.workspace.id)
    assert a["flows"] == b["flows"] and a["fields"] == b["fields"] and a["triggers"] == b["triggers"]
    assert a["groups"] != b["groups"]  # each workspace has its own Registered group


async def test_existing_trigger_for_another_flow_is_replaced(tenant: Tenant, db: Any) -> None:
    data = export()
    other = copy.deepcopy(data["flows"][0])
    other.update(uuid="9b000000-0000-4000-8000-000000000001", name="Old Registration")
    old = {"flows": [other], "triggers": [dict(data["triggers"][0], flow={"uuid": other["uuid"], "name": "x"})]}
    async with db() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        await imports.import_export(session, ws, old)
        summary = await imports.import_export(session, ws, data)
        await session.commit()
    assert summary.triggers_created == 1
    triggers = (await snapshot(db, tenant.workspace.id))["triggers"]
    assert triggers == [("keyword", ["join"], "first_word", True), ("keyword", ["join"], "first_word", False)]


def test_parse_refuses_what_is_not_an_object() -> None:
    with pytest.raises(Invalid) as raised:
        imports.parse(b"\xff\xfe")
    assert raised.value.problems[0].code == "import_invalid"


def test_the_demo_ships_the_tested_export() -> None:
    shipped = Path(imports.__file__).parents[2] / "cli" / "demo_registration.json"
    assert json.loads(shipped.read_text()) == export()
