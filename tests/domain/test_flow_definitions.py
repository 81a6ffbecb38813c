"""Saving flow definitions: validated and migrated by the engine, results and expiry computed at save, updated by
UUID within a workspace only."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sauti.domain.errors import Invalid
from sauti.domain.flows.definitions import save_flow
from sauti.models import Flow, Workspace
from tests.conftest import Backend, Tenant

DEFS = Path(__file__).parent / "flow_defs"


def definition(name: str = "registration") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEFS / f"{name}.json").read_text())
    return data


async def test_save_creates_then_updates_by_uuid(backend: Backend, tenant: Tenant, other: Tenant) -> None:
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        row = await save_flow(session, ws, definition())
        await session.commit()
        first_id = row.id
    async with backend.sessionmaker() as session:
        saved = (await session.execute(select(Flow).where(Flow.id == first_id))).scalar_one()
        assert (saved.name, saved.type, saved.expires, saved.spec_version) == (
            "Mini Registration",
            "message",
            1440,
            "14.4.2",
        )
        assert saved.results == [
            {"key": "name", "name": "Name", "categories": ["Has Text", "Other"],
             "node_uuids": ["b0000000-0000-4000-8000-000000000001"]},
            {"key": "age", "name": "Age", "categories": ["Valid", "Other", "No Response"],
             "node_uuids": ["b0000000-0000-4000-8000-000000000002"]},
        ]  # fmt: skip
        assert saved.parent_refs == []
        assert saved.definition["nodes"][0]["uuid"] == "b0000000-0000-4000-8000-000000000001"
        assert (saved.runs_active, saved.runs_completed, saved.is_archived, saved.is_active) == (0, 0, False, True)

        changed = definition()
        changed["name"] = "Registration v2"
        changed["expire_after_minutes"] = 60
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        again = await save_flow(session, ws, changed, labels=[{"uuid": "5a4eb79e-1b1f-4ae3-8700-09384cca385f",
                                                                 "name": "Reporting"}])  # fmt: skip
        await session.commit()
        assert (again.id, again.name, again.expires) == (first_id, "Registration v2", 60)

        # the same UUID in another workspace is another flow
        ows = await session.get(Workspace, other.workspace.id)
        assert ows is not None
        theirs = await save_flow(session, ows, definition())
        await session.commit()
        assert theirs.id != first_id
        count = await session.scalar(select(func.count()).select_from(Flow))
        assert count == 2
        mine = (await session.execute(select(Flow).where(Flow.id == first_id))).scalar_one()
        assert mine.labels == [{"uuid": "5a4eb79e-1b1f-4ae3-8700-09384cca385f", "name": "Reporting"}]
        assert mine.name == "Registration v2"


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda d: d.pop("name"), "field 'name' is required"),
        (lambda d: d["nodes"][0]["exits"][0].update(destination_uuid="b0000000-0000-4000-8000-00000000dead"),
         "b0000000-0000-4000-8000-00000000dead"),
        (lambda d: d.update(spec_version="12.0"), "12.0"),
    ],
)  # fmt: skip
async def test_invalid_definitions_change_nothing(backend: Backend, tenant: Tenant, edit: Any, fragment: str) -> None:
    broken = copy.deepcopy(definition())
    edit(broken)
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        with pytest.raises(Invalid) as caught:
            await save_flow(session, ws, broken)
        (problem,) = caught.value.problems
        assert (problem.field, problem.code) == ("definition", "flow_invalid")
        assert fragment in problem.params["message"]
        await session.rollback()
        assert await session.scalar(select(func.count()).select_from(Flow)) == 0


async def test_not_an_object(backend: Backend, tenant: Tenant) -> None:
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        with pytest.raises(Invalid) as caught:
            await save_flow(session, ws, ["nodes"])  # type: ignore[arg-type]
        assert caught.value.problems[0].code == "flow_invalid"


async def test_background_flows_never_expire(backend: Backend, tenant: Tenant) -> None:
    data = definition()
    data["type"] = "messaging_background"
    # background flows may not wait: keep the last node only
    data["nodes"] = [data["nodes"][2]]
    data["localization"] = {}
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        row = await save_flow(session, ws, data)
        await session.commit()
        assert (row.type, row.expires) == ("background", 0)
