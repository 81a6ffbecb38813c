"""``contacts.json``: list, create, update and delete contacts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from sauti.api.rapidpro import body, params
from sauti.api.rapidpro.endpoint import (
    Ctx,
    Doc,
    Endpoint,
    Param,
    empty_page,
    guarded_list,
    json,
    list_page,
    no_content,
)
from sauti.api.rapidpro.errors import not_found, refuse
from sauti.api.rapidpro.pagination import Ordering
from sauti.api.rapidpro.shapes import ObjectRef
from sauti.domain.contacts import queries, service
from sauti.domain.contacts.service import UNSET, ContactInput
from sauti.domain.fields import queries as field_queries
from sauti.domain.fields import values as field_values
from sauti.domain.flows import queries as flow_queries
from sauti.kit.timefmt import format_utc
from sauti.models import Contact, ContactField, ContactURN, Workspace


class Note(BaseModel):
    text: str
    created_on: str | None
    created_by: dict[str, Any] | None


class ExpandedURN(BaseModel):
    channel: ObjectRef | None
    scheme: str
    path: str
    display: str | None


class ContactOut(BaseModel):
    uuid: str = Field(description="the UUID of the contact (string)")
    name: str | None = Field(description="the name of the contact (string or null)")
    ref: str | None = Field(default=None, description="anonymous workspaces only: a stable reference")
    anon_display: str | None = Field(default=None, description="anonymous workspaces only: what to show")
    status: str | None = Field(description="active, blocked, stopped or archived")
    language: str | None = Field(description="the preferred language, an ISO-639-3 code (string or null)")
    urns: list[str] | list[ExpandedURN] = Field(
        description="the URNs of the contact in priority order (objects with expand_urns=true)"
    )
    groups: list[ObjectRef] = Field(description="the groups the contact belongs to (list of {uuid, name})")
    notes: list[Note] = Field(description="the newest five notes (list of {text, created_on, created_by})")
    fields: dict[str, str | None] = Field(description="every custom field key with the contact's value or null")
    flow: ObjectRef | None = Field(description="the flow the contact is waiting in, or null")
    created_on: str | None = Field(description="when the contact was created (datetime)")
    modified_on: str | None = Field(description="when the contact was last changed (datetime)")
    last_seen_on: str | None = Field(description="when the contact last sent something (datetime or null)")
    blocked: bool | None = Field(description="deprecated: status is blocked")
    stopped: bool | None = Field(description="deprecated: status is stopped")


endpoint = Endpoint(
    name="contacts",
    title="List, Create, Update or Delete Contacts",
    scope="v2.contacts",
    description=(
        "Contacts are the people you message. Create one by POSTing without a lookup; update one by adding "
        "`?uuid=` or `?urn=` (a URN that matches nobody creates the contact); DELETE removes one (it stays "
        "listable with `deleted=true`). Listing is newest-modified first, so `after=` gives incremental sync."
    ),
    result=ContactOut,
)


def _ref(v: Any) -> Any:
    if isinstance(v, bool) or not isinstance(v, str | int):
        raise body.fail("Must be a string or integer")
    return str(v)


def _field_value(v: Any) -> Any:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        return field_values.to_text(v)
    raise body.fail("Not a valid string.")


Ref = Annotated[str, BeforeValidator(_ref)]
FieldValue = Annotated[str | None, BeforeValidator(_field_value)]


class ContactBody(BaseModel):
    name: Annotated[body.Str, Field(max_length=64)] | None = Field(default=None, description="the full name")
    language: Annotated[body.Str, Field(min_length=3, max_length=3)] | None = Field(
        default=None, description="preferred language, an ISO-639-3 code such as eng"
    )
    urns: Annotated[list[body.Str], Field(max_length=100)] = Field(
        default_factory=list, description="URNs, e.g. tel:+250788123123; replaces all the contact's URNs"
    )
    groups: Annotated[list[Ref], Field(max_length=100)] = Field(
        default_factory=list, description="UUIDs or names of manual groups; replaces all manual memberships"
    )
    fields: Annotated[dict[str, FieldValue], Field(max_length=100)] = Field(
        default_factory=dict, description="field key to value; null or empty clears a value"
    )
    note: Annotated[body.Str, Field(max_length=10_000)] | None = Field(
        default=None, description="a note to add (on update only)"
    )


def anon_ref(contact_id: int) -> str:
    """A stable obfuscated reference for anonymous workspaces (DECISION: base-36 of a scrambled id)."""
    scrambled = (contact_id * 2654435761) % 4294967291
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while scrambled:
        scrambled, r = divmod(scrambled, 36)
        out = digits[r] + out
    return out.rjust(6, "0")


def _urn(urn: ContactURN, anon: bool, expand: bool) -> Any:
    path = "********" if anon else urn.path
    if expand:
        return {"channel": None, "scheme": urn.scheme, "path": path, "display": None if anon else urn.display}
    return f"{urn.scheme}:{path}"


# the columns of a contact's own row that ``render`` reads (a listing reads these, not the whole row)
PAGE_COLUMNS = (
    Contact.id,
    Contact.uuid,
    Contact.name,
    Contact.status,
    Contact.language,
    Contact.is_active,
    Contact.current_flow_id,
    Contact.created_on,
    Contact.modified_on,
    Contact.last_seen_on,
)


class _Page:
    """What every contact of a page is rendered with, worked out once per page: the fields as plain tuples (not
    ORM attributes read 250 times each), the workspace's flags, the flows the page names."""

    def __init__(
        self,
        fields: Sequence[ContactField | field_queries.Shown],
        ws: Workspace,
        tz: ZoneInfo,
        expand_urns: bool,
        flows: Mapping[int, Any],
    ) -> None:
        self.fields = [(f.id, f.key, f.value_type) for f in fields]
        self.anon = ws.anon
        self.tz = tz
        self.expand = expand_urns
        self.flows = flows

    def values(self, found: Mapping[int, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        tz = self.tz
        for field_id, key, value_type in self.fields:
            v = found.get(field_id)
            if v is None:
                out[key] = None
            elif value_type == "text":  # the common case: the stored text as it is
                out[key] = v.text_value
            else:
                out[key] = field_values.render(value_type, v.text_value, v.number_value, v.datetime_value, tz)
        return out

    def render(self, c: Any, details: queries.Details) -> dict[str, Any]:
        if not c.is_active:  # a deleted contact shows its identity and dates only
            out: dict[str, Any] = {"uuid": c.uuid, "name": None}
            if self.anon:
                out["ref"] = out["anon_display"] = anon_ref(c.id)
            out |= {
                "status": None,
                "language": None,
                "urns": [],
                "groups": [],
                "notes": [],
                "fields": {},
                "flow": None,
                "created_on": format_utc(c.created_on),
                "modified_on": format_utc(c.modified_on),
                "last_seen_on": format_utc(c.last_seen_on),
                "blocked": None,
                "stopped": None,
            }
            return out
        out = {"uuid": c.uuid, "name": c.name}
        anon = self.anon
        if anon:
            out["ref"] = out["anon_display"] = anon_ref(c.id)
        status = c.status
        flow_id = c.current_flow_id
        out["status"] = status
        out["language"] = c.language
        if self.expand or anon:
            out["urns"] = [_urn(u, anon, self.expand) for u in details.urns]
        else:
            out["urns"] = [f"{u.scheme}:{u.path}" for u in details.urns]
        out["groups"] = [{"uuid": g.uuid, "name": g.name} for g in details.groups]
        out["notes"] = [
            {
                "text": n.text,
                "created_on": format_utc(n.created_on),
                "created_by": {"email": n.email, "name": n.name} if n.email else None,
            }
            for n in details.notes[-queries.MAX_NOTES :]
        ]
        out["fields"] = self.values(details.values)
        out["flow"] = _flow_ref(flow_id, self.flows) if flow_id is not None else None
        out["created_on"] = format_utc(c.created_on)
        out["modified_on"] = format_utc(c.modified_on)
        out["last_seen_on"] = format_utc(c.last_seen_on)
        out["blocked"] = status == "blocked"
        out["stopped"] = status == "stopped"
        return out


async def render_many(
    session: AsyncSession, ws: Workspace, contacts: Sequence[Contact], expand_urns: bool = False
) -> list[dict[str, Any]]:
    """A page of contacts in a fixed number of queries."""
    details = await queries.load_details(session, contacts)
    fields = await field_queries.shown_fields(session, ws)
    flows = await flow_queries.load_flow_refs(session, (c.current_flow_id for c in contacts if c.current_flow_id))
    page = _Page(fields, ws, ZoneInfo(ws.timezone), expand_urns, flows)
    return [page.render(c, details[c.id]) for c in contacts]


def _flow_ref(flow_id: int | None, flows: Mapping[int, Any] | None) -> dict[str, Any] | None:
    flow = (flows or {}).get(flow_id) if flow_id is not None else None
    return {"uuid": flow.uuid, "name": flow.name} if flow is not None else None


async def _render_one(ctx: Ctx, contact: Contact, status: int = 200) -> Response:
    await ctx.session.refresh(contact)
    return json((await render_many(ctx.session, ctx.workspace, [contact]))[0], status)


@endpoint.method(
    "GET",
    Doc(
        summary="List contacts, most recently modified first",
        params=(
            Param("uuid", "a contact UUID to filter by"),
            Param("urn", "a contact URN to filter by, e.g. tel:+250788123123"),
            Param("group", "a group name or UUID to filter by"),
            Param("deleted", "true to list only deleted contacts"),
            Param("before", "only contacts modified before this date, inclusive"),
            Param("after", "only contacts modified after this date, inclusive"),
            Param("reverse", "true to list oldest modified first"),
            Param("expand_urns", "true to return URNs as objects with scheme, path and display"),
        ),
        example="GET /api/v2/contacts.json?group=Reporters&after=2026-01-01T00:00:00.000000Z",
    ),
)
async def get(ctx: Ctx) -> Response:
    req = ctx.request
    ws = ctx.workspace

    async def build() -> Any:
        wanted = queries.ContactFilter(
            deleted=params.flag(req, "deleted"),
            uuid=params.uuid_value(req, "uuid"),
            urn=params.value(req, "urn"),
            group=params.value(req, "group"),
            modified_before=params.date_value(req, "before"),
            modified_after=params.date_value(req, "after"),
        )
        # what render shows of a contact's own row, no more
        stmt, values = await queries.listed_contacts(ctx.session, ws, wanted, PAGE_COLUMNS)
        if stmt is None:
            return empty_page()
        ordering = Ordering(Contact.modified_on, Contact.id, descending=not params.flag(req, "reverse"))
        expand = params.flag(req, "expand_urns")

        async def serialize(session: AsyncSession, w: Workspace, rows: Sequence[Any]) -> list[dict[str, Any]]:
            return await render_many(session, w, rows, expand)

        return await list_page(ctx, stmt, ordering, serialize, values)

    return await guarded_list(build)


def _input(values: dict[str, Any]) -> ContactInput:
    return ContactInput(
        name=values.get("name", UNSET),
        language=values["language"].lower() if values.get("language") else values.get("language", UNSET),
        urns=values.get("urns"),
        groups=values.get("groups"),
        fields=values.get("fields"),
        note=values.get("note"),
    )


@endpoint.method(
    "POST",
    Doc(
        summary="Create a contact, or update one with ?uuid= or ?urn=",
        description="Only the keys present in the body change. `urns` and `groups` replace the whole list.",
        params=(
            Param("uuid", "the UUID of the contact to update"),
            Param("urn", "a URN of the contact to update (created when nobody has it)"),
        ),
        body=ContactBody,
        example='POST /api/v2/contacts.json {"name": "Ben Haggerty", "urns": ["tel:+250788123123"]}',
    ),
)
async def post(ctx: Ctx) -> Response:
    ws = ctx.workspace
    lookup = dict([found]) if (found := params.lookup(ctx.request, "uuid", "urn")) is not None else {}
    contact = await service.find(ctx.session, ws, uuid=lookup.get("uuid"), urn=lookup.get("urn"))
    data = await body.read_object(ctx.request)
    values, shape = body.validate(ContactBody, data)
    if shape:
        by_urn, urns_sent = "urn" in lookup, "urns" in data
        refuse(shape, service.lookup_problems(ws, contact, by_urn=by_urn, urns_sent=urns_sent))
    saved, created = await service.upsert(
        ctx.session, ws, _input(values), uuid=lookup.get("uuid"), urn=lookup.get("urn"), user=ctx.caller.user
    )
    return await _render_one(ctx, saved, 201 if created else 200)


@endpoint.method(
    "DELETE",
    Doc(
        summary="Delete a contact by ?uuid= or ?urn=",
        params=(Param("uuid", "the UUID of the contact"), Param("urn", "a URN of the contact")),
        example="DELETE /api/v2/contacts.json?uuid=27fb583b-3087-4778-a2b1-8af4b5b4de7f",
    ),
)
async def delete(ctx: Ctx) -> Response:
    lookup = params.lookup(ctx.request, "uuid", "urn", required=True)
    assert lookup is not None
    contact = await service.find(ctx.session, ctx.workspace, **{lookup[0]: lookup[1]})
    if contact is None:
        raise not_found()
    await service.delete_contacts(ctx.session, ctx.workspace, [contact])
    return no_content()
