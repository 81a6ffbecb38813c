"""The workspace things a session may use: flows, fields, groups, labels, channels, globals, topics, users.

The platform builds one :class:`Assets` per start or resume (from its rows) and passes it in; the engine never
looks anything up elsewhere. JSON, for case files and the simulator::

    {"flows": [<flow definitions>],
     "fields": [{"key": "age", "name": "Age", "type": "number"}],
     "groups": [{"uuid": "...", "name": "Adults", "query": "age >= 18"}, {"uuid": "...", "name": "Testers"}],
     "labels": [{"uuid": "...", "name": "Spam"}],
     "channels": [{"uuid": "...", "name": "SMS", "address": "+254700000000", "schemes": ["tel"],
                   "roles": ["send", "receive"], "country": "KE"}],
     "globals": [{"key": "org_name", "name": "Org Name", "value": "Sauti"}],
     "topics": [{"uuid": "...", "name": "General", "system": true}],
     "users": [{"uuid": "...", "name": "Bob", "email": "..."}]}

Flows are read with :func:`sauti.engine.definition.read_flow` (migrated to the current spec). A group with a
``query`` is a smart group: its membership is the query evaluated against the contact (only active contacts
qualify); a query that doesn't parse or validate against the fields makes a group no contact is ever in (its
``query_error`` says why).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sauti.engine import contactql
from sauti.engine.definition import Flow, read_flow
from sauti.engine.env import Environment

__all__ = [
    "Assets",
    "ChannelAsset",
    "FieldAsset",
    "GlobalAsset",
    "GroupAsset",
    "LabelAsset",
    "SmartTest",
    "TopicAsset",
    "UserAsset",
    "query_environment",
]

FIELD_TYPES = ("text", "number", "datetime", "state", "district", "ward")
_DATE_STYLES = {"DD-MM-YYYY": "day_first", "MM-DD-YYYY": "month_first", "YYYY-MM-DD": "year_first"}


def query_environment(env: Environment) -> contactql.Environment:
    """The contact query settings of an engine environment."""
    return contactql.Environment(
        timezone=env.timezone or "UTC",
        date_style=_DATE_STYLES[env.date_format],
        country=env.default_country,
        redact_urns=env.redaction_policy == "urns",
    )


@dataclass(frozen=True)
class FieldAsset:
    key: str
    name: str
    type: str = "text"

    def reference(self) -> dict[str, str]:
        return {"key": self.key, "name": self.name}


@dataclass(frozen=True)
class GroupAsset:
    """A contact group; with ``query`` a smart group (``parsed`` is its validated tree, ``None`` if invalid)."""

    uuid: str
    name: str
    query: str | None = None
    parsed: contactql.Node | None = field(default=None, compare=False, repr=False)
    query_error: str | None = field(default=None, compare=False)

    @property
    def is_smart(self) -> bool:
        return bool(self.query)

    def reference(self) -> dict[str, str]:
        return {"uuid": self.uuid, "name": self.name}


SmartTest = tuple[GroupAsset, Callable[[contactql.ContactSnapshot], bool]]
"""A smart group and its compiled query (:meth:`Assets.smart_tests`)."""


@dataclass(frozen=True)
class LabelAsset:
    uuid: str
    name: str

    def reference(self) -> dict[str, str]:
        return {"uuid": self.uuid, "name": self.name}


@dataclass(frozen=True)
class ChannelAsset:
    """A channel: ``schemes`` it can reach, ``roles`` (``send``, ``receive`` ...), its ``country`` if any."""

    uuid: str
    name: str
    address: str = ""
    schemes: tuple[str, ...] = ("tel",)
    roles: tuple[str, ...] = ("send", "receive")
    country: str | None = None

    def can_send(self, scheme: str) -> bool:
        return "send" in self.roles and scheme in self.schemes

    def reference(self) -> dict[str, str]:
        return {"uuid": self.uuid, "name": self.name}


@dataclass(frozen=True)
class GlobalAsset:
    key: str
    name: str
    value: str


@dataclass(frozen=True)
class TopicAsset:
    """A ticket topic; ``system``: the workspace's default topic (General), used when an action names none."""

    uuid: str
    name: str
    system: bool = False

    def reference(self) -> dict[str, str]:
        return {"uuid": self.uuid, "name": self.name}


@dataclass(frozen=True)
class UserAsset:
    uuid: str
    name: str
    email: str = ""

    def reference(self) -> dict[str, str]:
        return {"email": self.email, "name": self.name}


class _FieldResolver:
    """Smart group queries may use fields and attributes, never other groups or flows."""

    def __init__(self, fields: Iterable[FieldAsset]) -> None:
        self._types = {f.key: f.type for f in fields}

    def field_type(self, key: str) -> str | None:
        return self._types.get(key)

    def group_exists(self, name: str) -> bool:
        return False

    def flow_exists(self, name: str) -> bool:
        return False


def _str(item: Mapping[str, Any], key: str, what: str, default: str | None = None) -> str:
    value = item.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{what} needs a string '{key}'")
    return value


@dataclass(frozen=True)
class Assets:
    """Everything a session may refer to. Look-ups by name are case-insensitive."""

    flows: Mapping[str, Flow] = field(default_factory=dict)
    fields: tuple[FieldAsset, ...] = ()
    groups: tuple[GroupAsset, ...] = ()
    labels: tuple[LabelAsset, ...] = ()
    channels: tuple[ChannelAsset, ...] = ()
    globals: tuple[GlobalAsset, ...] = ()
    topics: tuple[TopicAsset, ...] = ()
    users: tuple[UserAsset, ...] = ()

    @classmethod
    def build(
        cls,
        env: Environment,
        *,
        flows: Iterable[Flow] = (),
        fields: Sequence[FieldAsset] = (),
        groups: Sequence[GroupAsset] = (),
        labels: Sequence[LabelAsset] = (),
        channels: Sequence[ChannelAsset] = (),
        globals: Sequence[GlobalAsset] = (),
        topics: Sequence[TopicAsset] = (),
        users: Sequence[UserAsset] = (),
    ) -> Assets:
        """Assets with every smart group's query parsed and validated against ``fields`` in ``env``."""
        resolver = _FieldResolver(fields)
        query_env = query_environment(env)
        checked = []
        for group in groups:
            if group.query:
                try:
                    parsed = contactql.parse_query(group.query, resolver, query_env)
                    group = GroupAsset(group.uuid, group.name, group.query, parsed, None)
                except contactql.QueryError as e:
                    group = GroupAsset(group.uuid, group.name, group.query, None, str(e))
            checked.append(group)
        return cls(
            flows={f.uuid: f for f in flows},
            fields=tuple(fields),
            groups=tuple(checked),
            labels=tuple(labels),
            channels=tuple(channels),
            globals=tuple(globals),
            topics=tuple(topics),
            users=tuple(users),
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any], env: Environment) -> Assets:
        """Read assets JSON (see the module docstring). Raises ``ValueError`` (a flow definition error is a
        :class:`~sauti.engine.definition.DefinitionError`, itself a ``ValueError``)."""
        flows = [read_flow(f) for f in data.get("flows") or ()]
        fields = []
        for f in data.get("fields") or ():
            type_ = _str(f, "type", "field", "text")
            if type_ not in FIELD_TYPES:
                raise ValueError(f"field type {type_!r} is not one of {', '.join(FIELD_TYPES)}")
            fields.append(FieldAsset(_str(f, "key", "field"), _str(f, "name", "field", ""), type_))
        groups = [
            GroupAsset(_str(g, "uuid", "group"), _str(g, "name", "group", ""), g.get("query") or None)
            for g in data.get("groups") or ()
        ]
        labels = [LabelAsset(_str(x, "uuid", "label"), _str(x, "name", "label", "")) for x in data.get("labels") or ()]
        channels = [
            ChannelAsset(
                _str(c, "uuid", "channel"),
                _str(c, "name", "channel", ""),
                _str(c, "address", "channel", ""),
                tuple(c.get("schemes") or ("tel",)),
                tuple(c.get("roles") or ("send", "receive")),
                c.get("country") or None,
            )
            for c in data.get("channels") or ()
        ]
        globals_ = [
            GlobalAsset(_str(g, "key", "global"), _str(g, "name", "global", ""), _str(g, "value", "global", ""))
            for g in data.get("globals") or ()
        ]
        topics = [
            TopicAsset(_str(t, "uuid", "topic"), _str(t, "name", "topic", ""), bool(t.get("system")))
            for t in data.get("topics") or ()
        ]
        users = [
            UserAsset(_str(u, "uuid", "user"), _str(u, "name", "user", ""), _str(u, "email", "user", ""))
            for u in data.get("users") or ()
        ]
        return cls.build(
            env,
            flows=flows,
            fields=fields,
            groups=groups,
            labels=labels,
            channels=channels,
            globals=globals_,
            topics=topics,
            users=users,
        )

    # ------------------------------------------------------------------------------------------ look-ups
    def smart_tests(self, env: Environment) -> tuple[SmartTest, ...]:
        """Each smart group with a valid query, with its query compiled (:func:`contactql.compile_query`) for
        ``env``'s :func:`query_environment`, in group order; compiled once per such environment (these assets
        are immutable; the platform keeps them while the workspace's assets don't change, and a session tests
        every group at each change of its contact)."""
        kept: dict[tuple[str, ...], tuple[SmartTest, ...]] | None = self.__dict__.get("_smart_tests")
        if kept is None:
            kept = {}
            object.__setattr__(self, "_smart_tests", kept)
        key = (env.timezone, env.date_format, env.default_country or "", env.redaction_policy)  # what it reads
        found = kept.get(key)
        if found is None:
            query_env = query_environment(env)
            found = kept[key] = tuple(
                (g, contactql.compile_query(g.parsed, query_env)) for g in self.groups if g.parsed is not None
            )
        return found

    def flow(self, uuid: str) -> Flow | None:
        return self.flows.get(uuid)

    def field(self, key: str) -> FieldAsset | None:
        return next((f for f in self.fields if f.key == key), None)

    def group(self, uuid: str) -> GroupAsset | None:
        return next((g for g in self.groups if g.uuid == uuid), None)

    def group_by_name(self, name: str) -> GroupAsset | None:
        wanted = name.strip().lower()
        return next((g for g in self.groups if g.name.lower() == wanted), None)

    def label(self, uuid: str) -> LabelAsset | None:
        return next((x for x in self.labels if x.uuid == uuid), None)

    def label_by_name(self, name: str) -> LabelAsset | None:
        wanted = name.strip().lower()
        return next((x for x in self.labels if x.name.lower() == wanted), None)

    def channel(self, uuid: str) -> ChannelAsset | None:
        return next((c for c in self.channels if c.uuid == uuid), None)

    def channel_for(self, scheme: str, affinity: str | None = None) -> ChannelAsset | None:
        """The channel that would send to a URN of ``scheme``: its affinity channel if that can, else the first
        channel that can."""
        if affinity:
            preferred = self.channel(affinity)
            if preferred is not None and preferred.can_send(scheme):
                return preferred
        return next((c for c in self.channels if c.can_send(scheme)), None)

    def topic(self, uuid: str) -> TopicAsset | None:
        return next((t for t in self.topics if t.uuid == uuid), None)

    def default_topic(self) -> TopicAsset | None:
        """The system topic (General): where a ticket opened without a topic goes."""
        return next((t for t in self.topics if t.system), None)

    def user(self, uuid: str) -> UserAsset | None:
        return next((u for u in self.users if u.uuid == uuid), None)

    def user_by_email(self, email: str) -> UserAsset | None:
        wanted = email.strip().lower()
        return next((u for u in self.users if u.email.lower() == wanted), None) if wanted else None
