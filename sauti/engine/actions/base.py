"""The action base class, the registry of action types and :func:`read_action`.

Each action type lives in its own module named after its JSON ``type`` (``send_msg.py`` ...) and is a frozen
dataclass subclass of :class:`Action`, registered with :func:`register`. A subclass declares:

- ``TYPE``: its JSON type;
- ``FLOW_CLASS``: which flow types may use it — ``universal`` (any), ``interactive`` (not
  ``messaging_background``), ``online`` (not ``messaging_offline``) or ``voice`` (voice only);
- ``LOCALIZABLE``: the properties a flow's ``localization`` may translate for it (keyed by the action UUID);
- ``TEMPLATES``: paths of the fields evaluated as templates (``text``, ``attachments[*]``,
  ``groups[*].name_match``, ``headers.*``), used by inspection and by the migrations that rewrite expressions;
- its typed fields and a ``read`` class method building it from a :class:`Reader`, recording every broken field
  rule; rules that involve several fields go in ``check``;
- what inspection needs: ``dependencies``, ``results`` and ``locals``.

Every action keeps the JSON it was read from (``raw``), so :meth:`Action.to_json` gives back exactly what the
flow holds, unknown keys included.

Execution
---------
Reading and validating is all this package does. The session engine gives an action type behaviour by defining an
``execute`` method on that type's class, in the type's own module, with the signature the engine chooses (the
engine holds the run, the event log and the services; this package imports none of them).
:meth:`Action.is_executable` and :func:`executable_types` report which types have one — for now none — and the
engine runs any other action as goflow runs an unsupported one: an ``error`` event with code
``action_unsupported``, then the next action.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal, TypeAlias, TypeVar

from sauti.engine.actions.refs import Dependency
from sauti.engine.definition.errors import DefinitionError
from sauti.engine.definition.fields import (
    BACKGROUND,
    FLOW_TYPES,
    MAX_NAME,
    OFFLINE,
    VOICE,
    FlowType,
    Reader,
    is_uuid,
)
from sauti.engine.definition.templates import path_values

FlowClass: TypeAlias = Literal["universal", "interactive", "online", "voice"]

ALLOWED_FLOW_TYPES: Final[Mapping[FlowClass, frozenset[FlowType]]] = {
    "universal": frozenset(FLOW_TYPES),
    "interactive": frozenset(t for t in FLOW_TYPES if t != BACKGROUND),
    "online": frozenset(t for t in FLOW_TYPES if t != OFFLINE),
    "voice": frozenset({VOICE}),
}
"""The flow types each flow-type class of action may appear in."""

MAX_TEMPLATE: Final = 10_000
"""The longest template most fields may hold (and the length evaluated text is cut to)."""

SUCCESS: Final = "Success"
SKIPPED: Final = "Skipped"
FAILURE: Final = "Failure"


def is_result_name(value: str) -> bool:
    """1 to 64 characters (the key saved is its snakified form)."""
    return 0 < len(value) <= MAX_NAME


@dataclass(frozen=True, slots=True)
class ResultInfo:
    """A result an action may save: its name and the categories it may have."""

    name: str
    categories: tuple[str, ...] = ()


A = TypeVar("A", bound="Action")


@dataclass(frozen=True, kw_only=True)
class Action(ABC):
    """One step of a node's action list. Subclasses are frozen dataclasses; see the module docstring."""

    TYPE: ClassVar[str] = ""
    FLOW_CLASS: ClassVar[FlowClass] = "universal"
    LOCALIZABLE: ClassVar[tuple[str, ...]] = ()
    TEMPLATES: ClassVar[tuple[str, ...]] = ()

    uuid: str
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    @abstractmethod
    def read(cls: type[A], r: Reader) -> A:
        """Build the action from its JSON object, recording broken field rules on ``r`` (never raising)."""

    def check(self) -> Iterator[str]:
        """Rules that involve several fields, as sentences; nothing by default."""
        return iter(())

    @property
    def type(self) -> str:
        return self.TYPE

    @classmethod
    def allowed_flow_types(cls) -> frozenset[FlowType]:
        return ALLOWED_FLOW_TYPES[cls.FLOW_CLASS]

    @classmethod
    def is_executable(cls) -> bool:
        """Whether the session engine has given this type an ``execute`` method (see the module docstring)."""
        return callable(getattr(cls, "execute", None))

    # ------------------------------------------------------------------------------------------- inspection
    def dependencies(self) -> Iterator[Dependency]:
        """Assets this action names (groups, flows, fields ...), in the order the JSON holds them."""
        return iter(())

    def results(self) -> Iterator[ResultInfo]:
        """Results this action saves (``set_run_result``, legacy webhook and classifier results)."""
        return iter(())

    def locals(self) -> Iterator[str]:
        """Run locals this action writes."""
        return iter(())

    def template_values(self) -> Iterator[tuple[str, str]]:
        """``(property, template)`` for every template in the base-language fields of :attr:`TEMPLATES`."""
        for path in self.TEMPLATES:
            prop = path.split(".")[0].removesuffix("[*]")
            for value in path_values(self.raw, path):
                yield prop, value

    def to_json(self) -> dict[str, Any]:
        """The action's JSON exactly as read (a copy)."""
        return copy.deepcopy(dict(self.raw))


REGISTRY: dict[str, type[Action]] = {}
"""Every action type by its JSON ``type``; filled by :func:`register` as the type modules are imported."""


def register(cls: type[A]) -> type[A]:
    """Class decorator adding an action type to :data:`REGISTRY`."""
    if not cls.TYPE or cls.TYPE in REGISTRY:
        raise ValueError(f"action type {cls.TYPE!r} is empty or already registered")
    REGISTRY[cls.TYPE] = cls
    return cls


def executable_types() -> frozenset[str]:
    """The action types the session engine can execute (see the module docstring)."""
    return frozenset(t for t, cls in REGISTRY.items() if cls.is_executable())


def describe(data: Mapping[str, Any], index: int | None = None) -> str:
    """How messages name an action: ``action[uuid=…, type=…]`` (its index when the UUID is unusable)."""
    uuid, type_ = data.get("uuid"), data.get("type")
    ident = f"uuid={uuid}" if is_uuid(uuid) else f"index={index}" if index is not None else "uuid=?"
    return f"action[{ident}, type={type_}]" if isinstance(type_, str) and type_ else f"action[{ident}]"


def read_action(data: Mapping[str, Any]) -> Action:
    """Read and validate one action. Raises :class:`DefinitionError` naming every broken field rule.

    Flow-type rules (an online action in an offline flow ...) and UUID uniqueness are the flow reader's job.
    """
    if not isinstance(data, Mapping):
        raise DefinitionError("action must be an object")
    r = Reader(data)
    type_ = r.text("type", required=True)
    r.raise_if_errors()
    cls = REGISTRY.get(type_)
    if cls is None:
        raise DefinitionError(f"unknown action type '{type_}'")
    r.uuid("uuid", required=True)
    action = cls.read(r)
    r.raise_if_errors()
    problems = list(action.check())
    if problems:
        raise DefinitionError(", ".join(problems))
    return action


def action_uuid(r: Reader) -> str:
    """The action's UUID as read (its rules are checked by :func:`read_action`)."""
    value = r.get("uuid")
    return value if isinstance(value, str) else ""


def raw_of(r: Reader) -> Mapping[str, Any]:
    """A private copy of the JSON object ``r`` reads, kept by the action for :meth:`Action.to_json`."""
    return copy.deepcopy(dict(r.data))
