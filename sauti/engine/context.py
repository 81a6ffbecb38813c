"""The root context of expressions in a run: ``@contact``, ``@fields``, ``@results``, ``@input`` ...

Every top-level key exists (so ``@child`` with no child is null, not an unknown name) and every object below is
lazy: a template that reads ``@contact.name`` never builds the run's path. Keys, as goflow names them:

``contact fields urns results locals input run child parent webhook trigger resume globals node ticket``

- ``contact``: ``uuid ref name first_name language timezone status created_on last_seen_on urns urn groups fields
  channel id``; renders as the name, else the first URN formatted (the ref when URNs are redacted);
- ``fields``: one key per field of the workspace, typed by the field's type (unset: null); renders as sorted
  ``Name: value`` lines; ``urns``: the first URN of each scheme (null for schemes the contact lacks);
- ``results``/``locals``: the run's results and locals; a result renders as its value and has ``name value
  category category_localized input extra node_uuid created_on``;
- ``input``: the session input (``uuid created_on channel urn text attachments external_id payload``), rendering
  as its text and attachment URLs;
- ``run``, ``child`` (the run's latest subflow run), ``parent`` (its parent run, or the run that started this
  session with ``start_session``): ``uuid contact flow status results`` (plus ``path locals created_on exited_on``
  for ``run``, ``urns fields`` for the others), rendering as ``contact@flow``;
- ``webhook``: the run's last webhook call, ``status headers json``, rendering as ``METHOD URL``;
- ``trigger``: ``type params keyword user origin campaign ticket``; ``resume``: ``type`` (null at start);
- ``globals``: each global's value by key; ``node``: ``uuid categories visit_count``; ``ticket``: the contact's
  open ticket, ``uuid topic assignee`` (``topic`` ``uuid name``, ``assignee`` ``email name``), rendering as
  its UUID; null when the contact has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sauti.engine.assets import Assets, ChannelAsset
from sauti.engine.contact import Contact, ContactError, ContactURN, OpenTicket
from sauti.engine.env import Environment
from sauti.engine.excellent import (
    DEFAULT_KEY,
    Value,
    XArray,
    XDateTime,
    XNumber,
    XObject,
    XText,
    from_json,
    render,
)
from sauti.engine.excellent.words import tokenize
from sauti.engine.inputs import MsgInput
from sauti.engine.resumes import Resume
from sauti.engine.run import Result, Run, WebhookCall
from sauti.engine.triggers import Trigger
from sauti.kit import urns as kurns

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

__all__ = ["campaign_context", "contact_context", "result_context", "root_context"]

_REDACTED = "********"


def _text(value: str) -> XText:
    return XText(value)


def _urn_text(urn: ContactURN, env: Environment) -> XText:
    if env.redaction_policy == "urns":
        return XText(f"{urn.scheme}:{_REDACTED}")
    return XText(urn.identity)


def _preferred(contact: Contact, assets: Assets) -> tuple[ContactURN, ChannelAsset] | None:
    for urn in contact.urns:
        channel = assets.channel_for(urn.scheme, urn.channel_uuid)
        if channel is not None:
            return urn, channel
    return None


def channel_context(channel: ChannelAsset | Mapping[str, Any] | None) -> XObject | None:
    if channel is None:
        return None
    if isinstance(channel, ChannelAsset):
        uuid, name, address = channel.uuid, channel.name, channel.address
    else:
        uuid, name, address = str(channel.get("uuid", "")), str(channel.get("name", "")), ""
    return XObject({DEFAULT_KEY: XText(name), "uuid": XText(uuid), "name": XText(name), "address": XText(address)})


def format_contact(contact: Contact, env: Environment) -> str:
    """How ``@contact`` renders: the name, else the ref (redacted workspaces), else the first URN formatted."""
    if contact.name:
        return contact.name
    if env.redaction_policy == "urns":
        return str(contact.id)
    if contact.urns:
        first = contact.urns[0]
        return kurns.display(kurns.URN(first.scheme, first.path, None, first.display))
    return ""


def fields_context(contact: Contact, assets: Assets) -> XObject:
    def build() -> dict[str, Value]:
        values: dict[str, Value] = {}
        lines = []
        for f in assets.fields:
            fv = contact.fields.get(f.key)
            value: Value = None
            if fv is not None:
                if f.type == "text":
                    value = XText(fv.text)
                elif f.type == "number" and fv.number is not None:
                    value = XNumber(fv.number)
                elif f.type == "datetime" and fv.datetime is not None:
                    value = XDateTime(fv.datetime)
                elif f.type in ("state", "district", "ward") and getattr(fv, f.type):
                    value = XText(getattr(fv, f.type))
            values[f.key] = value
            if value is not None:
                lines.append(f"{f.name}: {render(value)}")
        values[DEFAULT_KEY] = XText("\n".join(sorted(lines)))
        return values

    return XObject.lazy(build)


def urns_context(contact: Contact, env: Environment) -> XObject:
    def build() -> dict[str, Value]:
        values: dict[str, Value] = dict.fromkeys(sorted(kurns.PUBLIC_SCHEMES))
        seen: set[str] = set()
        for urn in contact.urns:
            if urn.scheme not in seen:
                seen.add(urn.scheme)
                values[urn.scheme] = _urn_text(urn, env)
        return values

    return XObject.lazy(build)


def _group_context(uuid: str, name: str) -> XObject:
    return XObject({DEFAULT_KEY: XText(name), "uuid": XText(uuid), "name": XText(name)})


def contact_context(contact: Contact, assets: Assets, env: Environment) -> XObject:
    found: list[tuple[ContactURN, ChannelAsset] | None] = []

    def preferred() -> tuple[ContactURN, ChannelAsset] | None:
        if not found:
            found.append(_preferred(contact, assets))
        return found[0]

    def first_name() -> Value:
        names = tokenize(contact.name)
        return XText(names[0]) if names else None

    def urn() -> Value:
        chosen = preferred()
        return _urn_text(chosen[0], env) if chosen else None

    def channel() -> Value:
        chosen = preferred()
        return channel_context(chosen[1]) if chosen else None

    return XObject.lazy_each(
        {
            "uuid": lambda: XText(contact.uuid),
            "ref": lambda: XText(str(contact.id)),
            "name": lambda: XText(contact.name),
            "first_name": first_name,
            "language": lambda: XText(contact.language),
            "timezone": lambda: XText(contact.timezone) if contact.timezone else None,
            "status": lambda: XText(contact.status),
            "created_on": lambda: XDateTime(contact.created_on),
            "last_seen_on": lambda: XDateTime(contact.last_seen_on) if contact.last_seen_on else None,
            "urns": lambda: XArray([_urn_text(u, env) for u in contact.urns]),
            "urn": urn,
            "groups": lambda: XArray([_group_context(g.uuid, g.name) for g in contact.groups]),
            "fields": lambda: fields_context(contact, assets),
            "channel": channel,
            "id": lambda: XText(str(contact.id)),
        },
        default=XText(format_contact(contact, env)),
    )


def result_context(result: Result) -> XObject:
    return XObject(
        {
            DEFAULT_KEY: XText(result.value),
            "name": XText(result.name),
            "value": XText(result.value),
            "category": XText(result.category),
            "category_localized": XText(result.category_localized or result.category),
            "input": XText(result.input),
            "extra": from_json(result.extra),
            "node_uuid": XText(result.node_uuid),
            "created_on": XDateTime(result.created_on),
        }
    )


def results_context(results: Mapping[str, Result]) -> XObject:
    def build() -> dict[str, Value]:
        values: dict[str, Value] = {key: result_context(r) for key, r in results.items()}
        lines = sorted(f"{r.name}: {r.value}" for r in results.values())
        values[DEFAULT_KEY] = XText("\n".join(lines))
        return values

    return XObject.lazy(build)


def _read_results(data: Any) -> dict[str, Result]:
    if not isinstance(data, Mapping):
        return {}
    out = {}
    for key, value in data.items():
        try:
            out[str(key)] = Result.from_json(value)
        except ValueError:
            continue
    return out


def _flow_context(flow: Mapping[str, Any]) -> XObject:
    name = str(flow.get("name", ""))
    return XObject(
        {
            DEFAULT_KEY: XText(name),
            "uuid": XText(str(flow.get("uuid", ""))),
            "name": XText(name),
            "revision": XNumber(int(flow.get("revision") or 0)),
        }
    )


def _summary_text(contact: Contact | None, flow: Mapping[str, Any], env: Environment) -> str:
    who = format_contact(contact, env) if contact is not None else "<nocontact>"
    return f"{who}@{flow.get('name', '')}"


def _related_context(
    uuid: str,
    flow: Mapping[str, Any],
    status: str,
    results: Mapping[str, Result],
    contact: Contact | None,
    assets: Assets,
    env: Environment,
) -> XObject:
    def build() -> dict[str, Value]:
        return {
            "uuid": XText(uuid),
            "contact": contact_context(contact, assets, env) if contact is not None else None,
            "flow": _flow_context(flow),
            "urns": urns_context(contact, env) if contact is not None else None,
            "fields": fields_context(contact, assets) if contact is not None else None,
            "results": results_context(results),
            "status": XText(status),
            "run": XObject({"status": XText(status)}),
        }

    return XObject.lazy(build, default=XText(_summary_text(contact, flow, env)))


def _summary_context(summary: Mapping[str, Any], assets: Assets, env: Environment) -> XObject:
    contact = None
    raw_contact = summary.get("contact")
    if isinstance(raw_contact, Mapping):
        try:
            contact = Contact.from_json(raw_contact)
        except ContactError:
            contact = None
    flow = summary.get("flow") if isinstance(summary.get("flow"), Mapping) else {}
    assert isinstance(flow, Mapping)
    return _related_context(
        str(summary.get("uuid", "")),
        flow,
        str(summary.get("status", "")),
        _read_results(summary.get("results")),
        contact,
        assets,
        env,
    )


def _run_context(run: Run, contact: Contact, assets: Assets, env: Environment) -> XObject:
    def build() -> dict[str, Value]:
        path = [XObject({"node_uuid": XText(s.node_uuid), "arrived_on": XDateTime(s.arrived_on)}) for s in run.path]
        return {
            "uuid": XText(run.uuid),
            "contact": contact_context(contact, assets, env),
            "flow": _flow_context(run.flow),
            "status": XText(run.status),
            "locals": XObject({k: XText(v) for k, v in run.locals.items()}),
            "results": results_context(run.results),
            "path": XArray(path),
            "created_on": XDateTime(run.created_on),
            "exited_on": XDateTime(run.exited_on) if run.exited_on else None,
        }

    return XObject.lazy(build, default=XText(_summary_text(contact, run.flow, env)))


def input_context(msg: MsgInput, assets: Assets, env: Environment) -> XObject:
    def channel() -> Value:
        found: ChannelAsset | Mapping[str, Any] | None = None
        if msg.channel is not None:
            found = assets.channel(msg.channel["uuid"]) or msg.channel
        return channel_context(found)

    def urn() -> Value:
        if not msg.urn:
            return None
        try:
            contact_urn = ContactURN.from_json(msg.urn)
            return _urn_text(ContactURN(contact_urn.scheme, contact_urn.path), env)
        except ContactError:
            return XText(msg.urn)

    return XObject.lazy_each(
        {
            "type": lambda: XText("msg"),
            "uuid": lambda: XText(msg.uuid),
            "created_on": lambda: XDateTime(msg.created_on),
            "channel": channel,
            "urn": urn,
            "text": lambda: XText(msg.text),
            "attachments": lambda: XArray([XText(a) for a in msg.attachments]),
            "external_id": lambda: XText(msg.external_id),
            "payload": lambda: from_json(msg.payload) if msg.payload is not None else XObject({}),
        },
        default=XText(msg.rendered()),
    )


def webhook_context(call: WebhookCall) -> XObject:
    return XObject(
        {
            DEFAULT_KEY: XText(f"{call.method} {call.url}"),
            "status": XNumber(call.status),
            "headers": XObject({k: XText(v) for k, v in call.headers.items()}),
            "json": from_json(call.json),
        }
    )


def trigger_context(trigger: Trigger) -> XObject:
    def build() -> dict[str, Value]:
        params = from_json(trigger.params) if trigger.params is not None else XObject({})
        user: Value = None
        if trigger.user is not None:
            name = str(trigger.user.get("name") or "")
            user = XObject(
                {
                    DEFAULT_KEY: XText(name or str(trigger.user.get("email") or "")),
                    "uuid": XText(str(trigger.user.get("uuid") or "")),
                    "name": XText(name),
                    "email": XText(str(trigger.user.get("email") or "")),
                }
            )
        campaign: Value = None
        if trigger.type == "campaign" and trigger.event is not None:
            raw = trigger.event.get("campaign")
            if isinstance(raw, Mapping):
                campaign = _group_context(str(raw.get("uuid", "")), str(raw.get("name", "")))
        return {
            "type": XText(trigger.type),
            "params": params,
            "keyword": XText(trigger.keyword_match.keyword if trigger.keyword_match else ""),
            "user": user,
            "origin": XText(trigger.origin),
            "campaign": campaign,
            "ticket": None,
        }

    return XObject.lazy(build)


def resume_context(resume: Resume) -> XObject:
    return XObject({"type": XText(resume.type), "dial": None})


def globals_context(assets: Assets) -> XObject:
    def build() -> dict[str, Value]:
        values: dict[str, Value] = {g.key: XText(g.value) for g in assets.globals}
        values[DEFAULT_KEY] = XText("\n".join(sorted(f"{g.name}: {g.value}" for g in assets.globals)))
        return values

    return XObject.lazy(build)


def root_context(x: Execution) -> XObject:
    """The root context of the run and node ``x`` executes in; each top-level value is made when a template
    first reads it (the context serves one evaluation, which changes nothing it reads)."""
    scene, run = x.scene, x.run
    contact, assets, env = scene.contact, scene.assets, scene.merged_env()
    session = scene.session

    def child() -> Value:
        found = next((r for r in reversed(session.runs) if r.parent_uuid == run.uuid), None)
        if found is None:
            return None
        return _related_context(found.uuid, found.flow, found.status, found.results, contact, assets, env)

    def parent() -> Value:
        parent_run = session.run(run.parent_uuid) if run.parent_uuid else None
        if parent_run is not None:
            return _related_context(
                parent_run.uuid, parent_run.flow, parent_run.status, parent_run.results, contact, assets, env
            )
        if scene.parent_summary is not None:
            return _summary_context(scene.parent_summary, assets, env)
        return None

    def node() -> dict[str, Value]:
        visits = sum(1 for s in run.path if s.node_uuid == x.node.uuid)
        router = x.node.router
        categories = [XText(c.name) for c in router.categories] if router is not None else []
        return {"uuid": XText(x.node.uuid), "categories": XArray(categories), "visit_count": XNumber(visits)}

    return XObject.lazy_each(
        {
            "contact": lambda: contact_context(contact, assets, env),
            "fields": lambda: fields_context(contact, assets),
            "urns": lambda: urns_context(contact, env),
            "results": lambda: results_context(run.results),
            "locals": lambda: XObject({k: XText(v) for k, v in run.locals.items()}),
            "input": lambda: input_context(session.input, assets, env) if session.input is not None else None,
            "run": lambda: _run_context(run, contact, assets, env),
            "child": child,
            "parent": parent,
            "webhook": lambda: webhook_context(run.webhook) if run.webhook is not None else None,
            "trigger": lambda: trigger_context(session.trigger),
            "resume": lambda: resume_context(scene.resume) if scene.resume is not None else None,
            "globals": lambda: globals_context(assets),
            "node": lambda: XObject.lazy(node),
            "ticket": lambda: ticket_context(contact.ticket) if contact.ticket is not None else None,
        }
    )


def ticket_context(ticket: OpenTicket) -> XObject:
    topic = ticket.topic
    assignee = ticket.assignee
    return XObject(
        {
            DEFAULT_KEY: XText(ticket.uuid),
            "uuid": XText(ticket.uuid),
            "topic": (
                XObject({DEFAULT_KEY: XText(topic.get("name", "")), **{k: XText(v) for k, v in topic.items()}})
                if topic is not None
                else None
            ),
            "assignee": (
                XObject({DEFAULT_KEY: XText(assignee.get("name", "")), **{k: XText(v) for k, v in assignee.items()}})
                if assignee is not None
                else None
            ),
        }
    )


def campaign_context(contact: Contact, assets: Assets, env: Environment, campaign: tuple[str, str]) -> XObject:
    """The root context of a campaign message event's text for ``contact`` (``campaign``: its uuid and name).

    Upstream such an event is a flow of one node sending the message, started by a ``campaign`` trigger, so the
    context is that of a fresh run of it: the contact, its fields and URNs, the globals and the trigger; what
    only a run that went further has (results, input, webhook, child, parent) is null."""
    trigger = XObject(
        {
            "type": XText("campaign"),
            "params": XObject({}),
            "keyword": XText(""),
            "user": None,
            "origin": XText(""),
            "campaign": _group_context(*campaign),
            "ticket": None,
        }
    )
    return XObject(
        {
            "contact": contact_context(contact, assets, env),
            "fields": fields_context(contact, assets),
            "urns": urns_context(contact, env),
            "results": results_context({}),
            "locals": XObject({}),
            "input": None,
            "run": None,
            "child": None,
            "parent": None,
            "webhook": None,
            "trigger": trigger,
            "resume": None,
            "globals": globals_context(assets),
            "node": None,
            "ticket": None,
        }
    )
