"""The typed, read-only form of a flow definition (spec 14.4.2).

A :class:`Flow` is a list of :class:`Node` objects, the first being the entry point. A node runs its actions
(:class:`sauti.engine.actions.Action`), then its router (if any) picks a category, each category leading to one
of the node's exits; a node without a router takes its first exit, and an exit without a destination ends the
run. A router may carry a wait (a :class:`MsgWait` for the contact's reply, or a :class:`DialWait` in voice
flows) that pauses the session before routing.

Objects are built by :func:`sauti.engine.definition.read_flow`, which has checked every rule of the spec, so the
engine may rely on them: destinations exist, categories point at exits of their node, default and timeout
categories belong to their router, case types are known. Every object is frozen. The flow keeps the JSON it was
read from (after migration): :meth:`Flow.to_json` returns it unchanged, editor layout (``_ui``), translations
and unknown keys included.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Final

from sauti.engine.actions.base import Action
from sauti.engine.definition.fields import MESSAGING, OFFLINE, VOICE, FlowType
from sauti.engine.definition.localization import Localization, Localized

__all__ = [
    "DEFAULT_EXPIRE_MINUTES",
    "Case",
    "Category",
    "DialWait",
    "Exit",
    "Flow",
    "Hint",
    "Localization",
    "Localized",
    "MsgWait",
    "Node",
    "RandomRouter",
    "Router",
    "SwitchRouter",
    "Timeout",
    "Wait",
]

DEFAULT_EXPIRE_MINUTES: Final[Mapping[str, int]] = MappingProxyType({MESSAGING: 4320, VOICE: 5})
"""How long a wait may sit when a flow gives no ``expire_after_minutes`` (other flow types never wait)."""


@dataclass(frozen=True, slots=True)
class Exit:
    """A way out of a node; without ``destination_uuid`` taking it ends the run."""

    uuid: str
    destination_uuid: str | None = None


@dataclass(frozen=True, slots=True)
class Category:
    """A named outcome of a router, leading to one exit (several categories may share an exit)."""

    uuid: str
    name: str
    exit_uuid: str


@dataclass(frozen=True, slots=True)
class Case:
    """A test of a switch router: ``type`` is a router case test, ``arguments`` are templates (localizable)."""

    uuid: str
    type: str
    arguments: tuple[str, ...]
    category_uuid: str


@dataclass(frozen=True, slots=True)
class Timeout:
    """After ``seconds`` without a reply, the router takes ``category_uuid`` (result saved with empty value)."""

    seconds: int
    category_uuid: str


@dataclass(frozen=True, slots=True)
class Hint:
    """What kind of reply the channel should ask for: ``image audio video location digits`` (digits may give a
    ``count`` and a ``terminated_by`` key)."""

    type: str
    count: int | None = None
    terminated_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Wait:
    """A pause before routing. ``ALLOWED_FLOW_TYPES`` says where each kind may appear."""

    TYPE: ClassVar[str] = ""
    ALLOWED_FLOW_TYPES: ClassVar[frozenset[str]] = frozenset()

    timeout: Timeout | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MsgWait(Wait):
    """Wait for the contact's next message (never in ``messaging_background`` flows)."""

    TYPE: ClassVar[str] = "msg"
    ALLOWED_FLOW_TYPES: ClassVar[frozenset[str]] = frozenset({MESSAGING, OFFLINE, VOICE})

    hint: Hint | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DialWait(Wait):
    """Voice only: dial ``phone`` (a template) and wait for the call to end. Parsed; Sauti does not run voice
    flows yet."""

    TYPE: ClassVar[str] = "dial"
    ALLOWED_FLOW_TYPES: ClassVar[frozenset[str]] = frozenset({VOICE})

    phone: str
    dial_limit_seconds: int = 60
    call_limit_seconds: int = 7200


@dataclass(frozen=True, slots=True, kw_only=True)
class Router:
    """Picks one of ``categories``. With ``result_name`` routing saves a result (key: the snakified name)."""

    TYPE: ClassVar[str] = ""

    categories: tuple[Category, ...]
    result_name: str | None = None
    wait: Wait | None = None

    def category(self, uuid: str) -> Category | None:
        return next((c for c in self.categories if c.uuid == uuid), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class SwitchRouter(Router):
    """Evaluates ``operand`` as a typed value and tests ``cases`` in order; the first match wins, else
    ``default_category_uuid`` (when there is none the run fails)."""

    TYPE: ClassVar[str] = "switch"

    operand: str
    cases: tuple[Case, ...] = ()
    default_category_uuid: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RandomRouter(Router):
    """Picks a category uniformly at random."""

    TYPE: ClassVar[str] = "random"


@dataclass(frozen=True, slots=True)
class Node:
    """Actions run in order on every visit, then the router (or the first exit)."""

    uuid: str
    actions: tuple[Action, ...]
    router: Router | None
    exits: tuple[Exit, ...]

    def exit(self, uuid: str) -> Exit | None:
        return next((e for e in self.exits if e.uuid == uuid), None)


@dataclass(frozen=True)
class Flow:
    """A valid flow definition at spec 14.4.2."""

    uuid: str
    name: str
    spec_version: str
    language: str
    type: FlowType
    revision: int
    expire_after_minutes: int
    localization: Localization
    nodes: tuple[Node, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _nodes_by_uuid: Mapping[str, Node] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_nodes_by_uuid", MappingProxyType({n.uuid: n for n in self.nodes}))

    @property
    def entry(self) -> Node | None:
        """The first node, where a run starts (``None`` for an empty flow)."""
        return self.nodes[0] if self.nodes else None

    def node(self, uuid: str) -> Node | None:
        return self._nodes_by_uuid.get(uuid)

    @property
    def expires_after_minutes(self) -> int:
        """``expire_after_minutes``, or the default of the flow type when it is 0."""
        return self.expire_after_minutes or DEFAULT_EXPIRE_MINUTES.get(self.type, 0)

    @property
    def ui(self) -> Mapping[str, Any] | None:
        """The editor's layout, untouched (the engine never reads it)."""
        value = self.raw.get("_ui")
        return value if isinstance(value, Mapping) else None

    def reference(self) -> dict[str, str]:
        """``{"uuid", "name"}``, how events and other flows refer to this flow."""
        return {"uuid": self.uuid, "name": self.name}

    def to_json(self) -> dict[str, Any]:
        """The definition as read (after migration), a copy."""
        return copy.deepcopy(dict(self.raw))
