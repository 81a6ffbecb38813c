"""Campaigns exported in the definitions shape and imported into another workspace (and again over it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sauti.domain.campaigns import exports, service
from sauti.domain.errors import Invalid
from sauti.domain.fields import service as fields
from sauti.domain.flows.definitions import save_flow
from sauti.domain.groups import service as groups
from sauti.models import Campaign, CampaignEvent, ContactField, ContactGroup, Workspace
from tests.conftest import Backend, Tenant

FLOW = Path(__file__).parent / "flow_defs" / "registration.json"


async def _make(backend: Backend, tenant: Tenant) -> tuple[str, dict[str, Any]]:
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, tenant.workspace.id)
        assert ws is not None
        flow = await save_flow(session, ws, json.loads(FLOW.read_text()))
        await groups.create(session, ws, name="Mothers")
        await fields.create(session, ws, name="EDD", value_type="datetime")
        campaign = await service.create_campaign(session, ws, name="Pregnancy", group="Mothers")
        message = await service.create_event(
            session,
            ws,
            service.EventInput(
                campaign=campaign.uuid, relative_to="edd", offset=-7, unit="days", delivery_hour=9,
                message={"eng": "One week to go", "kin": "Icyumweru kimwe"},
            ),
        )  # fmt: skip
        flow_event = await service.create_event(
            session,
            ws,
            service.EventInput(
                campaign=campaign.uuid, relative_to="created_on", offset=1, unit="weeks", delivery_hour=-1,
                flow=flow.uuid, start_mode="skip",
            ),
        )  # fmt: skip
        await session.commit()
        exported = await exports.export_campaigns(session, ws, [campaign.uuid, "f14e4ff0-724d-43fe-a953-1d16aefd1c00"])
        group = (await session.execute(select(ContactGroup).where(ContactGroup.name == "Mothers"))).scalar_one()
    assert exported == [
        {
            "uuid": campaign.uuid,
            "name": "Pregnancy",
            "group": {"uuid": group.uuid, "name": "Mothers"},
            "events": [
                {
                    "uuid": message.uuid,
                    "offset": -7,
                    "unit": "D",
                    "event_type": "M",
                    "delivery_hour": 9,
                    "relative_to": {"label": "EDD", "key": "edd"},
                    "start_mode": "I",
                    "message": {"eng": "One week to go", "kin": "Icyumweru kimwe"},
                    "base_language": "eng",
                },
                {
                    "uuid": flow_event.uuid,
                    "offset": 1,
                    "unit": "W",
                    "event_type": "F",
                    "delivery_hour": -1,
                    "relative_to": {"label": "Created On", "key": "created_on"},
                    "start_mode": "S",
                    "flow": {"uuid": flow.uuid, "name": "Mini Registration"},
                },
            ],
        }
    ]
    return flow.uuid, exported[0]


async def test_export_then_import_elsewhere_and_again(backend: Backend, tenant: Tenant, other: Tenant) -> None:
    _, item = await _make(backend, tenant)
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, other.workspace.id)
        assert ws is not None
        with pytest.raises(Invalid) as refused:  # the file's flow must be imported first
            await exports.import_campaigns(session, ws, [item])
        assert refused.value.problems[0].field == "flow"
        await session.rollback()
        ws = await session.get(Workspace, other.workspace.id)
        assert ws is not None
        definition = json.loads(FLOW.read_text())
        definition["uuid"] = "5e1d43c4-3a8e-4b8c-9e37-2f2a9c1b7d11"  # another UUID: found by its name
        await save_flow(session, ws, definition)
        [imported] = await exports.import_campaigns(session, ws, [item])
        await session.commit()
        again = await exports.export_campaigns(session, ws, [imported.uuid])
    assert imported.workspace_id == other.workspace.id and imported.uuid != item["uuid"]  # A keeps its UUIDs
    assert again[0]["name"] == "Pregnancy" and again[0]["group"]["name"] == "Mothers"
    assert [(e["unit"], e["offset"], e["start_mode"], e["relative_to"]["key"]) for e in again[0]["events"]] == [
        ("D", -7, "I", "edd"),
        ("W", 1, "S", "created_on"),
    ]
    assert again[0]["events"][1]["flow"]["uuid"] == "5e1d43c4-3a8e-4b8c-9e37-2f2a9c1b7d11"
    async with backend.sessionmaker() as session:
        made = (
            await session.execute(
                select(ContactField.value_type).where(
                    ContactField.workspace_id == other.workspace.id, ContactField.key == "edd"
                )
            )
        ).scalar_one()
        assert made == "datetime"
        statuses = (
            await session.execute(select(CampaignEvent.status).where(CampaignEvent.workspace_id == other.workspace.id))
        ).scalars()
        assert set(statuses) == {"scheduling"}

    # importing over it again: the file wins (an event it lacks goes, a changed one is rescheduled)
    changed = {**again[0], "events": [{**again[0]["events"][0], "offset": -14}]}
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, other.workspace.id)
        assert ws is not None
        await session.execute(CampaignEvent.__table__.update().values(status="ready"))  # type: ignore[attr-defined]
        [same] = await exports.import_campaigns(session, ws, [changed])
        await session.commit()
        assert same.id == imported.id
        events = list(
            (
                await session.execute(
                    select(
                        CampaignEvent.offset, CampaignEvent.is_active, CampaignEvent.status, CampaignEvent.fire_version
                    )
                    .where(CampaignEvent.campaign_id == same.id)
                    .order_by(CampaignEvent.id)
                )
            ).all()
        )
        assert [tuple(e) for e in events] == [(-14, True, "scheduling", 2), (1, False, "ready", 1)]
        assert (
            await session.execute(select(Campaign.id).where(Campaign.workspace_id == other.workspace.id))
        ).all() == [(same.id,)]
