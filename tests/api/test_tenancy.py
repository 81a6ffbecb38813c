"""A token of workspace B can neither read nor change any row of workspace A, on any endpoint or method.

Every (endpoint, method) the API serves must appear in CASES: the last test fails when an endpoint is added
without its tenancy cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, select

from sauti.api.rapidpro.router import ENDPOINTS
from sauti.api.textus import router as textus_router
from sauti.domain.classifiers import service as classifiers
from sauti.domain.flows import triggers as flow_triggers
from sauti.domain.resthooks import service as resthooks
from sauti.kit import clock
from sauti.models import (
    Archive,
    AutoReply,
    BlockedNumber,
    Broadcast,
    Campaign,
    CampaignEvent,
    CampaignFire,
    Channel,
    Classifier,
    Contact,
    ContactField,
    ContactGroup,
    ContactNote,
    ContactTag,
    ContactURN,
    ContactValue,
    Flow,
    FlowDependency,
    FlowRun,
    FlowSession,
    FlowStart,
    FlowTrigger,
    Global,
    GroupMember,
    Label,
    Media,
    Membership,
    Message,
    MessageLabel,
    MessageSignature,
    MessageTemplate,
    OptOut,
    Resthook,
    ResthookEvent,
    ResthookSubscriber,
    SigningKey,
    Ticket,
    TicketEvent,
    Topic,
    TopicTicketCount,
    WebHook,
    WebhookDelivery,
    Workspace,
)
from tests.api.rapidpro.flow_helpers import add_flow, add_run, variant
from tests.api.rapidpro.helpers import create_contact, create_field, create_group
from tests.api.rapidpro.test_message_actions import make_message
from tests.api.rapidpro.ticket_helpers import open_ticket
from tests.api.textus import tenancy as textus_tenancy
from tests.conftest import Backend, Tenant, add_channel

SECRET_URN = "tel:+250788999999"


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    url: str
    body: dict[str, Any] | None = None
    status: int = 200

    def __str__(self) -> str:
        return f"{self.method} {self.url} {self.body or ''}".strip()


CASES = [
    Case("contacts", "GET", "/api/v2/contacts.json"),
    Case("contacts", "GET", "/api/v2/contacts.json?uuid={contact}"),
    Case("contacts", "GET", "/api/v2/contacts.json?urn={urn}"),
    Case("contacts", "GET", "/api/v2/contacts.json?group={group}"),
    Case("contacts", "GET", "/api/v2/contacts.json?group=Secret Group"),
    Case("contacts", "GET", "/api/v2/contacts.json?deleted=true"),
    Case("contacts", "POST", "/api/v2/contacts.json?uuid={contact}", {"name": "Hacked"}, 404),
    Case("contacts", "POST", "/api/v2/contacts.json?urn={urn}", {"name": "Mine"}, 201),
    Case("contacts", "POST", "/api/v2/contacts.json", {"urns": [SECRET_URN]}, 201),
    Case("contacts", "POST", "/api/v2/contacts.json", {"groups": ["{group}"]}, 400),
    Case("contacts", "POST", "/api/v2/contacts.json?uuid={b_contact}", {"groups": ["Secret Group"]}, 400),
    Case("contacts", "POST", "/api/v2/contacts.json", {"fields": {"secret_field": "x"}}, 400),
    Case("contacts", "DELETE", "/api/v2/contacts.json?uuid={contact}", None, 404),
    Case("contacts", "DELETE", "/api/v2/contacts.json?urn={urn}", None, 404),
    Case(
        "contact_actions", "POST", "/api/v2/contact_actions.json", {"contacts": ["{contact}"], "action": "block"}, 400
    ),
    Case("contact_actions", "POST", "/api/v2/contact_actions.json", {"contacts": ["{urn}"], "action": "delete"}, 400),
    Case(
        "contact_actions",
        "POST",
        "/api/v2/contact_actions.json",
        {"contacts": ["{b_contact}"], "action": "add", "group": "{group}"},
        400,
    ),
    Case(
        "contact_actions",
        "POST",
        "/api/v2/contact_actions.json",
        {"contacts": ["{b_contact}"], "action": "remove", "group": "Secret Group"},
        400,
    ),
    Case("fields", "GET", "/api/v2/fields.json"),
    Case("fields", "GET", "/api/v2/fields.json?key=secret_field"),
    Case("fields", "POST", "/api/v2/fields.json?key=secret_field", {"name": "Hacked", "type": "number"}, 404),
    Case("globals", "GET", "/api/v2/globals.json"),
    Case("globals", "GET", "/api/v2/globals.json?key=secret_global"),
    Case("globals", "POST", "/api/v2/globals.json?key=secret_global", {"value": "hacked"}, 404),
    Case("groups", "GET", "/api/v2/groups.json"),
    Case("groups", "GET", "/api/v2/groups.json?uuid={group}"),
    Case("groups", "GET", "/api/v2/groups.json?name=Secret Group"),
    Case("groups", "POST", "/api/v2/groups.json?uuid={group}", {"name": "Hacked"}, 404),
    Case("groups", "POST", "/api/v2/groups.json?uuid={smart}", {"name": "Hacked", "query": "name ~ bob"}, 404),
    Case("groups", "DELETE", "/api/v2/groups.json?uuid={group}", None, 404),
    Case("groups", "DELETE", "/api/v2/groups.json?uuid={smart}", None, 404),
    Case("users", "GET", "/api/v2/users.json"),
    Case("users", "GET", "/api/v2/users.json?uuid={user}"),
    Case("users", "GET", "/api/v2/users.json?email=admin@nyaruka.com"),
    Case("workspace", "GET", "/api/v2/workspace.json"),
    Case("org", "GET", "/api/v2/org.json"),
    Case("labels", "GET", "/api/v2/labels.json"),
    Case("labels", "GET", "/api/v2/labels.json?uuid={label}"),
    Case("labels", "GET", "/api/v2/labels.json?name=Secret Label"),
    Case("labels", "POST", "/api/v2/labels.json?uuid={label}", {"name": "Hacked"}, 404),
    Case("labels", "POST", "/api/v2/labels.json", {"name": "Secret Label"}, 201),
    Case("labels", "DELETE", "/api/v2/labels.json?uuid={label}", None, 404),
    Case(
        "message_actions",
        "POST",
        "/api/v2/message_actions.json",
        {"messages": ["{message_id}", "{message}"], "action": "delete"},
        200,
    ),
    Case(
        "message_actions", "POST", "/api/v2/message_actions.json", {"messages": ["{message_id}"], "action": "archive"}
    ),
    Case(
        "message_actions",
        "POST",
        "/api/v2/message_actions.json",
        {"messages": ["{message_id}"], "action": "label", "label": "{label}"},
        400,
    ),
    Case(
        "message_actions",
        "POST",
        "/api/v2/message_actions.json",
        {"messages": ["{message}"], "action": "unlabel", "label": "Secret Label"},
        400,
    ),
    Case(
        "message_actions",
        "POST",
        "/api/v2/message_actions.json",
        {"messages": ["{message_id}"], "action": "unlabel", "label_name": "Secret Label"},
    ),
    Case("media", "POST", "/api/v2/media.json", None, 400),
    Case(
        "messages",
        "POST",
        "/api/v2/messages.json",
        {"contact": "{b_contact}", "text": "x", "attachments": ["{media}"]},
        400,
    ),
    Case(
        "messages",
        "POST",
        "/api/v2/messages.json",
        {"contact": "{b_contact}", "text": "x", "attachments": ["image/jpeg:{media_url}"]},
        400,
    ),
    Case("messages", "GET", "/api/v2/messages.json"),
    Case("messages", "GET", "/api/v2/messages.json?uuid={message}"),
    Case("messages", "GET", "/api/v2/messages.json?id={message_id}"),
    Case("messages", "GET", "/api/v2/messages.json?contact={contact}"),
    Case("messages", "GET", "/api/v2/messages.json?label={label}"),
    Case("messages", "GET", "/api/v2/messages.json?label=Secret Label"),
    Case("messages", "GET", "/api/v2/messages.json?folder=inbox"),
    Case("broadcasts", "GET", "/api/v2/broadcasts.json"),
    Case("broadcasts", "POST", "/api/v2/broadcasts.json", {"contacts": ["{contact}"], "text": "x"}, 400),
    Case("broadcasts", "POST", "/api/v2/broadcasts.json", {"groups": ["Secret Group"], "text": "x"}, 400),
    Case(
        "broadcasts",
        "POST",
        "/api/v2/broadcasts.json",
        {"contacts": ["{b_contact}"], "text": "x", "attachments": ["{media}"]},
        400,
    ),
    Case("channels", "GET", "/api/v2/channels.json"),
    Case("channels", "GET", "/api/v2/channels.json?uuid={channel}"),
    Case("channels", "GET", "/api/v2/channels.json?address=%2B250788777777"),
    Case("messages", "POST", "/api/v2/messages.json", {"contact": "{contact}", "text": "x"}, 400),
    Case("messages", "POST", "/api/v2/messages.json", {"contact": SECRET_URN, "text": "x"}, 400),
    Case("messages", "POST", "/api/v2/messages.json", {"contact": "{b_contact}", "attachments": ["{media}"]}, 400),
    Case("messages", "GET", "/api/v2/messages.json?broadcast={broadcast_id}"),
    Case("broadcasts", "GET", "/api/v2/broadcasts.json?uuid={broadcast}"),
    Case("broadcasts", "GET", "/api/v2/broadcasts.json?id={broadcast_id}"),
    Case("campaigns", "GET", "/api/v2/campaigns.json"),
    Case("campaigns", "GET", "/api/v2/campaigns.json?uuid={campaign}"),
    Case("campaigns", "POST", "/api/v2/campaigns.json?uuid={campaign}", {"name": "Hacked", "group": "{group}"}, 404),
    Case("campaigns", "POST", "/api/v2/campaigns.json", {"name": "Mine", "group": "{group}"}, 400),
    Case("campaigns", "POST", "/api/v2/campaigns.json", {"name": "Mine", "group": "Secret Group"}, 400),
    Case("campaign_events", "GET", "/api/v2/campaign_events.json"),
    Case("campaign_events", "GET", "/api/v2/campaign_events.json?uuid={event}"),
    Case("campaign_events", "GET", "/api/v2/campaign_events.json?campaign={campaign}"),
    Case("campaign_events", "GET", "/api/v2/campaign_events.json?campaign=Secret Campaign"),
    Case(
        "campaign_events",
        "POST",
        "/api/v2/campaign_events.json?uuid={event}",
        {"relative_to": "created_on", "offset": 1, "unit": "days", "delivery_hour": -1, "message": "Hacked"},
        404,
    ),
    Case(
        "campaign_events",
        "POST",
        "/api/v2/campaign_events.json",
        {
            "campaign": "{campaign}",
            "relative_to": "created_on",
            "offset": 1,
            "unit": "days",
            "delivery_hour": -1,
            "message": "x",
        },
        400,
    ),
    Case(
        "campaign_events",
        "POST",
        "/api/v2/campaign_events.json",
        {
            "campaign": "{b_campaign}",
            "relative_to": "secret_date",
            "offset": 1,
            "unit": "days",
            "delivery_hour": -1,
            "message": "x",
        },
        400,
    ),
    Case("campaign_events", "DELETE", "/api/v2/campaign_events.json?uuid={event}", None, 404),
    Case("flows", "GET", "/api/v2/flows.json"),
    Case("flows", "GET", "/api/v2/flows.json?uuid={flow}"),
    Case("archives", "GET", "/api/v2/archives.json"),
    Case("archives", "GET", "/api/v2/archives.json?type=message&period=daily"),
    Case("archives", "GET", "/api/v2/archives/{archive}.jsonl.gz", status=404),
    Case("classifiers", "GET", "/api/v2/classifiers.json"),
    Case("classifiers", "GET", "/api/v2/classifiers.json?uuid={classifier}"),
    Case("runs", "GET", "/api/v2/runs.json"),
    Case("runs", "GET", "/api/v2/runs.json?uuid={run}"),
    Case("runs", "GET", "/api/v2/runs.json?id={run_id}"),
    Case("runs", "GET", "/api/v2/runs.json?flow={flow}"),
    Case("runs", "GET", "/api/v2/runs.json?contact={contact}"),
    Case("definitions", "GET", "/api/v2/definitions.json?flow={flow}"),
    Case("definitions", "GET", "/api/v2/definitions.json?flow={flow}&dependencies=flows"),
    Case("flow_starts", "GET", "/api/v2/flow_starts.json"),
    Case("flow_starts", "GET", "/api/v2/flow_starts.json?uuid={start}"),
    Case("flow_starts", "POST", "/api/v2/flow_starts.json", {"flow": "{flow}", "urns": ["tel:+250788000123"]}, 400),
    Case("flow_starts", "POST", "/api/v2/flow_starts.json", {"flow": "{b_flow}", "contacts": ["{contact}"]}, 400),
    Case("flow_starts", "POST", "/api/v2/flow_starts.json", {"flow": "{b_flow}", "contacts": [SECRET_URN]}, 400),
    Case("flow_starts", "POST", "/api/v2/flow_starts.json", {"flow": "{b_flow}", "groups": ["Secret Group"]}, 400),
    Case("flow_starts", "POST", "/api/v2/flow_starts.json", {"flow": "{b_flow}", "groups": ["{group}"]}, 400),
    Case("resthooks", "GET", "/api/v2/resthooks.json"),
    Case("resthooks", "GET", "/api/v2/resthooks.json?reverse=true"),
    Case("resthook_subscribers", "GET", "/api/v2/resthook_subscribers.json"),
    Case("resthook_subscribers", "GET", "/api/v2/resthook_subscribers.json?id={subscriber_id}"),
    Case("resthook_subscribers", "GET", "/api/v2/resthook_subscribers.json?resthook=secret-hook"),
    Case(
        "resthook_subscribers",
        "POST",
        "/api/v2/resthook_subscribers.json",
        {"resthook": "secret-hook", "target_url": "https://b.example/steal"},
        400,
    ),
    Case("resthook_subscribers", "DELETE", "/api/v2/resthook_subscribers.json?id={subscriber_id}", None, 404),
    Case("resthook_events", "GET", "/api/v2/resthook_events.json"),
    Case("resthook_events", "GET", "/api/v2/resthook_events.json?resthook=secret-hook"),
    Case("topics", "GET", "/api/v2/topics.json"),
    Case("topics", "POST", "/api/v2/topics.json?uuid={topic}", {"name": "Hacked"}, 404),
    Case("topics", "POST", "/api/v2/topics.json", {"name": "Secret Topic"}, 201),
    Case("tickets", "GET", "/api/v2/tickets.json"),
    Case("tickets", "GET", "/api/v2/tickets.json?uuid={ticket}"),
    Case("tickets", "GET", "/api/v2/tickets.json?contact={contact}"),
    Case("ticket_actions", "POST", "/api/v2/ticket_actions.json", {"tickets": ["{ticket}"], "action": "close"}, 400),
    Case(
        "ticket_actions",
        "POST",
        "/api/v2/ticket_actions.json",
        {"tickets": ["{ticket}"], "action": "add_note", "note": "hacked"},
        400,
    ),
    Case(
        "ticket_actions",
        "POST",
        "/api/v2/ticket_actions.json",
        {"tickets": ["{b_ticket}"], "action": "change_topic", "topic": "{topic}"},
        400,
    ),
    Case(
        "ticket_actions",
        "POST",
        "/api/v2/ticket_actions.json",
        {"tickets": ["{b_ticket}"], "action": "assign", "assignee": "admin@nyaruka.com"},
        400,
    ),
]

A_TABLES = (
    Contact, ContactURN, ContactField, ContactGroup, Global, Membership, Label, Message, Media, Channel, Broadcast,
    ContactTag, OptOut, BlockedNumber, AutoReply, MessageSignature, MessageTemplate, WebHook, WebhookDelivery,
    Campaign, CampaignEvent, CampaignFire, Classifier, Archive,
    Flow, FlowSession, FlowRun, FlowStart, FlowTrigger, FlowDependency,
    Resthook, ResthookSubscriber, ResthookEvent, SigningKey,
    Topic, TopicTicketCount, Ticket, TicketEvent,
)  # fmt: skip
A_CHILD_TABLES = (ContactValue, GroupMember, ContactNote, MessageLabel)


async def _snapshot(db: Any, workspace_id: int) -> list[tuple[str, tuple[Any, ...]]]:
    """Every row workspace A owns, as plain values."""
    rows: list[tuple[str, tuple[Any, ...]]] = []
    async with db() as session:
        contact_ids = select(Contact.id).where(Contact.workspace_id == workspace_id)
        group_ids = select(ContactGroup.id).where(ContactGroup.workspace_id == workspace_id)
        label_ids = select(Label.id).where(Label.workspace_id == workspace_id)
        for model in A_TABLES:
            result = await session.execute(select(model).where(model.workspace_id == workspace_id))
            rows += [(model.__name__, _values(r)) for r in result.scalars()]
        for model, cond in (
            (ContactValue, ContactValue.contact_id.in_(contact_ids)),
            (GroupMember, GroupMember.group_id.in_(group_ids)),
            (ContactNote, ContactNote.contact_id.in_(contact_ids)),
            (MessageLabel, MessageLabel.label_id.in_(label_ids)),
        ):
            rows += [(model.__name__, _values(r)) for r in (await session.execute(select(model).where(cond))).scalars()]
    return sorted(rows, key=repr)


def _values(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs)


@pytest.fixture
async def secrets(
    app: Any, tenant: Tenant, other: Tenant, client: httpx.AsyncClient, db: Any, backend: Backend
) -> dict[str, str]:
    """Workspace A's rows, through A's own token; B gets one contact of its own."""
    await create_field(client, "Secret Field")
    group = await create_group(client, "Secret Group")
    contact = await create_contact(
        client,
        name="Secret Person",
        urns=[SECRET_URN],
        groups=["Secret Group"],
        fields={"secret_field": "classified"},
    )
    smart = await create_group(client, "Secret Smart", 'secret_field = "classified"')
    await client.post(f"/api/v2/contacts.json?uuid={contact['uuid']}", json={"note": "Top secret note"})
    resp = await client.post("/api/v2/globals.json", json={"name": "Secret Global", "value": "TopSecretValue"})
    assert resp.status_code == 201
    assert smart["count"] == 1
    label = (await client.post("/api/v2/labels.json", json={"name": "Secret Label"})).json()
    async with db() as session:
        contact_id = (await session.execute(select(Contact.id).where(Contact.uuid == contact["uuid"]))).scalar_one()
    message = await make_message(db, tenant.workspace.id, contact_id, text="Secret message text")
    resp = await client.post(
        "/api/v2/message_actions.json", json={"messages": [message.id], "action": "label", "label": label["uuid"]}
    )
    assert resp.status_code == 204
    resp = await client.post("/api/v2/media.json", files={"file": ("secret.jpg", b"\xff\xd8secret", "image/jpeg")})
    assert resp.status_code == 201
    media = resp.json()
    channel = await add_channel(backend, tenant, name="Secret Channel", address="+250788777777")
    resp = await client.post(
        "/api/v2/broadcasts.json", json={"text": "Secret broadcast", "contacts": [contact["uuid"]]}
    )
    assert resp.status_code == 201
    broadcast = resp.json()
    await create_field(client, "Secret Date", "datetime")
    await client.post(f"/api/v2/contacts.json?uuid={contact['uuid']}", json={"fields": {"secret_date": "2099-01-01"}})
    campaign = (
        await client.post("/api/v2/campaigns.json", json={"name": "Secret Campaign", "group": group["uuid"]})
    ).json()
    resp = await client.post(
        "/api/v2/campaign_events.json",
        json={
            "campaign": campaign["uuid"],
            "relative_to": "secret_date",
            "offset": 1,
            "unit": "days",
            "delivery_hour": 9,
            "message": "Secret event text",
        },
    )
    assert resp.status_code == 201, resp.text
    event = resp.json()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=other.headers) as b:
        b_contact = (await b.post("/api/v2/contacts.json", json={"name": "B person"})).json()
        b_group = (await b.post("/api/v2/groups.json", json={"name": "B group"})).json()
        b_campaign = (
            await b.post("/api/v2/campaigns.json", json={"name": "B campaign", "group": b_group["uuid"]})
        ).json()
    secret_flow = variant("Secret Flow", "5ec4e7f1-0000-4000-8000-000000000001")
    secret_flow["nodes"][4]["actions"][1]["groups"][0]["uuid"] = group["uuid"]  # it adds contacts to Secret Group
    flow = await add_flow(db, tenant.workspace.id, secret_flow)
    async with db() as session:
        ws_a = await session.get(Workspace, tenant.workspace.id)
        assert ws_a is not None
        await flow_triggers.create(session, ws_a, trigger_type="keyword", flow=flow, keywords=["secretword"])
        await session.commit()
    b_flow = await add_flow(db, other.workspace.id, variant("B Flow", "b0f10000-0000-4000-8000-000000000002"))
    run = await add_run(db, tenant.workspace.id, flow, contact_id)
    resp = await client.post("/api/v2/flow_starts.json", json={"flow": flow.uuid, "contacts": [contact["uuid"]]})
    assert resp.status_code == 201, resp.text
    start = resp.json()
    async with db() as session:
        ws_a = await session.get(Workspace, tenant.workspace.id)
        assert ws_a is not None
        (hook,) = await resthooks.ensure(session, ws_a, ["secret-hook"])
        await resthooks.signing_secret(session, ws_a)
        session.add(ResthookEvent(workspace_id=ws_a.id, resthook_id=hook.id, data={"secret": "Secret payload"},
                                  created_on=hook.created_on))  # fmt: skip
        await session.commit()
    resp = await client.post(
        "/api/v2/resthook_subscribers.json", json={"resthook": "secret-hook", "target_url": "https://secret.example/h"}
    )
    assert resp.status_code == 201, resp.text
    subscriber = resp.json()
    async with db() as session:
        ws_a = await session.get(Workspace, tenant.workspace.id)
        assert ws_a is not None
        classifier = await classifiers.add(
            session, ws_a, classifier_type="wit", name="Secret Classifier", token="TopSecretToken", intents=["x"]
        )
        await session.flush()
        archive = Archive(
            uuid=clock.new_uuid(),
            workspace_id=ws_a.id,
            archive_type="message",
            period="daily",
            start_date=date(2026, 1, 1),
            status="ready",
            record_count=1,
            size=20,
            hash="5ec2e75ec2e75ec2e75ec2e75ec2e700",
            path=f"archives/{ws_a.uuid}/secret.jsonl.gz",
            created_on=clock.now(),
            modified_on=clock.now(),
        )
        session.add(archive)
        await session.commit()
    topic = (await client.post("/api/v2/topics.json", json={"name": "Secret Topic"})).json()
    ticket = await open_ticket(db, tenant.workspace.id, contact["uuid"], topic_uuid=topic["uuid"])
    b_ticket = await open_ticket(db, other.workspace.id, b_contact["uuid"])
    assert ticket is not None and b_ticket is not None
    return {
        "subscriber_id": str(subscriber["id"]),
        "archive": archive.uuid,
        "classifier": classifier.uuid,
        "topic": topic["uuid"],
        "ticket": ticket.uuid,
        "b_ticket": b_ticket.uuid,
        "campaign": campaign["uuid"],
        "event": event["uuid"],
        "b_campaign": b_campaign["uuid"],
        "contact": contact["uuid"],
        "urn": SECRET_URN,
        "group": group["uuid"],
        "smart": smart["uuid"],
        "user": tenant.user.uuid,
        "b_contact": b_contact["uuid"],
        "workspace": tenant.workspace.uuid,
        "label": label["uuid"],
        "message": message.uuid,
        "message_id": str(message.id),
        "media": media["uuid"],
        "media_url": media["url"],
        "channel": channel.uuid,
        "broadcast": broadcast["uuid"],
        "broadcast_id": str(broadcast["id"]),
        "flow": flow.uuid,
        "b_flow": b_flow.uuid,
        "run": run.uuid,
        "run_id": str(run.id),
        "start": start["uuid"],
    }


def _fill(value: Any, secrets: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("_id}") and value[1:-1] in secrets:
        return int(secrets[value[1:-1]])  # ids travel as JSON integers
    if isinstance(value, str):
        for k, v in secrets.items():
            value = value.replace("{" + k + "}", v)
        return value
    if isinstance(value, list):
        return [_fill(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, secrets) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_workspace_b_cannot_touch_a(
    case: Case, app: Any, tenant: Tenant, other: Tenant, secrets: dict[str, str], db: Any
) -> None:
    before = await _snapshot(db, tenant.workspace.id)
    transport = httpx.ASGITransport(app=app)
    url, body = _fill(case.url, secrets), _fill(case.body, secrets)
    sent = url + repr(body)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=other.headers) as b:
        resp = await b.request(case.method, url, json=body)
    assert resp.status_code == case.status, resp.text
    assert resp.headers.get("X-Temba-Workspace") == other.workspace.uuid
    leaked = [
        s
        for s in (
            secrets["contact"],
            secrets["group"],
            secrets["smart"],
            secrets["user"],
            secrets["workspace"],
            secrets["label"],
            secrets["message"],
            secrets["media"],
            secrets["channel"],
            secrets["broadcast"],
            secrets["campaign"],
            secrets["event"],
            secrets["classifier"],
            secrets["archive"],
            "5ec2e75ec2e75ec2e75ec2e75ec2e700",
            "Secret Classifier",
            "TopSecretToken",
            "Secret Campaign",
            "Secret event text",
            secrets["flow"],
            secrets["run"],
            secrets["start"],
            secrets["topic"],
            secrets["ticket"],
            "Secret Topic",
            "Secret Flow",
            "secretword",
            "secret-hook",
            "https://secret.example/h",
            "Secret payload",
            "Secret Channel",
            "+250788777777",
            "Secret broadcast",
            "Secret message text",
            "Secret Person",
            "classified",
            "TopSecretValue",
            "Top secret note",
            "admin@nyaruka.com",
        )
        if s in resp.text and s not in sent  # an error may echo what B itself sent, nothing more
    ]
    assert leaked == []
    if case.method == "GET" and "results" in resp.json():
        for item in resp.json()["results"]:
            assert "Secret" not in str(item.get("name")), item
    assert await _snapshot(db, tenant.workspace.id) == before


def test_every_endpoint_and_method_has_cases() -> None:
    served = {(ep.name, verb) for ep in ENDPOINTS for verb in ep.handlers}
    covered = {(c.endpoint, c.method) for c in CASES}
    assert served - covered == set()


@pytest.fixture
async def textus_secrets(app: Any, tenant: Tenant, other: Tenant, backend: Backend) -> dict[str, Any]:
    """Workspace A's TextUs objects, through A's own credentials."""
    channel = await add_channel(backend, tenant, name="Secret Channel", address="+12025550100")
    transport = httpx.ASGITransport(app=app)
    base = "http://testserver"
    async with (
        httpx.AsyncClient(transport=transport, base_url=base, auth=(tenant.user.email, tenant.token)) as a,
        httpx.AsyncClient(transport=transport, base_url=base, auth=(other.user.email, other.token)) as b,
        httpx.AsyncClient(transport=transport, base_url=base) as anon,
    ):
        return await textus_tenancy.make_secrets(a, b, anon, channel)


@pytest.mark.parametrize("case", textus_tenancy.CASES, ids=str)
async def test_workspace_b_cannot_touch_a_through_textus(
    case: textus_tenancy.Case, app: Any, tenant: Tenant, other: Tenant, textus_secrets: dict[str, Any], db: Any
) -> None:
    before = await _snapshot(db, tenant.workspace.id)
    url, body = textus_tenancy.fill(case.url, textus_secrets), textus_tenancy.fill(case.body, textus_secrets)
    sent = url + repr(body)
    transport = httpx.ASGITransport(app=app)
    auth = (other.user.email, other.token)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", auth=auth) as b:
        resp = await b.request(case.method, url, json=body)
    assert resp.status_code == case.status, resp.text
    leaked = [s for s in textus_tenancy.LEAKS if s in resp.text and s not in sent]
    assert leaked == []
    assert await _snapshot(db, tenant.workspace.id) == before


def test_every_textus_route_and_method_has_cases() -> None:
    served = {(route.method, route.path) for _, route in textus_router.routes()}
    covered = {(c.method, c.path) for c in textus_tenancy.CASES}
    assert served - covered == set()
