"""References from actions to workspace assets (groups, fields, flows, labels ...) and the dependencies they make.

A reference names an asset the way the flow editor stored it: by UUID (or key, for fields and globals) plus the
name it had at the time. Groups and labels may instead be found at run time by an evaluated ``name_match``
template, users by an evaluated ``email`` template; such *variable* references make no dependency.

Each reference type has a ``read`` function taking a :class:`Reader` on the reference object, which records the
broken rules (``field 'groups[0].uuid' must be a valid UUID``), and a ``dependency`` method used by inspection
(``definitions.json`` exports and the editor's missing-dependency warnings).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sauti.engine.definition.fields import MAX_NAME, Reader


@dataclass(frozen=True, slots=True)
class Dependency:
    """An asset a flow needs: ``type`` (``group``, ``field``, ``flow`` ...) and its ``uuid`` or ``key``."""

    type: str
    uuid: str | None = None
    key: str | None = None
    name: str = ""

    @property
    def identity(self) -> str:
        return self.uuid or self.key or ""

    def to_json(self) -> dict[str, Any]:
        """The dependency as goflow's inspection writes it: the reference's own fields plus ``type``."""
        out: dict[str, Any] = {}
        if self.uuid is not None:
            out["uuid"] = self.uuid
        if self.key is not None:
            out["key"] = self.key
        # groups, labels and users omit an empty name; every other reference always writes it
        if self.name or self.type not in ("group", "label", "user"):
            out["name"] = self.name
        out["type"] = self.type
        return out


def _exactly_one(r: Reader, first: str, second: str, value1: str, value2: str) -> None:
    if bool(value1) == bool(value2):
        r.errors.append(f"field '{r.prefix.rstrip('.')}' needs exactly one of '{first}' and '{second}'")


@dataclass(frozen=True, slots=True)
class GroupRef:
    """A contact group by UUID, or (``name_match``) by the evaluated name of the group at run time."""

    uuid: str | None
    name: str
    name_match: str | None = None

    @classmethod
    def read(cls, r: Reader) -> GroupRef:
        uuid = r.uuid("uuid")
        name = r.text("name", max_len=MAX_NAME)
        name_match = r.text("name_match", max_len=1000)
        _exactly_one(r, "uuid", "name_match", uuid, name_match)
        return cls(uuid or None, name, name_match or None)

    @property
    def is_variable(self) -> bool:
        return self.uuid is None

    def dependency(self) -> Dependency | None:
        return None if self.uuid is None else Dependency("group", uuid=self.uuid, name=self.name)


@dataclass(frozen=True, slots=True)
class LabelRef:
    """A message label by UUID, or (``name_match``) by the evaluated name of the label at run time."""

    uuid: str | None
    name: str
    name_match: str | None = None

    @classmethod
    def read(cls, r: Reader) -> LabelRef:
        uuid = r.uuid("uuid")
        name = r.text("name", max_len=MAX_NAME)
        name_match = r.text("name_match", max_len=1000)
        _exactly_one(r, "uuid", "name_match", uuid, name_match)
        return cls(uuid or None, name, name_match or None)

    @property
    def is_variable(self) -> bool:
        return self.uuid is None

    def dependency(self) -> Dependency | None:
        return None if self.uuid is None else Dependency("label", uuid=self.uuid, name=self.name)


@dataclass(frozen=True, slots=True)
class UserRef:
    """A workspace user by UUID, or by the evaluated ``email`` template (stored under the JSON key ``email``)."""

    uuid: str | None
    name: str
    email_match: str | None = None

    @classmethod
    def read(cls, r: Reader) -> UserRef:
        uuid = r.uuid("uuid")
        name = r.text("name", max_len=320)
        email = r.text("email", max_len=1000)
        _exactly_one(r, "uuid", "email", uuid, email)
        return cls(uuid or None, name, email or None)

    @property
    def is_variable(self) -> bool:
        return self.uuid is None

    def dependency(self) -> Dependency | None:
        return None if self.uuid is None else Dependency("user", uuid=self.uuid, name=self.name)


@dataclass(frozen=True, slots=True)
class FlowRef:
    """Another flow, by UUID (``revision`` is informative only)."""

    uuid: str
    name: str
    revision: int = 0

    @classmethod
    def read(cls, r: Reader) -> FlowRef:
        return cls(r.uuid("uuid", required=True), r.text("name", max_len=MAX_NAME), r.integer("revision"))

    def dependency(self) -> Dependency:
        return Dependency("flow", uuid=self.uuid, name=self.name)


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A contact field, by key."""

    key: str
    name: str

    @classmethod
    def read(cls, r: Reader) -> FieldRef:
        return cls(r.text("key", required=True, max_len=MAX_NAME), r.text("name", max_len=MAX_NAME))

    def dependency(self) -> Dependency:
        return Dependency("field", key=self.key, name=self.name)


def _uuid_ref(r: Reader, name_max: int = MAX_NAME) -> tuple[str, str]:
    return r.uuid("uuid", required=True), r.text("name", max_len=name_max)


@dataclass(frozen=True, slots=True)
class ChannelRef:
    uuid: str
    name: str

    @classmethod
    def read(cls, r: Reader) -> ChannelRef:
        return cls(*_uuid_ref(r))

    def dependency(self) -> Dependency:
        return Dependency("channel", uuid=self.uuid, name=self.name)


@dataclass(frozen=True, slots=True)
class TemplateRef:
    """A WhatsApp-style message template (names may be up to 512 characters)."""

    uuid: str
    name: str

    @classmethod
    def read(cls, r: Reader) -> TemplateRef:
        return cls(*_uuid_ref(r, 512))

    def dependency(self) -> Dependency:
        return Dependency("template", uuid=self.uuid, name=self.name)


@dataclass(frozen=True, slots=True)
class TopicRef:
    uuid: str
    name: str

    @classmethod
    def read(cls, r: Reader) -> TopicRef:
        return cls(*_uuid_ref(r))

    def dependency(self) -> Dependency:
        return Dependency("topic", uuid=self.uuid, name=self.name)


@dataclass(frozen=True, slots=True)
class LLMRef:
    uuid: str
    name: str

    @classmethod
    def read(cls, r: Reader) -> LLMRef:
        return cls(*_uuid_ref(r))

    def dependency(self) -> Dependency:
        return Dependency("llm", uuid=self.uuid, name=self.name)


@dataclass(frozen=True, slots=True)
class ContactRef:
    """A contact by UUID (names up to 128 characters)."""

    uuid: str
    name: str

    @classmethod
    def read(cls, r: Reader) -> ContactRef:
        return cls(*_uuid_ref(r, 128))

    def dependency(self) -> Dependency:
        return Dependency("contact", uuid=self.uuid, name=self.name)


@dataclass(frozen=True, slots=True)
class OptInRef:
    """An opt-in (``request_optin``): no dependency is recorded for it, as goflow records none."""

    uuid: str
    name: str

    @classmethod
    def read(cls, r: Reader) -> OptInRef:
        return cls(*_uuid_ref(r))


@dataclass(frozen=True, slots=True)
class ClassifierRef:
    """An NLU classifier, as old ``call_classifier`` actions carry it (kept for the dependency list only)."""

    uuid: str
    name: str

    def dependency(self) -> Dependency:
        return Dependency("classifier", uuid=self.uuid, name=self.name)
