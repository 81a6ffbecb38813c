"""The environment a flow session evaluates in: date and time formats, timezone, languages, country, numbers.

An :class:`Environment` is derived from the workspace settings and then merged per contact by the session (the
contact's timezone, language and country override the workspace's). It is a plain frozen value: reading it
never touches a clock or a database. ``from_json``/``to_json`` use goflow's JSON field names so a session or
case file written by goflow reads unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "COLLATIONS",
    "DATE_FORMATS",
    "REDACTION_POLICIES",
    "TIME_FORMATS",
    "Environment",
    "InvalidEnvironment",
    "NumberFormat",
    "load_timezone",
]

DATE_FORMATS: tuple[str, ...] = ("DD-MM-YYYY", "MM-DD-YYYY", "YYYY-MM-DD")
TIME_FORMATS: tuple[str, ...] = ("tt:mm", "tt:mm:ss", "h:mm aa", "h:mm:ss aa")
REDACTION_POLICIES: tuple[str, ...] = ("none", "urns")
COLLATIONS: tuple[str, ...] = ("default", "confusables", "arabic_variants")
_KEEP_MERGED = 256  # merged environments kept per environment (distinct contact timezone, language, country)


class InvalidEnvironment(ValueError):
    """An environment whose JSON or fields can't be used (unknown date format, timezone, language code...)."""


def load_timezone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ``""`` means UTC (as goflow reads an empty timezone). Raises ``InvalidEnvironment``."""
    if name in ("", "UTC"):
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidEnvironment(f"unknown time zone {name}") from None


@dataclass(frozen=True)
class NumberFormat:
    """How numbers are written: ``1,234.5`` is decimal symbol ``.`` and digit grouping symbol ``,``."""

    decimal_symbol: str = "."
    digit_grouping_symbol: str = ","

    def to_json(self) -> dict[str, str]:
        return {"decimal_symbol": self.decimal_symbol, "digit_grouping_symbol": self.digit_grouping_symbol}


def _language(code: Any, what: str) -> str:
    if not isinstance(code, str) or len(code) != 3 or not code.isascii() or not code.isalpha() or not code.islower():
        raise InvalidEnvironment(f"{what} {code!r} is not an ISO-639-3 language code")
    return code


@dataclass(frozen=True)
class Environment:
    """Settings that change how values are parsed, rendered and localised.

    - ``date_format``: one of :data:`DATE_FORMATS`; how ``01-02-2024`` reads and how ``format()`` writes dates.
    - ``time_format``: one of :data:`TIME_FORMATS` (format codes of the expression language).
    - ``timezone``: IANA name; :attr:`tz` is the loaded zone. ``now()``/``today()`` and dates without an offset
      are in this zone.
    - ``default_language``: ISO-639-3 code used for localised month and day names; when ``None`` the first
      of ``allowed_languages`` is used (see :attr:`language`).
    - ``allowed_languages``: the languages a flow may be translated into, workspace order.
    - ``default_country``: ISO-3166 alpha-2 code used to read local phone numbers.
    - ``number_format``: decimal and digit grouping symbols for reading and pretty-printing numbers.
    - ``input_collation``: how router word tests compare tokens (only ``default``, lower-casing, is
      implemented by the router tests today).
    - ``redaction_policy``: ``none`` or ``urns`` (anonymous workspaces hide URNs).
    - ``max_value_length``: the longest a contact field or result value may be (goflow's default 640).
    """

    date_format: str = "YYYY-MM-DD"
    time_format: str = "tt:mm"
    timezone: str = "UTC"
    default_language: str | None = None
    allowed_languages: tuple[str, ...] = ()
    default_country: str | None = None
    number_format: NumberFormat = field(default_factory=NumberFormat)
    input_collation: str = "default"
    redaction_policy: str = "none"
    max_value_length: int = 640

    def __post_init__(self) -> None:
        if not isinstance(self.allowed_languages, tuple):
            object.__setattr__(self, "allowed_languages", tuple(self.allowed_languages))
        if self.date_format not in DATE_FORMATS:
            raise InvalidEnvironment(f"date_format {self.date_format!r} is not one of {', '.join(DATE_FORMATS)}")
        if self.time_format not in TIME_FORMATS:
            raise InvalidEnvironment(f"time_format {self.time_format!r} is not one of {', '.join(TIME_FORMATS)}")
        if self.redaction_policy not in REDACTION_POLICIES:
            raise InvalidEnvironment(f"redaction_policy {self.redaction_policy!r} is not none or urns")
        if self.input_collation not in COLLATIONS:
            raise InvalidEnvironment(f"input_collation {self.input_collation!r} is not one of {', '.join(COLLATIONS)}")
        if self.default_language is not None:
            _language(self.default_language, "default_language")
        for code in self.allowed_languages:
            _language(code, "allowed language")
        if self.default_country is not None and (
            len(self.default_country) != 2 or not self.default_country.isascii() or not self.default_country.isalpha()
        ):
            raise InvalidEnvironment(f"default_country {self.default_country!r} is not an ISO-3166 alpha-2 code")
        if self.max_value_length < 1:
            raise InvalidEnvironment("max_value_length must be positive")
        load_timezone(self.timezone)

    @cached_property
    def tz(self) -> ZoneInfo:
        """The loaded :attr:`timezone`."""
        return load_timezone(self.timezone)

    @property
    def language(self) -> str | None:
        """The language for localised names: ``default_language``, else the first allowed language, else None."""
        if self.default_language is not None:
            return self.default_language
        return self.allowed_languages[0] if self.allowed_languages else None

    @property
    def datetime_format(self) -> str:
        """The default layout of a datetime: the date format, a space, the time format."""
        return f"{self.date_format} {self.time_format}"

    def merged(
        self, *, timezone: str | None = None, language: str | None = None, country: str | None = None
    ) -> Environment:
        """This environment as seen by one contact: each given value overrides the workspace's.

        A ``language`` only becomes the default language when it is one of ``allowed_languages`` (or none are
        listed), as goflow merges a contact's language.
        """
        changes: dict[str, Any] = {}
        if timezone:
            changes["timezone"] = timezone
        if language and (not self.allowed_languages or language in self.allowed_languages):
            changes["default_language"] = language
        if country:
            changes["default_country"] = country.upper()
        if not changes:
            return self
        # Kept per distinct change on this (immutable) environment: a sprint merges the contact into it at every
        # evaluation, and building and checking a new environment each time cost a fifth of an inbound resume.
        # An invalid change raises each time (nothing is kept for it).
        key = (changes.get("timezone"), changes.get("default_language"), changes.get("default_country"))
        kept: dict[tuple[str | None, ...], Environment] | None = self.__dict__.get("_merged")
        if kept is None:
            kept = {}
            object.__setattr__(self, "_merged", kept)
        found = kept.get(key)
        if found is None:
            found = replace(self, **changes)
            if len(kept) >= _KEEP_MERGED:
                kept.clear()
            kept[key] = found
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Environment:
        """Read goflow's environment JSON; missing fields take goflow's defaults. Raises ``InvalidEnvironment``."""
        if not isinstance(data, Mapping):
            raise InvalidEnvironment("environment must be a JSON object")
        number_format = NumberFormat()
        raw_nf = data.get("number_format")
        if raw_nf is not None:
            if not isinstance(raw_nf, Mapping):
                raise InvalidEnvironment("number_format must be an object")
            number_format = NumberFormat(
                decimal_symbol=str(raw_nf.get("decimal_symbol", ".")),
                digit_grouping_symbol=str(raw_nf.get("digit_grouping_symbol", ",")),
            )
        languages = data.get("allowed_languages") or ()
        if not isinstance(languages, list | tuple):
            raise InvalidEnvironment("allowed_languages must be a list")
        max_length = data.get("max_value_length", 640)
        if not isinstance(max_length, int) or isinstance(max_length, bool):
            raise InvalidEnvironment("max_value_length must be an integer")
        return cls(
            date_format=data.get("date_format") or "YYYY-MM-DD",
            time_format=data.get("time_format") or "tt:mm",
            timezone=data.get("timezone") or "UTC",
            default_language=data.get("default_language") or None,
            allowed_languages=tuple(languages),
            default_country=(data.get("default_country") or None),
            number_format=number_format,
            input_collation=data.get("input_collation") or "default",
            redaction_policy=data.get("redaction_policy") or "none",
            max_value_length=max_length,
        )

    def to_json(self) -> dict[str, Any]:
        """goflow's environment JSON (optional fields omitted when unset)."""
        out: dict[str, Any] = {
            "date_format": self.date_format,
            "time_format": self.time_format,
            "timezone": self.timezone,
        }
        if self.default_language is not None:
            out["default_language"] = self.default_language
        if self.allowed_languages:
            out["allowed_languages"] = list(self.allowed_languages)
        if self.default_country is not None:
            out["default_country"] = self.default_country
        out["number_format"] = self.number_format.to_json()
        out["input_collation"] = self.input_collation
        out["redaction_policy"] = self.redaction_policy
        out["max_value_length"] = self.max_value_length
        return out
