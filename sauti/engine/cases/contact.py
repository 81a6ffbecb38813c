"""Contact and structured tests: ``has_phone``, ``has_email``, ``has_group``, ``has_category``, ``has_error``,
the classifier tests ``has_intent`` and ``has_top_intent``, and the location tests ``has_state``,
``has_district``, ``has_ward``.

What Sauti can't answer, and how those tests behave so that a flow using them still reads and runs:

- ``has_intent`` / ``has_top_intent`` (``operand`` a classifier result, then intent name and minimum
  confidence) read the classification a ``call_classifier`` saved as the result's ``extra``: ``has_intent``
  matches when any intent has the name (case-insensitive) with at least the confidence, ``has_top_intent``
  only when the best one does. The match is the intent's name and ``extra`` the best value of each entity
  (``@results.intent.extra.date``...). A result without a classification never matches. DECISION: goflow, which
  no longer calls classifiers, always answers false; Sauti calls Wit.ai classifiers, so these tests answer from
  the classification (pinned by the cases in ``router_tests/contact.json``).
- ``has_state``, ``has_district``, ``has_ward`` need a location hierarchy (country > state > district > ward,
  with aliases and fuzzy name matching) that Sauti doesn't hold. They return goflow's error for an environment
  without locations, ``can't find locations in environment which is not location enabled``, which the router
  logs before taking its default category. Their argument counts are checked first (``has_ward`` with
  goflow's own wording, ``takes one or three arguments, got 2``); ``has_state`` converts its operand to text
  before failing, as goflow does, so an error operand is its result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

import phonenumbers
import regex

from sauti.engine.cases.base import FALSE_RESULT, case_test, true_result
from sauti.engine.excellent.functions.base import array_arg, number_arg, object_arg, text_arg
from sauti.engine.excellent.functions.text import GO_SPACE
from sauti.engine.excellent.jsonvalues import to_json
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XError, XObject, XText

__all__ = [
    "LOCATIONS_ERROR",
    "find_phone_numbers",
    "has_category",
    "has_district",
    "has_email",
    "has_error",
    "has_group",
    "has_intent",
    "has_phone",
    "has_state",
    "has_top_intent",
    "has_ward",
    "parse_phone_number",
]

LOCATIONS_ERROR: Final = "can't find locations in environment which is not location enabled"

# ----------------------------------------------------------------------------------------------- phones

_POSSIBLE_PHONE: Final = regex.compile(r"\+?[0-9 .\-()]{5,}")
_NON_ALPHANUMERIC: Final = regex.compile(r"[^0-9A-Za-z]")
_E164: Final = regex.compile(r"\+[0-9]{7,15}")


def _possible(number: phonenumbers.PhoneNumber) -> bool:
    return bool(phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE)


def _stable_e164(number: phonenumbers.PhoneNumber) -> str | None:
    """``number`` in E.164 if that form reads back as itself (within a few rounds); a national number with a
    leading zero can format to an E.164 text that parses as another number."""
    e164 = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    for _ in range(3):
        try:
            again = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            return None
        if not _possible(again):
            return None
        formatted = str(phonenumbers.format_number(again, phonenumbers.PhoneNumberFormat.E164))
        if formatted == e164:
            return e164
        e164 = formatted
    return None


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def parse_phone_number(candidate: str, country: str) -> str | None:
    """``candidate`` (digits, spaces, ``. - ( )``, an optional leading ``+``) as an E.164 number, or ``None``.

    The number is read with libphonenumber for ``country`` (ISO-3166 alpha-2, any case; ``""`` for none, when
    only international numbers read) once as written and, when it has at least 11 characters and doesn't start
    with 0, once more with a ``+`` in front; the first reading that libphonenumber calls *possible* (right
    length for its country) and that has 7 to 15 digits wins. A junk country reads nothing.
    """
    text = candidate.strip(GO_SPACE)
    if not _POSSIBLE_PHONE.fullmatch(text):
        return None
    digits = _NON_ALPHANUMERIC.sub("", text)
    raw = "+" + digits if text.startswith("+") else digits
    region = country.upper() or None
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        return None
    readings = [raw]
    if len(raw) >= 11 and not raw.startswith("0"):
        readings.append("+" + raw)
    for reading in readings:
        number = _parse(reading, region)
        if number is not None and _possible(number):
            e164 = _stable_e164(number)
            if e164 is not None and _E164.fullmatch(e164):
                return e164
    return None


def find_phone_numbers(text: str, country: str) -> list[str]:
    """Every phone number in ``text``, in order, as E.164 (see :func:`parse_phone_number`)."""
    found: list[str] = []
    for candidate in _POSSIBLE_PHONE.findall(text):
        number = parse_phone_number(candidate, country)
        if number is not None:
            found.append(number)
    return found


@case_test("has_phone", 1, 2)
def has_phone(ev: Eval, operand: Value, *country: Value) -> Value:
    """A phone number in the text, read for ``country`` (default: the environment's country; with neither,
    only numbers written internationally, ``+254...``, are found). The match is the first one, in E.164."""
    text = text_arg(operand)
    code = text_arg(country[0]) if country else (ev.env.default_country or "")
    numbers = find_phone_numbers(text, code)
    return true_result(XText(numbers[0])) if numbers else FALSE_RESULT


# ----------------------------------------------------------------------------------------------- emails

_EMAIL: Final = regex.compile(
    r"([\p{L}\p{N}][-_+$~.\p{L}\p{N}]*)@([\p{L}\p{N}][-_\p{L}\p{N}]*)(\.[\p{L}\p{N}][-_\p{L}\p{N}]*)+"
)


@case_test("has_email", 1, 1)
def has_email(ev: Eval, operand: Value) -> Value:
    """An email address in the text: a letter or digit, then letters, digits or ``- _ + $ ~ .``; ``@``; a domain
    label starting with a letter or digit; one or more ``.label`` parts. The match is the first address."""
    found = _EMAIL.search(text_arg(operand))
    return true_result(XText(found.group(0))) if found is not None else FALSE_RESULT


# ----------------------------------------------------------------------------------------------- groups, results


@case_test("has_group", 2, 3)
def has_group(ev: Eval, operand: Value, group_uuid: Value, *name: Value) -> Value:
    """True when the operand (normally ``@contact.groups``, null counting as no groups) holds a group object
    whose ``uuid`` is ``group_uuid``; the match is that object. The optional group name (the editor writes it)
    isn't used. An item that isn't an object is an error result."""
    groups = array_arg(operand)
    wanted = text_arg(group_uuid)
    for item in groups:
        group = object_arg(item)
        if text_arg(group.get("uuid")) == wanted:
            return true_result(group)
    return FALSE_RESULT


_RESULT_TEXTS: Final = ("value", "category", "category_localized", "node_uuid", "input")


def _category_of(data: Any) -> str | None:
    """The category of a run result written as JSON, or ``None`` when it isn't a result: a result has a
    non-empty text ``name``, a ``created_on`` datetime, and text (or null) ``value``, ``category``,
    ``category_localized``, ``node_uuid`` and ``input``."""
    if not isinstance(data, dict):
        return None
    name, created_on = data.get("name"), data.get("created_on")
    if not isinstance(name, str) or not name or not isinstance(created_on, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(created_on.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None or moment.year < 2:
        return None
    if any(data.get(key) is not None and not isinstance(data.get(key), str) for key in _RESULT_TEXTS):
        return None
    category = data.get("category")
    return category if isinstance(category, str) else ""


@case_test("has_category", 2, None)
def has_category(ev: Eval, operand: Value, *categories: Value) -> Value:
    """True when the operand is a run result (``@results.color``) whose category is exactly (case-sensitive)
    one of the arguments; the match is the category. An operand that isn't a result is the error ``first
    argument must be a result``."""
    result = object_arg(operand)
    wanted = [text_arg(category) for category in categories]
    category = _category_of(to_json(result))
    if category is None:
        return XError("first argument must be a result")
    return true_result(XText(category)) if category in wanted else FALSE_RESULT


@case_test("has_error", 1, 1)
def has_error(ev: Eval, operand: Value) -> Value:
    """True when the operand is an error value (a failed lookup, a webhook value that didn't parse...); the
    match is its message."""
    if isinstance(operand, XError):
        return true_result(XText(operand.message))
    return FALSE_RESULT


# ----------------------------------------------------------------------------------------------- unsupported


def _confidence(value: Any) -> Decimal | None:
    """A confidence as saved: a number, or a decimal text (how ``call_classifier`` stores them)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except ArithmeticError:
            return None
    return None


def _classification(operand: Value) -> tuple[list[tuple[str, Decimal]], dict[str, str]]:
    """The intents (best first, as saved) and each entity's best value of a classifier result."""
    data = to_json(object_arg(operand))
    extra = data.get("extra") if isinstance(data, dict) else None
    if not isinstance(extra, dict):
        return [], {}
    intents: list[tuple[str, Decimal]] = []
    for item in extra.get("intents") or ():
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            confidence = _confidence(item.get("confidence"))
            if confidence is not None:
                intents.append((item["name"], confidence))
    entities: dict[str, str] = {}
    found = extra.get("entities")
    for name, values in found.items() if isinstance(found, dict) else ():
        if isinstance(values, list) and values and isinstance(values[0], dict) and "value" in values[0]:
            entities[str(name)] = str(values[0]["value"])
    return intents, entities


def _intent_result(
    intents: Sequence[tuple[str, Decimal]], entities: dict[str, str], name: str, minimum: Decimal
) -> Value:
    wanted = name.strip().lower()
    for intent, confidence in intents:
        if intent.lower() == wanted and confidence >= minimum:
            extra = XObject({k: XText(v) for k, v in entities.items()})
            return true_result(XText(intent), extra)
    return FALSE_RESULT


@case_test("has_intent", 3, 3)
def has_intent(ev: Eval, operand: Value, name: Value, confidence: Value) -> Value:
    """True when the classifier result has an intent called ``name`` with at least ``confidence``."""
    intents, entities = _classification(operand)
    return _intent_result(intents, entities, text_arg(name), number_arg(confidence))


@case_test("has_top_intent", 3, 3)
def has_top_intent(ev: Eval, operand: Value, name: Value, confidence: Value) -> Value:
    """True when the classifier result's best intent is called ``name`` with at least ``confidence``."""
    intents, entities = _classification(operand)
    return _intent_result(intents[:1], entities, text_arg(name), number_arg(confidence))


@case_test("has_state", 1, 1)
def has_state(ev: Eval, operand: Value) -> Value:
    """Needs location data: the error :data:`LOCATIONS_ERROR` (see the module docstring)."""
    text_arg(operand)
    return XError(LOCATIONS_ERROR)


@case_test("has_district", 1, 2)
def has_district(ev: Eval, operand: Value, *state: Value) -> Value:
    """Needs location data: the error :data:`LOCATIONS_ERROR`."""
    return XError(LOCATIONS_ERROR)


@case_test("has_ward", 0, None)
def has_ward(ev: Eval, *args: Value) -> Value:
    """Needs location data: the error :data:`LOCATIONS_ERROR`, after the count check (the text alone, or with
    state and district)."""
    if len(args) not in (1, 3):
        return XError(f"takes one or three arguments, got {len(args)}")
    return XError(LOCATIONS_ERROR)
