"""Which trigger an inbound message matches, through ``receive``: first word and only word, case-insensitive;
include and exclude groups and a channel make a trigger more specific; archived triggers and archived flows
start nothing; a catch-all starts its flow only for a contact waiting in no flow; a flow that ignores triggers
keeps its waiting contact."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from sauti.domain.contacts import service as contacts
from sauti.domain.flows import triggers
from sauti.domain.flows.definitions import save_flow
from sauti.domain.groups import service as groups
from sauti.kit import clock
from sauti.models import Contact, Flow, FlowSession, FlowTrigger, Message
from tests.conftest import Backend, Tenant
from tests.domain.flow_support import Clock, World, definition, make_world, use_clock, welcome_first


@pytest.fixture
def fixed_clock() -> Iterator[Clock]:
    c = use_clock()
    yield c
    clock.set_clock(None)


def named(name: str, uuid_tail: str, text: str) -> dict[str, Any]:
    """A one-node flow that says ``text`` (so the flow a message started is plain from what was sent)."""
    data = welcome_first(definition())
    data["uuid"] = f"5e1d43c4-3a8e-4b8c-9e37-2f2a9c1b{uuid_tail}"
    data["name"] = name
    data["nodes"] = data["nodes"][:1]
    data["nodes"][0]["actions"][0]["text"] = text
    data["nodes"][0]["exits"][0].pop("destination_uuid")
    data["localization"] = {}
    return data


async def flow(world: World, name: str, tail: str) -> Flow:
    async with world.backend.sessionmaker() as session:
        row = await save_flow(session, await world.ws(session), named(name, tail, f"from {name}"))
        await session.commit()
        return row


async def trigger(world: World, target: Flow, **kwargs: Any) -> FlowTrigger:
    async with world.backend.sessionmaker() as session:
        kwargs.setdefault("trigger_type", "keyword")
        row = await triggers.create(session, await world.ws(session), flow=target, **kwargs)
        await session.commit()
        return row


async def said_to(world: World, urn: str) -> list[str]:
    contact = await world.contact(urn)
    return [m.text for m in await world.outgoing(contact.id)]


async def test_first_word_and_only_word(backend: Backend, tenant: Tenant, fixed_clock: Clock) -> None:
    world = await make_world(backend, tenant)
    first = await flow(world, "First", "0001")
    only = await flow(world, "Only", "0002")
    await trigger(world, first, keywords=["Join", "ingia"])
    await trigger(world, only, keywords=["help"], match_type="only_word")

    await world.receive("tel:+250788000001", "join me please")
    await world.receive("tel:+250788000002", "INGIA")
    await world.receive("tel:+250788000003", "  Help! ")  # one word, punctuation aside
    await world.receive("tel:+250788000004", "help me")  # not only the word: nothing
    await world.receive("tel:+250788000005", "rejoin")  # not the first word
    assert await said_to(world, "tel:+250788000001") == ["from First"]
    assert await said_to(world, "tel:+250788000002") == ["from First"]
    assert await said_to(world, "tel:+250788000003") == ["from Only"]
    assert await said_to(world, "tel:+250788000004") == []
    assert await said_to(world, "tel:+250788000005") == []
    async with backend.sessionmaker() as session:
        flow_ids = await session.execute(select(Message.flow_id).where(Message.direction == "in").order_by(Message.id))
        assert list(flow_ids.scalars()) == [first.id, first.id, only.id, None, None]


async def test_groups_and_channel_make_a_trigger_specific(backend: Backend, tenant: Tenant, fixed_clock: Clock) -> None:
    world = await make_world(backend, tenant)
    general = await flow(world, "General", "0001")
    vip = await flow(world, "Vip", "0002")
    not_banned = await flow(world, "NotBanned", "0003")
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        vips = await groups.create(session, ws, name="VIP")
        banned = await groups.create(session, ws, name="Banned")
        a = await contacts.create(session, ws, contacts.ContactInput(urns=["tel:+250788000001"], groups=[vips.uuid]))
        b = await contacts.create(session, ws, contacts.ContactInput(urns=["tel:+250788000002"], groups=[banned.uuid]))
        await contacts.create(session, ws, contacts.ContactInput(urns=["tel:+250788000003"]))
        await session.commit()
        assert a.id and b.id
    await trigger(world, general, keywords=["go"])
    await trigger(world, vip, keywords=["go"], include_group_ids=[vips.id])
    await trigger(world, not_banned, keywords=["go"], exclude_group_ids=[banned.id])
    await world.receive("tel:+250788000001", "go")  # VIP: the include group wins (+2 over +1)
    await world.receive("tel:+250788000002", "go")  # banned: only the unrestricted trigger applies
    await world.receive("tel:+250788000003", "go")  # neither: excluding nobody it is in beats no restriction
    assert await said_to(world, "tel:+250788000001") == ["from Vip"]
    assert await said_to(world, "tel:+250788000002") == ["from General"]
    assert await said_to(world, "tel:+250788000003") == ["from NotBanned"]

    # a trigger restricted to another channel never matches here
    other = await flow(world, "Elsewhere", "0004")
    from tests.conftest import add_channel

    elsewhere = await add_channel(backend, tenant, name="Other", address="+250788999999")
    await trigger(world, other, keywords=["go"], channel_id=elsewhere.id)
    await world.receive("tel:+250788000003", "go")
    assert await said_to(world, "tel:+250788000003") == ["from NotBanned", "from NotBanned"]


async def test_archived_and_catch_all(backend: Backend, tenant: Tenant, fixed_clock: Clock) -> None:
    world = await make_world(backend, tenant)  # the registration flow (waits for answers)
    catch = await flow(world, "Catch", "0001")
    archived_flow = await flow(world, "Old", "0002")
    gone = await trigger(world, catch, keywords=["old"])
    async with backend.sessionmaker() as session:
        ws = await world.ws(session)
        await triggers.remove(session, ws, gone.uuid)
        await session.commit()
    await trigger(world, archived_flow, keywords=["older"])
    async with backend.sessionmaker() as session:
        await session.execute(update(Flow).where(Flow.id == archived_flow.id).values(is_archived=True))
        await session.commit()
    await trigger(world, catch, trigger_type="catch_all")
    registration = await world.flow()
    await trigger(world, registration, keywords=["join"])

    await world.receive("tel:+250788000001", "old")  # archived trigger: the catch-all takes it
    await world.receive("tel:+250788000001", "older")  # archived flow: the catch-all again
    assert await said_to(world, "tel:+250788000001") == ["from Catch", "from Catch"]

    await world.receive("tel:+250788000002", "join")
    await world.receive("tel:+250788000002", "Amina")  # waiting: the catch-all leaves it to the session
    assert await said_to(world, "tel:+250788000002") == [
        "Welcome!",
        "Hi! What is your name?",
        "Thanks Amina. How old are you?",
    ]

    # a flow that ignores triggers keeps its contact when a keyword comes in
    async with backend.sessionmaker() as session:
        await session.execute(update(Flow).where(Flow.id == registration.id).values(ignore_triggers=True))
        await session.commit()
    await world.receive("tel:+250788000002", "join")  # taken as the answer to "how old are you?"
    async with backend.sessionmaker() as session:
        sessions = (await session.execute(select(FlowSession.status).order_by(FlowSession.id))).scalars().all()
    assert list(sessions)[-1] == "waiting"  # "join" is no age: the question is asked again
    assert (await said_to(world, "tel:+250788000002"))[-1] == "Thanks Amina. How old are you?"
    contact = await world.contact("tel:+250788000002")
    async with backend.sessionmaker() as session:
        assert (await session.get(Contact, contact.id)).current_flow_id == registration.id  # type: ignore[union-attr]
