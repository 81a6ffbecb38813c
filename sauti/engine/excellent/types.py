"""The values of the expression language.

``None`` is null. Every other value is one of the classes below; :data:`XValue` is their union and
:data:`Value` adds ``None``. Values are immutable; an :class:`XObject` or :class:`XArray` may be built lazily
from a callable (the session context is large and most templates read a few keys of it).

Errors are values too (:class:`XError`): a failed lookup or conversion produces one, it flows through
operators and functions, and a template turns it into an empty string plus an error message.

Three textual forms exist, each a module-level function here so that ``None`` is handled in one place:

- :func:`render`: the canonical text a template writes (``1234.5``, ``2019-04-11T10:30:45.123456-05:00``);
- :func:`describe`: the short form used inside error messages (``"abc"``, ``3``, ``object``, ``null``);
- :func:`truthy`: whether the value counts as true for ``if``, ``and``, ``boolean()``...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Final, TypeAlias

from sauti.engine.excellent.numbers import render_number

if TYPE_CHECKING:
    from sauti.engine.excellent.runtime import Eval

__all__ = [
    "DEFAULT_KEY",
    "TOO_COMPLEX",
    "Value",
    "XArray",
    "XBoolean",
    "XDate",
    "XDateTime",
    "XError",
    "XFunction",
    "XNumber",
    "XObject",
    "XText",
    "XTime",
    "XValue",
    "cost_of",
    "describe",
    "equals",
    "go_quote",
    "is_error",
    "iso_date",
    "iso_datetime",
    "iso_time",
    "render",
    "same_type",
    "truthy",
    "type_name",
]

DEFAULT_KEY: Final = "__default__"


# ----------------------------------------------------------------------------------------------- renderers


def iso_date(value: dt.date) -> str:
    """``YYYY-MM-DD`` (the year always four digits)."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def iso_time(value: dt.time) -> str:
    """``HH:MM:SS.ffffff``."""
    return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"


def _offset(value: dt.datetime, utc_as_z: bool) -> str:
    offset = value.utcoffset() or dt.timedelta(0)
    seconds = int(offset.total_seconds())
    if seconds == 0 and utc_as_z:
        return "Z"
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def iso_datetime(value: dt.datetime) -> str:
    """ISO-8601 with microseconds and offset, ``Z`` for a zero offset: ``2019-04-11T10:30:45.123456-05:00``."""
    return f"{iso_date(value)}T{iso_time(value.timetz())}{_offset(value, True)}"


_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(text: str) -> str:
    """``text`` in double quotes with Go's escapes (how goflow names a text value inside an error message)."""
    out = ['"']
    for ch in text:
        escaped = _GO_ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            if code < 0x80:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


# ----------------------------------------------------------------------------------------------- values


class XText:
    """Text. Truthy unless empty or (case-insensitively) ``"false"``."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def render(self) -> str:
        return self.value

    def describe(self) -> str:
        return go_quote(self.value)

    def truthy(self) -> bool:
        return self.value != "" and self.value.lower() != "false"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XText) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("text", self.value))

    def __repr__(self) -> str:
        return f"XText({self.value!r})"


class XNumber:
    """A decimal number (never a float). Rendered without exponent or trailing zeros."""

    __slots__ = ("value",)

    def __init__(self, value: Decimal | int) -> None:
        self.value = value if isinstance(value, Decimal) else Decimal(value)

    def render(self) -> str:
        return render_number(self.value)

    def describe(self) -> str:
        return self.render()

    def truthy(self) -> bool:
        return self.value != 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XNumber) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("number", self.value))

    def __repr__(self) -> str:
        return f"XNumber({self.render()})"


class XBoolean:
    """``true`` or ``false``."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def render(self) -> str:
        return "true" if self.value else "false"

    def describe(self) -> str:
        return self.render()

    def truthy(self) -> bool:
        return self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XBoolean) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("boolean", self.value))

    def __repr__(self) -> str:
        return f"XBoolean({self.value})"


class XDate:
    """A calendar date, rendered ``YYYY-MM-DD``."""

    __slots__ = ("value",)

    def __init__(self, value: dt.date) -> None:
        self.value = value

    def render(self) -> str:
        return iso_date(self.value)

    def describe(self) -> str:
        return "date"

    def truthy(self) -> bool:
        return True  # Python has no zero date: every date value is a real day

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XDate) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("date", self.value))

    def __repr__(self) -> str:
        return f"XDate({self.render()})"


class XDateTime:
    """An instant with its timezone (always aware), rendered ISO-8601 with microseconds and offset."""

    __slots__ = ("value",)

    def __init__(self, value: dt.datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("XDateTime needs an aware datetime")
        self.value = value

    def render(self) -> str:
        return iso_datetime(self.value)

    def describe(self) -> str:
        return "datetime"

    def truthy(self) -> bool:
        return True  # as XDate: a zero instant doesn't exist here

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XDateTime) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("datetime", self.value))

    def __repr__(self) -> str:
        return f"XDateTime({self.render()})"


class XTime:
    """A time of day, rendered ``HH:MM:SS.ffffff``. Midnight is falsy."""

    __slots__ = ("value",)

    def __init__(self, value: dt.time) -> None:
        self.value = value.replace(tzinfo=None)

    def render(self) -> str:
        return iso_time(self.value)

    def describe(self) -> str:
        return "time"

    def truthy(self) -> bool:
        return self.value != dt.time(0, 0)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XTime) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("time", self.value))

    def __repr__(self) -> str:
        return f"XTime({self.render()})"


class XArray:
    """An ordered list of values (``None`` items allowed). ``XArray.lazy(fn)`` computes the items when first read."""

    __slots__ = ("_items", "_source")

    def __init__(self, items: Sequence[Value] = ()) -> None:
        self._items: tuple[Value, ...] | None = tuple(items)
        self._source: Callable[[], Sequence[Value]] | None = None

    @classmethod
    def lazy(cls, source: Callable[[], Sequence[Value]]) -> XArray:
        array = cls(())
        array._items = None
        array._source = source
        return array

    @property
    def items(self) -> tuple[Value, ...]:
        if self._items is None:
            assert self._source is not None
            self._items = tuple(self._source())
            self._source = None
        return self._items

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Value]:
        return iter(self.items)

    def __getitem__(self, index: int) -> Value:
        return self.items[index]

    def render(self) -> str:
        return "[" + ", ".join(render(v) for v in self.items) + "]"

    def describe(self) -> str:
        return "array"

    def truthy(self) -> bool:
        return len(self.items) > 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XArray) and equals(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "XArray[" + ", ".join(repr(v) for v in self.items) + "]"


_NO_DEFAULT: Final = object()


class XObject:
    """Named properties in insertion order, plus an optional default value that stands for the whole object.

    A ``__default__`` key among ``properties`` (or the ``default`` keyword) sets the default: ``@contact``
    renders as the contact's name that way. The default is not a property: :meth:`get`, :meth:`keys`,
    ``count()`` and ``keys()`` never see it. Property lookup is case-insensitive, an exact match winning.
    """

    __slots__ = ("_default", "_has_default", "_index", "_makers", "_props", "_source")

    def __init__(self, properties: Mapping[str, Value] | None = None, *, default: object = _NO_DEFAULT) -> None:
        self._props: dict[str, Value] | None = None
        self._source: Callable[[], Mapping[str, Value]] | None = None
        self._index: dict[str, str] | None = None
        self._makers: tuple[Mapping[str, Callable[[], Value]], dict[str, Value]] | None = None
        self._default: Value = None
        self._has_default = False
        self._set(properties or {}, default)

    @classmethod
    def lazy(cls, source: Callable[[], Mapping[str, Value]], *, default: object = _NO_DEFAULT) -> XObject:
        """An object whose properties come from ``source()`` when first needed (a ``__default__`` key works)."""
        obj = cls.__new__(cls)  # the slots set directly: a root context makes a dozen of these per evaluation
        obj._props = None
        obj._source = source
        obj._index = None
        obj._makers = None
        obj._has_default = default is not _NO_DEFAULT
        obj._default = default if obj._has_default else None  # type: ignore[assignment]
        return obj

    @classmethod
    def lazy_each(cls, makers: Mapping[str, Callable[[], Value]], *, default: object = _NO_DEFAULT) -> XObject:
        """An object whose each property is made by its maker when it is first looked up, and all of them once
        the whole object is needed (its keys, its rendering, its default): a template that reads
        ``@contact.name`` makes no other of the root context's values. Each value is made at most once.
        ``makers`` holds no ``__default__``: the default is given as such."""
        made: dict[str, Value] = {}

        def every() -> dict[str, Value]:
            return {key: made[key] if key in made else make() for key, make in makers.items()}

        obj = cls.lazy(every, default=default)
        obj._makers = (makers, made)
        return obj

    def _set(self, properties: Mapping[str, Value], default: object) -> None:
        props = dict(properties)
        if DEFAULT_KEY in props:
            self._default = props.pop(DEFAULT_KEY)
            self._has_default = True
        if default is not _NO_DEFAULT:
            self._default = default  # type: ignore[assignment]
            self._has_default = True
        self._props = props

    def _properties(self) -> dict[str, Value]:
        if self._props is None:
            assert self._source is not None
            source, self._source = self._source, None
            self._set(source(), self._default if self._has_default else _NO_DEFAULT)
        assert self._props is not None
        return self._props

    @property
    def properties(self) -> Mapping[str, Value]:
        """The properties (never the default), in insertion order."""
        return self._properties()

    @property
    def has_default(self) -> bool:
        self._properties()
        return self._has_default

    @property
    def default(self) -> Value:
        """The default value (``None`` also when there is none: check :attr:`has_default`)."""
        self._properties()
        return self._default

    def keys(self) -> list[str]:
        """Property names sorted (byte order of their UTF-8, as goflow sorts them)."""
        return sorted(self._properties())

    def __len__(self) -> int:
        return len(self._properties())

    def names(self) -> tuple[str, ...]:
        """The property names in insertion order (for :meth:`lazy_each`, without making any value)."""
        if self._props is None and self._makers is not None:
            return tuple(self._makers[0])
        return tuple(self._properties())

    def lookup(self, key: str) -> tuple[bool, Value]:
        """``(found, value)`` for ``key``, case-insensitively (an exact match preferred)."""
        if self._props is None and self._makers is not None:
            makers, made = self._makers
            name: str | None = key if key in makers else self._name_of(makers, key)
            if name is None:
                return False, None
            if name not in made:
                made[name] = makers[name]()
            return True, made[name]
        props = self._properties()
        if key in props:
            return True, props[key]
        name = self._name_of(props, key)
        if name is None:
            return False, None
        return True, props[name]

    def _name_of(self, props: Mapping[str, object], key: str) -> str | None:
        """The first property whose name is ``key`` but for case."""
        if self._index is None:
            index: dict[str, str] = {}
            for prop in props:
                index.setdefault(prop.lower(), prop)
            self._index = index
        return self._index.get(key.lower())

    def get(self, key: str) -> Value:
        """The value of ``key`` (case-insensitive), ``None`` when missing."""
        return self.lookup(key)[1]

    def render(self) -> str:
        if self.has_default:
            return render(self._default)
        props = self._properties()
        return "{" + ", ".join(f"{k}: {render(props[k])}" for k in self.keys()) + "}"

    def describe(self) -> str:
        return "object"

    def truthy(self) -> bool:
        if self.has_default:
            return truthy(self._default)
        return len(self._properties()) > 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XObject) and equals(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = [f"{DEFAULT_KEY}: {self._default!r}"] if self.has_default else []
        props = self._properties()
        parts += [f"{k}: {props[k]!r}" for k in self.keys()]
        return "XObject{" + ", ".join(parts) + "}"


class XError:
    """An error value: its message is what a template reports. ``fatal`` errors (the evaluation budget) stop
    the whole evaluation and are never wrapped in "error calling ..." context."""

    __slots__ = ("fatal", "message")

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        self.message = message
        self.fatal = fatal

    def render(self) -> str:
        return self.message

    def describe(self) -> str:
        return "error"

    def truthy(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XError) and other.message == self.message

    def __hash__(self) -> int:
        return hash(("error", self.message))

    def __repr__(self) -> str:
        return f"XError({self.message!r})"


XFunc: TypeAlias = "Callable[..., Value]"


class XFunction:
    """A function value: a builtin (named) or an anonymous ``(x) => ...`` (name ``""``, shown as ``<anon>``).

    Calling it directly (``fn(ev, *args)``) runs the implementation as is; the evaluator calls it through
    :func:`sauti.engine.excellent.runtime.call_function`, which adds goflow's "error calling ..." context and
    charges the evaluation budget.
    """

    __slots__ = ("fn", "name")

    def __init__(self, name: str, fn: Callable[..., Value]) -> None:
        self.name = name
        self.fn = fn

    def __call__(self, ev: Eval, *args: Value) -> Value:
        return self.fn(ev, *args)

    @property
    def display_name(self) -> str:
        return self.name or "<anon>"

    def render(self) -> str:
        return self.display_name

    def describe(self) -> str:
        return f"{self.display_name}(...)"

    def truthy(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XFunction) and equals(self, other)

    def __hash__(self) -> int:
        return hash(("function", self.name, id(self.fn) if not self.name else 0))

    def __repr__(self) -> str:
        return f"XFunction[{self.display_name}]"


XValue: TypeAlias = XText | XNumber | XBoolean | XDate | XDateTime | XTime | XArray | XObject | XError | XFunction
Value: TypeAlias = XValue | None

TOO_COMPLEX: Final = XError("expression is too complex to evaluate", fatal=True)


# ----------------------------------------------------------------------------------------------- helpers


def render(value: Value) -> str:
    """The canonical text of ``value`` (null is ``""``, an error its message)."""
    return "" if value is None else value.render()


def describe(value: Value) -> str:
    """How an error message names ``value``: ``"abc"`` for text, ``3``, ``true``, ``date``, ``object``, ``null``."""
    return "null" if value is None else value.describe()


def truthy(value: Value) -> bool:
    """Whether ``value`` counts as true (null and errors never do)."""
    return False if value is None else value.truthy()


def is_error(value: Value) -> bool:
    return isinstance(value, XError)


_TYPE_NAMES: dict[type, str] = {
    XText: "text",
    XNumber: "number",
    XBoolean: "boolean",
    XDate: "date",
    XDateTime: "datetime",
    XTime: "time",
    XArray: "array",
    XObject: "object",
    XError: "error",
    XFunction: "function",
}


def type_name(value: Value) -> str:
    """``null``, ``text``, ``number``, ``boolean``, ``date``, ``datetime``, ``time``, ``array``, ``object``,
    ``error`` or ``function``."""
    return "null" if value is None else _TYPE_NAMES[type(value)]


def same_type(a: Value, b: Value) -> bool:
    return type(a) is type(b)


def equals(a: Value, b: Value) -> bool:
    """goflow's equality: same type and same value (numbers by value, datetimes by instant, objects by their
    default and every property, functions by a shared non-empty name)."""
    if a is None or b is None:
        return a is None and b is None
    if type(a) is not type(b):
        return False
    if isinstance(a, XArray):
        assert isinstance(b, XArray)
        return len(a) == len(b) and all(equals(x, y) for x, y in zip(a.items, b.items, strict=True))
    if isinstance(a, XObject):
        assert isinstance(b, XObject)
        if (a.has_default or b.has_default) and not (a.has_default == b.has_default and equals(a.default, b.default)):
            return False
        keys = a.keys()
        if keys != b.keys():
            return False
        return all(equals(a.properties[k], b.properties[k]) for k in keys)
    if isinstance(a, XFunction):
        assert isinstance(b, XFunction)
        return bool(a.name) and a.name == b.name
    return a == b


def cost_of(value: Value) -> int:
    """What producing ``value`` costs against the evaluation budget: text its UTF-8 length (at least 1),
    anything else 1."""
    if isinstance(value, XText):
        return max(1, len(value.value.encode("utf-8", "surrogatepass")))
    return 1
