"""A contact as a sprint reads it (``flows/contacts.people``): its URNs in priority order, its groups (smart and
manual) and its field values with their types, read back from both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sauti.domain.contacts import service as contacts
from sauti.domain.fields import service as fields
from sauti.domain.flows.contacts import people
from sauti.domain.groups import service as groups
from sauti.kit import clock
from sauti.models import Workspace
from tests.conftest import Backend, Tenant
from tests.domain.flow_support import Clock, make_world, use_clock


@pytest.fixture
def fixed_clock() -> Iterator[Clock]:
    c = use_clock()
    yield c
    clock.set_clock(None)


async def test_a_sprints_contact_has_its_urns_groups_and_typed_values(
    backend: Backend, tenant: Tenant, fixed_clock: Clock
) -> None:
    world = await make_world(backend, tenant)  # an "age" number field and a smart group of adults
    async with backend.sessionmaker() as session:
        ws = await session.get(Workspace, world.workspace_id)
        assert ws is not None
        await fields.create(session, ws, name="Due", value_type="datetime")
        await fields.create(session, ws, name="Town", value_type="text")
        vip = await groups.create(session, ws, name="VIP")
        amina = await contacts.create(
            session,
            ws,
            contacts.ContactInput(
                name="Amina",
                urns=["tel:+250788123123", "tel:+250788000111"],
                fields={"age": "42.5", "due": "2031-02-03T04:05:06Z", "town": "Kigali"},
            ),
        )
        other = await contacts.create(session, ws, contacts.ContactInput(name="Bo", urns=["tel:+250788999999"]))
        await contacts.change_group(session, ws, [amina], vip, True)
        await session.commit()

        found = await people(session, ws, [amina, other])
        seen, bo = found[amina.id].contact, found[other.id].contact
        assert [u.path for u in seen.urns] == ["+250788123123", "+250788000111"]
        assert [u.path for u in found[amina.id].urns] == ["+250788123123", "+250788000111"]
        assert sorted(g.name for g in seen.groups) == ["Adults", "VIP"]
        assert seen.fields["age"].number == Decimal("42.5")
        assert seen.fields["due"].datetime == datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)
        assert (seen.fields["town"].text, seen.fields["town"].number, seen.fields["town"].datetime) == (
            "Kigali",
            None,
            None,
        )
        assert (bo.groups, bo.fields, [u.path for u in bo.urns]) == ([], {}, ["+250788999999"])
