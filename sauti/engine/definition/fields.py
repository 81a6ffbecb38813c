"""Reading typed fields out of definition JSON, and the value rules fields share.

A :class:`Reader` wraps one JSON object. Each of its methods reads one field as a typed Python value and, when
the field breaks a rule, records a sentence such as ``field 'text' is required`` instead of raising, so one
object reports all its broken fields at once (joined with ``", "``). Nested objects read through
:meth:`Reader.child` / :meth:`Reader.children` share the error list and prefix field names
(``field 'groups[0].uuid' must be a valid UUID``). :meth:`Reader.raise_if_errors` turns the collected sentences
into a :class:`DefinitionError`.

JSON ``null`` counts as absent everywhere. "Required" means present and, for text, non-empty; for lists, present
(an empty list is allowed unless a minimum is given) — the semantics of the flow spec's validators. Lengths are
counted in characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias

import pycountry

from sauti.engine.definition.errors import DefinitionError

FlowType: TypeAlias = Literal["messaging", "messaging_background", "messaging_offline", "voice"]
MESSAGING: Final = "messaging"
BACKGROUND: Final = "messaging_background"
OFFLINE: Final = "messaging_offline"
VOICE: Final = "voice"
FLOW_TYPES: Final[tuple[FlowType, ...]] = (MESSAGING, BACKGROUND, OFFLINE, VOICE)

_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_LOCAL_RE = re.compile(r"[a-z_][a-z0-9_]{0,63}")
_CONTENT_TYPE_RE = re.compile(r"(image|audio|video|application|geo|unavailable|(\w+/[-+.\w]+))", re.ASCII)
_HEADER_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

MAX_NAME = 64
"""Result names, category names and most asset reference names."""


def is_uuid(value: object) -> bool:
    """A lower-case hexadecimal UUID (``8-4-4-4-12``), as every flow editor writes them."""
    return isinstance(value, str) and _UUID_RE.fullmatch(value) is not None


def is_language(value: object) -> bool:
    """A lower-case ISO-639-3 code (``eng``, ``swa``) including the special ``und`` and ``mul``."""
    if not isinstance(value, str) or len(value) != 3 or not value.isascii() or not value.islower():
        return False
    try:
        return pycountry.languages.get(alpha_3=value) is not None
    except KeyError:  # older pycountry raises instead of returning None
        return False


def is_local_name(value: str) -> bool:
    """A run local's name: ``[a-z_][a-z0-9_]*``, at most 64 characters."""
    return _LOCAL_RE.fullmatch(value) is not None


def is_attachment(value: str) -> bool:
    """``<content type>:<url>`` where the type is a media type or one of ``image audio video application geo``."""
    content_type, colon, url = value.partition(":")
    return bool(colon) and bool(url) and _CONTENT_TYPE_RE.fullmatch(content_type.lower()) is not None


def is_header_name(value: str) -> bool:
    """An HTTP header field name (an RFC 7230 token)."""
    return _HEADER_NAME_RE.fullmatch(value) is not None


def json_size(value: object) -> int:
    """Bytes of ``value`` written as compact UTF-8 JSON (how size limits on free-form JSON are measured)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode())


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with ``...`` when cut (used to quote long values in messages)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Reader:
    """Typed access to one JSON object, collecting one sentence per broken field rule."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "", errors: list[str] | None = None) -> None:
        self.data = data
        self.prefix = prefix
        self.errors: list[str] = [] if errors is None else errors

    # ------------------------------------------------------------------------------------------------ basics
    def name(self, key: str) -> str:
        """The field's name as messages show it (with the prefix of its parents)."""
        return f"{self.prefix}{key}"

    def fail(self, key: str, problem: str) -> None:
        """Record ``field '<key>' <problem>``."""
        self.errors.append(f"field '{self.name(key)}' {problem}")

    def get(self, key: str) -> Any:
        """The raw value of ``key``; ``None`` when absent or null."""
        return self.data.get(key)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raise_if_errors(self, where: Sequence[str] = ()) -> None:
        """Raise one :class:`DefinitionError` holding every sentence recorded so far."""
        if self.errors:
            raise DefinitionError(", ".join(self.errors), where)

    # ------------------------------------------------------------------------------------------------ scalars
    def text(
        self,
        key: str,
        *,
        required: bool = False,
        max_len: int | None = None,
        check: Callable[[str], bool] | None = None,
        problem: str = "",
    ) -> str:
        """A string field ("" when absent). ``check`` (with its ``problem`` sentence) applies to non-empty values."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "is required")
            return ""
        if not isinstance(value, str):
            self.fail(key, "must be a string")
            return ""
        if required and value == "":
            self.fail(key, "is required")
        elif max_len is not None and len(value) > max_len:
            self.fail(key, f"can't be longer than {max_len} characters (is {len(value)})")
        elif check is not None and value != "" and not check(value):
            self.fail(key, problem)
        return value

    def optional_text(
        self, key: str, *, max_len: int | None = None, check: Callable[[str], bool] | None = None, problem: str = ""
    ) -> str | None:
        """A string field that is ``None`` when absent, null or empty."""
        return self.text(key, max_len=max_len, check=check, problem=problem) or None

    def uuid(self, key: str, *, required: bool = False) -> str:
        """A UUID field ("" when absent and not required)."""
        return self.text(key, required=required, check=is_uuid, problem="must be a valid UUID")

    def choice(self, key: str, choices: Iterable[str], problem: str) -> str:
        """A required string that must be one of ``choices``."""
        value = self.data.get(key)
        if isinstance(value, str) and value in set(choices):
            return value
        if value is None or value == "":
            self.fail(key, "is required")
        elif not isinstance(value, str):
            self.fail(key, "must be a string")
        else:
            self.fail(key, problem)
        return ""

    def integer(self, key: str, *, default: int = 0, required: bool = False, positive: bool = False) -> int:
        """An integer field (``default`` when absent)."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "is required")
            return default
        if not _is_int(value):
            self.fail(key, "must be an integer")
            return default
        if positive and value <= 0:
            self.fail(key, "must be greater than 0")
        return int(value)

    def boolean(self, key: str) -> bool:
        """A boolean field (``False`` when absent)."""
        value = self.data.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.fail(key, "must be a boolean")
            return False
        return value

    def decimal(self, value: object, key: str) -> Decimal | None:
        """``value`` (a JSON number or numeric string found under ``key``) as an exact decimal."""
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            self.fail(key, "must be a number")
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(key, "must be a number")
            return None
        if not number.is_finite():
            self.fail(key, "must be a number")
            return None
        return number

    # ------------------------------------------------------------------------------------------------ lists/maps
    def _list(self, key: str, *, required: bool, min_items: int, max_items: int | None) -> list[Any] | None:
        value = self.data.get(key)
        if value is None:
            if required or min_items:
                self.fail(key, "is required")
            return None
        if not isinstance(value, list):
            self.fail(key, "must be a list")
            return None
        if len(value) < min_items:
            self.fail(key, f"must have at least {min_items} item{'s' if min_items > 1 else ''}")
        if max_items is not None and len(value) > max_items:
            self.fail(key, f"can't have more than {max_items} items (has {len(value)})")
        return value

    def texts(
        self,
        key: str,
        *,
        required: bool = False,
        min_items: int = 0,
        max_items: int | None = None,
        item_max: int | None = None,
        item_check: Callable[[str], bool] | None = None,
        item_problem: str = "",
    ) -> tuple[str, ...]:
        """A list of strings (empty when absent); each item may have a length limit and a check."""
        items = self._list(key, required=required, min_items=min_items, max_items=max_items)
        if items is None:
            return ()
        out: list[str] = []
        for i, item in enumerate(items):
            name = f"{key}[{i}]"
            if not isinstance(item, str):
                self.fail(name, "must be a string")
            elif item_max is not None and len(item) > item_max:
                self.fail(name, f"can't be longer than {item_max} characters (is {len(item)})")
            elif item_check is not None and not item_check(item):
                self.fail(name, item_problem)
            else:
                out.append(item)
        return tuple(out)

    def text_map(self, key: str, *, max_items: int, key_max: int, value_max: int) -> Mapping[str, str]:
        """An object of string values (empty when absent), read-only."""
        value = self.data.get(key)
        if value is None:
            return MappingProxyType({})
        if not isinstance(value, Mapping):
            self.fail(key, "must be an object")
            return MappingProxyType({})
        if len(value) > max_items:
            self.fail(key, f"can't have more than {max_items} items (has {len(value)})")
        out: dict[str, str] = {}
        for k, v in value.items():
            name = f"{key}[{k}]"
            if len(k) > key_max:
                self.fail(name, f"name can't be longer than {key_max} characters (is {len(k)})")
            elif not isinstance(v, str):
                self.fail(name, "must be a string")
            elif len(v) > value_max:
                self.fail(name, f"can't be longer than {value_max} characters (is {len(v)})")
            else:
                out[k] = v
        return MappingProxyType(out)

    def mapping(self, key: str) -> Mapping[str, Any] | None:
        """A raw JSON object field (``None`` when absent)."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail(key, "must be an object")
            return None
        return value

    def child(self, key: str, *, required: bool = False) -> Reader | None:
        """A nested object read with this reader's errors, its fields named ``key.field``."""
        value = self.mapping(key)
        if value is None:
            if required and self.data.get(key) is None:
                self.fail(key, "is required")
            return None
        return Reader(value, f"{self.name(key)}.", self.errors)

    def children(
        self, key: str, *, required: bool = False, min_items: int = 0, max_items: int | None = None
    ) -> list[Reader]:
        """A list of nested objects read with this reader's errors, their fields named ``key[i].field``."""
        items = self._list(key, required=required, min_items=min_items, max_items=max_items)
        out: list[Reader] = []
        for i, item in enumerate(items or ()):
            if item is None:
                self.fail(f"{key}[{i}]", "is required")
            elif not isinstance(item, Mapping):
                self.fail(f"{key}[{i}]", "must be an object")
            else:
                out.append(Reader(item, f"{self.name(key)}[{i}].", self.errors))
        return out

    def objects(self, key: str, *, required: bool = False) -> list[Mapping[str, Any]]:
        """A list of objects read separately (nodes, actions): only the list and its items' shape are checked."""
        items = self._list(key, required=required, min_items=0, max_items=None)
        out: list[Mapping[str, Any]] = []
        for i, item in enumerate(items or ()):
            if item is None:
                self.fail(f"{key}[{i}]", "is required")
            elif not isinstance(item, Mapping):
                self.fail(f"{key}[{i}]", "must be an object")
            else:
                out.append(item)
        return out


def flow_location(data: Mapping[str, Any]) -> str:
    """How messages name a flow: ``flow[uuid=…, name=…]`` with whichever of the two is usable."""
    uuid, name = data.get("uuid"), data.get("name")
    parts = []
    if is_uuid(uuid):
        parts.append(f"uuid={uuid}")
    if isinstance(name, str) and name:
        parts.append(f"name={truncate(name, MAX_NAME)}")
    return f"flow[{', '.join(parts)}]" if parts else "flow"
