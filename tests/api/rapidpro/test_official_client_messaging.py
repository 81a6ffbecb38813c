"""Messaging end to end with the official RapidPro Python client (``rapidpro-python``) against the real server.

Unlike ``test_official_client`` the server here runs its embedded worker, so broadcasts are expanded and messages
leave through a built-in test channel (wired, sent, then delivered at once) as they would in production; the
tests poll, within a bound, until the worker is done. Incoming messages arrive the way a provider delivers them:
a form POST to ``/c/test/<channel uuid>/receive``. What the client hands back and what the database holds are
both asserted.

rapidpro-python 2.21 has no media upload (so media are not covered here), its ``Broadcast`` type has no
``progress`` or ``id``, its ``Message`` type no ``id`` or ``broadcast``, and ``get_messages()`` filters only by
uuid, folder, before and after. The rest is read through the client's own cursor machinery (``_get_query``) with
wider types declared below.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temba_client.exceptions import TembaBadRequestError, TembaNoSuchObjectError
from temba_client.serialization import IntegerField, SimpleField, TembaField, TembaObject
from temba_client.v2 import TembaClient
from temba_client.v2.types import Broadcast as TembaBroadcast
from temba_client.v2.types import Label as TembaLabel
from temba_client.v2.types import Message as TembaMessage

from sauti.models import Broadcast, Channel, ChannelLog, Contact, ContactURN, Label, Message, MessageLabel
from tests.api.rapidpro.helpers import count, row
from tests.api.rapidpro.test_official_client import MISSING_UUID, call
from tests.conftest import Backend, Tenant, add_channel, make_tenant
from tests.support.server import Server, running_server

pytestmark = pytest.mark.usefixtures("app")

T = TypeVar("T")
Db = async_sessionmaker[AsyncSession]
WAIT = 10.0  # seconds the worker gets to finish what a test asked of it


def widened(base: type[TembaObject], name: str, **extra: TembaField) -> type[TembaObject]:
    """``base`` plus fields the client leaves out. rapidpro-python reads a type's fields from its own class
    ``__dict__`` only, so a subclass would lose the inherited ones: the new type re-declares them all."""
    return type(name, (TembaObject,), {**base._get_fields(), **extra})


BroadcastRow = widened(
    TembaBroadcast, "BroadcastRow", id=IntegerField(), progress=SimpleField(), base_language=SimpleField()
)
MessageRow = widened(TembaMessage, "MessageRow", id=IntegerField(), broadcast=IntegerField())


@pytest.fixture(scope="module")
def server(backend: Backend) -> Iterator[Server]:
    """One server process per backend for the module, with its worker running in-process."""
    with running_server(backend.url, env={"SAUTI_EMBEDDED_WORKER": "true"}) as srv:
        yield srv


@pytest.fixture
async def rw(app: Any, backend: Backend) -> Tenant:
    return await make_tenant(
        backend, "Nyaruka", "admin@nyaruka.com", country="RW", languages=["eng", "kin"], timezone="Africa/Kigali"
    )


@pytest.fixture
def temba(server: Server, rw: Tenant) -> TembaClient:
    return TembaClient(server.base_url, rw.token)


@pytest.fixture
async def channel(backend: Backend, rw: Tenant) -> Channel:
    return await add_channel(backend, rw)


@pytest.fixture
async def provider(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """What a provider would use to deliver incoming messages: no API token."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        yield http


async def receive(provider: httpx.AsyncClient, channel: Channel, sender: str, text: str) -> str:
    """Deliver one incoming message through the test channel's callback; returns the new message's UUID."""
    resp = await provider.post(f"/c/test/{channel.uuid}/receive", data={"from": sender, "text": text})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["message"] == "Message Accepted", body
    [item] = body["data"]
    return str(item["msg_uuid"])


async def eventually(
    server: Server, what: str, probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], within: float = WAIT
) -> T:
    """Poll ``probe`` until ``done`` holds for its value; fail with the last value and the server log otherwise."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {within}s; last seen {value!r}\n{server.log()}")
        await asyncio.sleep(0.05)


async def messages_where(db: Db, *conds: Any) -> list[Message]:
    async with db() as session:
        return list((await session.execute(select(Message).where(*conds).order_by(Message.id))).scalars())


async def delivered(server: Server, db: Db, *conds: Any, expect: int) -> list[Message]:
    """Wait until exactly ``expect`` messages match and every one of them is delivered."""
    return await eventually(
        server,
        f"{expect} delivered messages",
        lambda: messages_where(db, *conds),
        lambda rows: len(rows) == expect and all(m.status == "delivered" for m in rows),
    )


async def labels_of(db: Db, message_uuid: str) -> set[str]:
    async with db() as session:
        rows = await session.execute(
            select(Label.name)
            .join(MessageLabel, MessageLabel.label_id == Label.id)
            .join(Message, Message.id == MessageLabel.message_id)
            .where(Message.uuid == message_uuid)
        )
        return set(rows.scalars())


def refs(objects: list[Any]) -> list[tuple[str, str | None]]:
    return [(o.uuid, o.name) for o in objects]


# --------------------------------------------------------------------------------------------------------------------
# broadcasts
# --------------------------------------------------------------------------------------------------------------------


async def test_broadcast_is_delivered(temba: TembaClient, channel: Channel, rw: Tenant, server: Server, db: Db) -> None:
    vip = await call(temba.create_group, "VIP")
    ann = await call(temba.create_contact, name="Ann", urns=["tel:+250788000001"], groups=[vip])
    bob = await call(temba.create_contact, name="Bob", urns=["tel:+250788000002"], groups=[vip])
    cat = await call(temba.create_contact, name="Cat", urns=["tel:+250788000003"])
    dan = await call(temba.create_contact, name="Dan", urns=["tel:+250788000005"])  # not addressed

    created = await call(
        temba.create_broadcast,
        text="Hello",
        contacts=[cat, ann.uuid],  # an object and a UUID; Ann is in VIP as well, and gets one message
        groups=[vip],
        urns=["tel:0788000004"],  # nobody yet: becomes a contact; a local number read with the workspace country
    )
    assert isinstance(created, TembaBroadcast)
    assert created.status == "queued"  # the request only records it; the worker expands it
    assert created.text == {"eng": "Hello"}
    assert created.urns == ["tel:+250788000004"]
    assert refs(created.contacts) == [(cat.uuid, "Cat"), (ann.uuid, "Ann")]
    assert refs(created.groups) == [(vip.uuid, "VIP")]
    assert isinstance(created.created_on, datetime) and created.created_on.tzinfo is not None

    stored = await row(db, Broadcast, Broadcast.uuid == created.uuid)
    assert stored.workspace_id == rw.workspace.id and stored.created_by_id == rw.user.id
    sent = await delivered(server, db, Message.broadcast_id == stored.id, expect=4)

    stored = await row(db, Broadcast, Broadcast.uuid == created.uuid)
    assert (stored.status, stored.total, stored.started) == ("completed", 4, 4)
    newcomer = await row(db, ContactURN, ContactURN.identity == "tel:+250788000004")
    assert newcomer is not None and newcomer.contact_id is not None
    new_contact = await row(db, Contact, Contact.id == newcomer.contact_id)
    async with db() as session:
        recipients = await session.execute(
            select(Contact.uuid)
            .join(Message, Message.contact_id == Contact.id)
            .where(Message.broadcast_id == stored.id)
        )
        assert sorted(recipients.scalars()) == sorted([ann.uuid, bob.uuid, cat.uuid, new_contact.uuid])
    for m in sent:
        assert (m.direction, m.text, m.channel_id, m.visibility) == ("out", "Hello", channel.id, "visible")
        assert m.external_id == f"test-{m.uuid}" and m.sent_on is not None and m.claimed_by is None
    assert await count(db, Message, Message.contact_id == (await row(db, Contact, Contact.uuid == dan.uuid)).id) == 0
    sends = await count(
        db, ChannelLog, ChannelLog.message_id.in_([m.id for m in sent]), ChannelLog.log_type == "msg_send"
    )
    assert sends == 4

    [listed] = await call(temba.get_broadcasts().all)
    assert isinstance(listed, TembaBroadcast)
    assert (listed.uuid, listed.status, listed.text) == (created.uuid, "completed", {"eng": "Hello"})
    assert listed.created_on == created.created_on
    assert refs(listed.groups) == [(vip.uuid, "VIP")]
    # (listed.contacts: see test_listed_broadcast_keeps_its_requested_contacts)
    by_uuid = await call(temba.get_broadcasts(uuid=created.uuid).first)
    assert by_uuid is not None and by_uuid.status == "completed"
    window = temba.get_broadcasts(after=created.created_on, before=created.created_on)
    assert [b.uuid for b in await call(window.all)] == [created.uuid]
    assert await call(temba.get_broadcasts(after=created.created_on + timedelta(microseconds=1)).all) == []

    # progress and the integer id are left out of the client's type
    [wide] = await call(temba._get_query("broadcasts", {"uuid": created.uuid}, BroadcastRow).all)
    assert wide.progress == {"total": 4, "started": 4}
    assert wide.id == stored.id and wide.base_language == "eng"

    # every message carries the broadcast's id
    messages = await call(temba._get_query("messages", {"broadcast": wide.id}, MessageRow).all)
    assert sorted(m.uuid for m in messages) == sorted(m.uuid for m in sent)
    for m in messages:
        assert (m.broadcast, m.direction, m.type, m.status, m.text) == (stored.id, "out", "text", "delivered", "Hello")
        assert (m.channel.uuid, m.channel.name) == (channel.uuid, "Test Channel")
        assert m.sent_on is not None and m.sent_on >= m.created_on and m.labels == [] and m.attachments == []
    assert {m.urn for m in messages} == {f"tel:+25078800000{n}" for n in (1, 2, 3, 4)}
    assert {m.contact.uuid for m in messages} == {ann.uuid, bob.uuid, cat.uuid, new_contact.uuid}

    # delivered: out of the outbox, in sent (ordered by when they went out, newest first)
    assert await call(temba.get_messages(folder="outbox").all) == []
    in_sent = await call(temba.get_messages(folder="sent").all)
    assert sorted(m.uuid for m in in_sent) == sorted(m.uuid for m in sent)
    assert [m.sent_on for m in in_sent] == sorted((m.sent_on for m in in_sent), reverse=True)


async def test_listed_broadcast_keeps_its_requested_contacts(
    temba: TembaClient, channel: Channel, server: Server, db: Db
) -> None:
    """A broadcast's contacts are listed as requested, before and after sending; its URNs stay under ``urns``
    (the contacts they resolve to are recipients, not listed contacts)."""
    ann = await call(temba.create_contact, name="Ann", urns=["tel:+250788000001"])
    created = await call(temba.create_broadcast, text="Hi", contacts=[ann], urns=["tel:+250788000004"])
    assert refs(created.contacts) == [(ann.uuid, "Ann")] and created.urns == ["tel:+250788000004"]
    stored = await row(db, Broadcast, Broadcast.uuid == created.uuid)
    await delivered(server, db, Message.broadcast_id == stored.id, expect=2)
    listed = await call(temba.get_broadcasts(uuid=created.uuid).first)
    assert listed is not None and (listed.status, listed.urns) == ("completed", ["tel:+250788000004"])
    assert refs(listed.contacts) == [(ann.uuid, "Ann")]


async def test_broadcast_without_channel_fails_its_messages(
    temba: TembaClient, rw: Tenant, server: Server, db: Db
) -> None:
    """No channel can reach the recipients: the broadcast still completes, its messages fail."""
    ann = await call(temba.create_contact, name="Ann", urns=["tel:+250788000001"])
    created = await call(temba.create_broadcast, text="Anyone there?", contacts=[ann])
    stored = await row(db, Broadcast, Broadcast.uuid == created.uuid)
    failed = await eventually(
        server,
        "the broadcast's message failed",
        lambda: messages_where(db, Message.broadcast_id == stored.id),
        lambda rows: len(rows) == 1 and rows[0].status == "failed",
    )
    assert failed[0].failed_reason == "D" and failed[0].channel_id is None
    listed = await call(temba.get_broadcasts(uuid=created.uuid).first)
    assert listed is not None and listed.status == "completed"
    [in_failed] = await call(temba.get_messages(folder="failed").all)
    assert (in_failed.uuid, in_failed.status, in_failed.channel) == (failed[0].uuid, "failed", None)
    assert await call(temba.get_messages(folder="sent").all) == []


async def test_broadcast_errors(temba: TembaClient, channel: Channel, db: Db) -> None:
    ann = await call(temba.create_contact, name="Ann", urns=["tel:+250788000001"])
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_broadcast, text="Hello")  # no recipients
    assert exc.value.errors == {"non_field_errors": ["Must provide either urns, contacts or groups."]}
    assert str(exc.value) == "Must provide either urns, contacts or groups."
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_broadcast, text="Hello", contacts=[], groups=[], urns=[])
    assert exc.value.errors == {"non_field_errors": ["Must provide either urns, contacts or groups."]}
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_broadcast, text="", contacts=[ann])
    assert exc.value.errors == {"non_field_errors": ["Must provide either text or attachments."]}
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_broadcast, text="Hello", contacts=[MISSING_UUID], groups=["Nope"], urns=["12345"])
    assert exc.value.errors == {
        "urns": {"0": ["Invalid URN: 12345. Ensure phone numbers contain country codes."]},
        "contacts": [f"No such object: {MISSING_UUID}"],
        "groups": ["No such object: Nope"],
    }
    assert await count(db, Broadcast) == 0
    assert await call(temba.get_broadcasts().all) == []
    await asyncio.sleep(0.3)  # more than a worker round: nothing was queued to send either
    assert await count(db, Message) == 0


# --------------------------------------------------------------------------------------------------------------------
# single messages
# --------------------------------------------------------------------------------------------------------------------


async def test_create_message(temba: TembaClient, channel: Channel, server: Server, db: Db) -> None:
    joe = await call(temba.create_contact, name="Joe", urns=["tel:+250788123123"])
    created = await call(
        temba.create_message, joe, "Pick one", [], quick_replies=[{"text": "Red"}, {"type": "text", "text": "Blue"}]
    )
    assert isinstance(created, TembaMessage)
    assert (created.direction, created.type, created.status, created.visibility) == ("out", "text", "queued", "visible")
    assert (created.contact.uuid, created.contact.name) == (joe.uuid, "Joe")
    assert created.urn == "tel:+250788123123"
    assert (created.channel.uuid, created.channel.name) == (channel.uuid, "Test Channel")
    assert created.text == "Pick one" and created.attachments == [] and created.labels == []
    assert [(q.text, q.extra) for q in created.quick_replies] == [("Red", None), ("Blue", None)]
    assert created.sent_on is None and created.flow is None

    [stored] = await delivered(server, db, Message.uuid == created.uuid, expect=1)
    assert stored.high_priority is True and stored.broadcast_id is None
    assert stored.quick_replies == [{"type": "text", "text": "Red"}, {"type": "text", "text": "Blue"}]
    assert stored.external_id == f"test-{created.uuid}" and stored.sent_on is not None

    fetched = await call(temba.get_messages(uuid=created.uuid).first)
    assert fetched is not None
    assert (fetched.status, fetched.created_on) == ("delivered", created.created_on)
    assert fetched.sent_on == stored.sent_on and fetched.modified_on >= created.modified_on
    [wide] = await call(temba._get_query("messages", {"uuid": created.uuid}, MessageRow).all)
    assert (wide.id, wide.broadcast) == (stored.id, None)

    # by URN as well; a contact that does not exist is refused
    again = await call(temba.create_message, "tel:+250788123123", "Again", [])
    assert again.contact.uuid == joe.uuid
    await delivered(server, db, Message.direction == "out", expect=2)
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_message, MISSING_UUID, "Hi", [])
    assert exc.value.errors == {"contact": [f"No such object: {MISSING_UUID}"]}
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_message, joe, "", [])
    assert exc.value.errors == {"non_field_errors": ["Must provide either text or attachments."]}
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_message, joe, "Hi", [MISSING_UUID])
    assert exc.value.errors == {"attachments": [f"No such object: {MISSING_UUID}"]}
    assert await count(db, Message) == 2

    sent = await call(temba.get_messages(folder="sent").all)
    assert [m.uuid for m in sent] == [again.uuid, created.uuid]
    assert await call(temba.get_messages(folder="outbox").all) == []


# --------------------------------------------------------------------------------------------------------------------
# incoming messages and folders
# --------------------------------------------------------------------------------------------------------------------


async def test_incoming_and_folders(
    temba: TembaClient, channel: Channel, provider: httpx.AsyncClient, server: Server, db: Db
) -> None:
    joe = await call(temba.create_contact, name="Joe", urns=["tel:+250788123123"])
    first = await receive(provider, channel, "+250788123123", "first")
    second = await receive(provider, channel, "+250788123123", "second")
    stranger = await receive(provider, channel, "0788999888", "hello?")  # a local number: the channel's country

    inbox = await call(temba.get_messages(folder="inbox").all)
    assert [m.uuid for m in inbox] == [stranger, second, first]  # newest first
    assert [m.text for m in inbox] == ["hello?", "second", "first"]
    for m in inbox:
        assert (m.direction, m.type, m.status, m.visibility) == ("in", "text", "handled", "visible")
        assert m.channel.uuid == channel.uuid and m.sent_on is None and m.labels == []
    assert (inbox[1].contact.uuid, inbox[1].contact.name, inbox[1].urn) == (joe.uuid, "Joe", "tel:+250788123123")
    assert inbox[0].urn == "tel:+250788999888" and inbox[0].contact.name is None

    # the unknown sender became a contact, and the known one was seen
    new_urn = await row(db, ContactURN, ContactURN.identity == "tel:+250788999888")
    assert new_urn is not None and new_urn.channel_id == channel.id
    newcomer = await row(db, Contact, Contact.id == new_urn.contact_id)
    assert newcomer.uuid == inbox[0].contact.uuid and newcomer.status == "active"
    listed = await call(temba.get_contacts(urn="tel:+250788999888").first)
    assert listed is not None and listed.uuid == newcomer.uuid
    seen = await call(temba.get_contacts(uuid=joe.uuid).first)
    assert seen is not None and seen.last_seen_on is not None
    stored = await messages_where(db, Message.direction == "in")
    assert [(m.uuid, m.status, m.channel_id) for m in stored] == [
        (first, "handled", channel.id),
        (second, "handled", channel.id),
        (stranger, "handled", channel.id),
    ]

    # a reply goes out and lands in sent; the outbox is empty once it is delivered
    reply = await call(temba.create_message, joe, "Thanks Joe", [])
    await delivered(server, db, Message.direction == "out", expect=1)
    assert await call(temba.get_messages(folder="outbox").all) == []
    assert [m.uuid for m in await call(temba.get_messages(folder="sent").all)] == [reply.uuid]
    assert [m.uuid for m in await call(temba.get_messages(folder="inbox").all)] == [stranger, second, first]
    assert await call(temba.get_messages(folder="archived").all) == []
    assert await call(temba.get_messages(folder="failed").all) == []
    everything = await call(temba.get_messages().all)
    assert [m.uuid for m in everything] == [reply.uuid, stranger, second, first]

    # contact= (not in the client's get_messages): both directions of one conversation
    joes = await call(temba._get_query("messages", {"contact": joe.uuid}, TembaMessage).all)
    assert [m.uuid for m in joes] == [reply.uuid, second, first]
    assert await call(temba._get_query("messages", {"contact": MISSING_UUID}, TembaMessage).all) == []

    # before / after are inclusive bounds on created_on
    middle = inbox[1].created_on
    assert [m.uuid for m in await call(temba.get_messages(folder="inbox", after=middle).all)] == [stranger, second]
    assert [m.uuid for m in await call(temba.get_messages(folder="inbox", before=middle).all)] == [second, first]
    window = await call(temba.get_messages(before=middle, after=middle).all)
    assert [m.uuid for m in window] == [second]
    tick = timedelta(microseconds=1)
    assert [m.uuid for m in await call(temba.get_messages(before=middle - tick).all)] == [first]
    assert await call(temba.get_messages(after=everything[0].created_on + tick).all) == []

    # a provider's callback for an unknown channel is refused and stores nothing
    resp = await provider.post(f"/c/test/{MISSING_UUID}/receive", data={"from": "+250788123123", "text": "lost"})
    assert resp.status_code == 404
    assert await count(db, Message, Message.direction == "in") == 3


# --------------------------------------------------------------------------------------------------------------------
# labels
# --------------------------------------------------------------------------------------------------------------------


async def test_labels(temba: TembaClient, channel: Channel, provider: httpx.AsyncClient, rw: Tenant, db: Db) -> None:
    important = await call(temba.create_label, "Important")
    assert isinstance(important, TembaLabel)
    assert (important.name, important.count) == ("Important", 0)
    spam = await call(temba.create_label, "Spam")

    stored = await row(db, Label, Label.uuid == important.uuid)
    assert (stored.name, stored.workspace_id, stored.is_active) == ("Important", rw.workspace.id, True)

    listed = await call(temba.get_labels().all)
    assert [(lb.uuid, lb.name, lb.count) for lb in listed] == [(spam.uuid, "Spam", 0), (important.uuid, "Important", 0)]
    assert [lb.uuid for lb in await call(temba.get_labels(name="important").all)] == [important.uuid]
    assert [lb.uuid for lb in await call(temba.get_labels(uuid=spam.uuid).all)] == [spam.uuid]
    assert await call(temba.get_labels(name="Nope").all) == []

    # count: visible messages carrying the label; archived ones do not count
    m1 = await receive(provider, channel, "+250788000001", "one")
    m2 = await receive(provider, channel, "+250788000002", "two")
    await call(temba.bulk_label_messages, [m1, m2], label=important)
    counted = await call(temba.get_labels(uuid=important.uuid).first)
    assert counted is not None and counted.count == 2
    await call(temba.bulk_archive_messages, [m2])
    counted = await call(temba.get_labels(uuid=important.uuid).first)
    assert counted is not None and counted.count == 1
    assert await count(db, MessageLabel, MessageLabel.label_id == stored.id) == 2  # the archived one keeps it

    # rename, by object and by UUID; names are unique whatever their case
    renamed = await call(temba.update_label, important, "Urgent")
    assert (renamed.uuid, renamed.name, renamed.count) == (important.uuid, "Urgent", 1)
    assert (await row(db, Label, Label.uuid == important.uuid)).name == "Urgent"
    again = await call(temba.update_label, important.uuid, "Very Urgent")
    assert again.name == "Very Urgent"
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.update_label, important, "SPAM")
    assert exc.value.errors == {"name": ["This field must be unique."]}
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.create_label, "spam")
    assert exc.value.errors == {"name": ["This field must be unique."]}
    with pytest.raises(TembaNoSuchObjectError):
        await call(temba.update_label, MISSING_UUID, "Ghost")

    # delete: gone from the listing and from every message; the messages stay
    assert await call(temba.delete_label, important) is None
    gone = await row(db, Label, Label.uuid == important.uuid)
    assert gone.is_active is False and gone.name != "Very Urgent"
    assert await count(db, MessageLabel) == 0
    assert [lb.uuid for lb in await call(temba.get_labels().all)] == [spam.uuid]
    message = await call(temba.get_messages(uuid=m1).first)
    assert message is not None and message.labels == [] and message.visibility == "visible"
    with pytest.raises(TembaNoSuchObjectError):
        await call(temba.delete_label, important.uuid)
    with pytest.raises(TembaNoSuchObjectError):
        await call(temba.update_label, important, "Back")
    # the deleted label's name is free again
    reborn = await call(temba.create_label, "Very Urgent")
    assert reborn.uuid != important.uuid and reborn.count == 0


# --------------------------------------------------------------------------------------------------------------------
# message actions
# --------------------------------------------------------------------------------------------------------------------


async def test_message_actions(
    temba: TembaClient, channel: Channel, provider: httpx.AsyncClient, rw: Tenant, db: Db
) -> None:
    for n, text in enumerate(("one", "two", "three"), start=1):
        await receive(provider, channel, f"+25078800000{n}", text)
    m3, m2, m1 = await call(temba.get_messages(folder="inbox").all)  # Message objects: the client sends UUIDs
    assert [m.text for m in (m1, m2, m3)] == ["one", "two", "three"]
    important = await call(temba.create_label, "Important")

    # label by object, then by name through label_name, which creates a missing label
    assert await call(temba.bulk_label_messages, [m1, m2], label=important) is None
    assert await labels_of(db, m1.uuid) == {"Important"} and await labels_of(db, m3.uuid) == set()
    await call(temba.bulk_label_messages, [m2, m3], label_name="Follow Up")
    follow = await row(db, Label, Label.name == "Follow Up")
    assert follow is not None and follow.workspace_id == rw.workspace.id and follow.is_active
    assert await labels_of(db, m2.uuid) == {"Important", "Follow Up"}
    await call(temba.bulk_label_messages, [m1], label_name="follow up")  # an existing label, any case
    assert await count(db, Label, Label.workspace_id == rw.workspace.id) == 2

    labels = {lb.name: lb for lb in await call(temba.get_labels().all)}
    assert {name: lb.count for name, lb in labels.items()} == {"Important": 2, "Follow Up": 3}
    fetched = await call(temba.get_messages(uuid=m2.uuid).first)
    assert fetched is not None
    assert [(lb.uuid, lb.name) for lb in fetched.labels] == [(follow.uuid, "Follow Up"), (important.uuid, "Important")]
    by_label = await call(temba._get_query("messages", {"label": important.uuid}, TembaMessage).all)
    assert [m.uuid for m in by_label] == [m2.uuid, m1.uuid]
    by_name = await call(temba._get_query("messages", {"label": "Follow Up"}, TembaMessage).all)
    assert [m.uuid for m in by_name] == [m3.uuid, m2.uuid, m1.uuid]

    # unlabel by UUID and by label_name; an unknown label_name is ignored, never created
    await call(temba.bulk_unlabel_messages, [m1], label=important.uuid)
    await call(temba.bulk_unlabel_messages, [m2.uuid, m3], label_name="FOLLOW UP")
    assert await labels_of(db, m1.uuid) == {"Follow Up"}
    assert await labels_of(db, m2.uuid) == {"Important"} and await labels_of(db, m3.uuid) == set()
    await call(temba.bulk_unlabel_messages, [m1], label_name="Nowhere")
    assert await row(db, Label, Label.name == "Nowhere") is None

    # archive: out of the inbox into archived; restore brings them back
    await call(temba.bulk_archive_messages, [m1, m2])
    assert {m.visibility for m in await messages_where(db, Message.uuid.in_([m1.uuid, m2.uuid]))} == {"archived"}
    assert [m.uuid for m in await call(temba.get_messages(folder="inbox").all)] == [m3.uuid]
    archived = await call(temba.get_messages(folder="archived").all)
    assert [(m.uuid, m.visibility) for m in archived] == [(m2.uuid, "archived"), (m1.uuid, "archived")]
    assert {lb.name: lb.count for lb in await call(temba.get_labels().all)} == {"Important": 0, "Follow Up": 0}
    await call(temba.bulk_restore_messages, [m2])
    assert (await row(db, Message, Message.uuid == m2.uuid)).visibility == "visible"
    assert [m.uuid for m in await call(temba.get_messages(folder="inbox").all)] == [m3.uuid, m2.uuid]
    assert [m.uuid for m in await call(temba.get_messages(folder="archived").all)] == [m1.uuid]

    # delete: content and labels go, and the message is never listed again
    await call(temba.bulk_delete_messages, [m1, m2])
    for m in (m1, m2):
        gone = await row(db, Message, Message.uuid == m.uuid)
        assert (gone.visibility, gone.text, gone.attachments) == ("deleted", "", [])
        assert await labels_of(db, m.uuid) == set()
    assert [m.uuid for m in await call(temba.get_messages().all)] == [m3.uuid]
    assert await call(temba.get_messages(uuid=m1.uuid).all) == []
    assert await call(temba.get_messages(folder="archived").all) == []

    # messages not found (deleted, unknown) are skipped, the rest is done: the client sees no error
    await call(temba.bulk_archive_messages, [m1, m3, MISSING_UUID])
    assert (await row(db, Message, Message.uuid == m3.uuid)).visibility == "archived"
    assert (await row(db, Message, Message.uuid == m1.uuid)).visibility == "deleted"


async def test_message_actions_refuse_outgoing(
    temba: TembaClient, channel: Channel, provider: httpx.AsyncClient, server: Server, db: Db
) -> None:
    incoming = await call(temba.get_messages(uuid=await receive(provider, channel, "+250788000001", "hi")).first)
    assert incoming is not None
    out = await call(temba.create_message, incoming.contact.uuid, "hello", [])
    [stored_out] = await delivered(server, db, Message.uuid == out.uuid, expect=1)
    actions: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (temba.bulk_archive_messages, {}),
        (temba.bulk_restore_messages, {}),
        (temba.bulk_delete_messages, {}),
        (temba.bulk_label_messages, {"label_name": "New"}),
        (temba.bulk_unlabel_messages, {"label_name": "New"}),
    ]
    for action, kwargs in actions:
        with pytest.raises(TembaBadRequestError) as exc:
            await call(action, [incoming, out], **kwargs)
        assert exc.value.errors == {"messages": [f"Not an incoming message: {out.uuid}"]}, action
        assert str(exc.value) == f"Not an incoming message: {out.uuid}"

    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.bulk_label_messages, [incoming])  # neither label nor label_name
    assert exc.value.errors == {"non_field_errors": ['For action "label" you should also specify a label']}
    with pytest.raises(TembaBadRequestError) as exc:
        await call(temba.bulk_label_messages, [incoming], label=MISSING_UUID)
    assert exc.value.errors == {"label": [f"No such object: {MISSING_UUID}"]}

    # nothing happened: the incoming message is untouched, and no label was created
    after_in = await row(db, Message, Message.uuid == incoming.uuid)
    assert (after_in.visibility, after_in.modified_on) == ("visible", incoming.modified_on)
    after_out = await row(db, Message, Message.uuid == out.uuid)
    assert (after_out.visibility, after_out.status, after_out.modified_on) == (
        "visible",
        "delivered",
        stored_out.modified_on,
    )
    assert await count(db, Label) == 0 and await count(db, MessageLabel) == 0
