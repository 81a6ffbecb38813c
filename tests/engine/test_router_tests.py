"""Router case tests: every JSON case under ``cases/router_tests/`` is one test, run three ways.

A case file is ``{"about": ..., "cases": [...]}``; a case is ``{"description", "test", "args": [operand,
arg...], "env"?: {...}, "now"?: "...", "result": {...}}``:

- ``args`` are plain JSON read with ``excellent.from_json`` (a ``{"__default__": ...}`` object has that
  default); the few values JSON can't write are tagged: ``{"$error": message}``, ``{"$date": "2024-03-15"}``,
  ``{"$datetime": "2024-03-15T10:00:00+03:00"}``, ``{"$time": "10:30:00"}``.
- ``env`` overrides keys of :data:`STANDARD_ENV`; ``now`` (ISO-8601) replaces :data:`STANDARD_NOW`.
- ``result`` is the expected result as JSON, the object default kept under ``__default__`` (``{"__default__":
  true, "match": 27}`` or ``{"__default__": false, "match": ""}``), or ``{"error": message}``.

Each case runs (1) through ``CASE_TESTS`` as the router calls it, (2) as an Excellent expression
``has_x(a0, a1, ...)`` over a context holding the arguments (same result; an error gains the ``error calling
has_x(...): `` prefix) and (3) as the template ``@(has_x(a0, a1, ...).match)`` (the match as text, "" when false).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from sauti.engine.cases import CASE_TESTS, NAMES
from sauti.engine.env import Environment
from sauti.engine.excellent import (
    FUNCTIONS,
    Eval,
    Value,
    XBoolean,
    XDate,
    XDateTime,
    XError,
    XObject,
    XTime,
    evaluate_expression,
    evaluate_template,
    from_json,
    loads,
    render,
    to_json,
    type_name,
)

CASES = Path(__file__).parent / "cases" / "router_tests"

STANDARD_ENV: dict[str, Any] = {
    "date_format": "DD-MM-YYYY",
    "time_format": "tt:mm",
    "timezone": "Africa/Nairobi",  # UTC+3 all year
    "default_language": "eng",
    "allowed_languages": ["eng", "swa"],
    "default_country": "KE",
    "number_format": {"decimal_symbol": ".", "digit_grouping_symbol": ","},
}
STANDARD_NOW = "2024-03-15T09:30:45.123456Z"  # 12:30:45.123456 in Nairobi

MATCH_TYPES: dict[str, str] = {
    **{name: "number" for name in NAMES if name.startswith("has_number")},
    **{name: "datetime" for name in NAMES if name.startswith("has_date")},
    "has_time": "time",
    "has_group": "object",
}
"""The type of a true result's ``match`` (text for every test not listed)."""

NEVER_MATCH = frozenset({"has_state", "has_district", "has_ward"})
"""Tests that can't match in Sauti today (no location data)."""


def _read(path: Path) -> Any:
    return loads(path.read_text(encoding="utf-8"))


def load_arg(data: Any) -> Value:
    """A case argument: tagged JSON (see the module docstring) or plain JSON."""
    if isinstance(data, Mapping) and len(data) == 1:
        ((tag, raw),) = data.items()
        if tag == "$error":
            return XError(raw)
        if tag == "$date":
            return XDate(dt.date.fromisoformat(raw))
        if tag == "$datetime":
            return XDateTime(dt.datetime.fromisoformat(raw.replace("Z", "+00:00")))
        if tag == "$time":
            return XTime(dt.time.fromisoformat(raw))
    return from_json(data)


def dump_result(value: Value) -> Any:
    """A test's result as the JSON a case writes."""
    if isinstance(value, XError):
        return {"error": value.message}
    return to_json(value, with_default=True)


def _load_cases() -> Iterator[Any]:
    for path in sorted(CASES.glob("*.json")):
        for i, case in enumerate(_read(path)["cases"]):
            yield pytest.param(case, id=f"{path.stem}[{i}] {case['test']} {case.get('description', '')[:50]}")


ALL_CASES = list(_load_cases())


def _eval(case: Mapping[str, Any]) -> Eval:
    env = Environment.from_json({**STANDARD_ENV, **case.get("env", {})})
    now = dt.datetime.fromisoformat(case.get("now", STANDARD_NOW).replace("Z", "+00:00"))
    return Eval.fixed(env, now)


def _args(case: Mapping[str, Any]) -> list[Value]:
    return [load_arg(a) for a in case["args"]]


@pytest.mark.parametrize("case", ALL_CASES)
def test_case(case: dict[str, Any]) -> None:
    assert case.get("description"), "every case says what it pins"
    result = CASE_TESTS[case["test"]](_eval(case), *_args(case))
    assert dump_result(result) == case["result"]
    if isinstance(result, XObject) and result.default == XBoolean(True):
        assert type_name(result.get("match")) == MATCH_TYPES.get(case["test"], "text")
    elif not isinstance(result, XError):
        assert dump_result(result) == {"__default__": False, "match": ""}


def _call(case: Mapping[str, Any]) -> tuple[str, XObject]:
    names = [f"a{i}" for i in range(len(case["args"]))]
    context = XObject(dict(zip(names, _args(case), strict=True)))
    return f"{case['test']}({', '.join(names)})", context


@pytest.mark.parametrize("case", ALL_CASES)
def test_case_as_function(case: dict[str, Any]) -> None:
    call, context = _call(case)
    ev = _eval(case)
    expected = case["result"]

    value = evaluate_expression(call, context, ev)
    if "error" in expected:
        assert dump_result(value) == {"error": f"error calling {case['test']}(...): {expected['error']}"}
    else:
        assert dump_result(value) == expected

    text, errors = evaluate_template(f"@({call}.match)", context, ev)
    if "error" in expected:
        assert (text, errors) == ("", [f"error calling {case['test']}(...): {expected['error']}"])
    else:
        assert (text, errors) == (render(from_json(expected["match"])), [])


def test_registry_names_are_case_types_and_functions() -> None:
    assert set(CASE_TESTS) <= NAMES
    for name, test in CASE_TESTS.items():
        assert FUNCTIONS[name].fn is test, f"{name} is registered as the same callable in both tables"


def _is_count_error(case: Mapping[str, Any]) -> bool:
    message = case["result"].get("error", "")
    return "argument(s), got" in message or message.startswith("takes one or three arguments")


def test_every_case_type_has_a_test_and_cases() -> None:
    assert set(CASE_TESTS) == NAMES, "every case type a definition may use is registered, and nothing else"
    cases = [param.values[0] for param in ALL_CASES]
    for name in sorted(NAMES):
        mine = [c for c in cases if c["test"] == name]
        assert mine, f"{name} has no case"
        assert any(_is_count_error(c) for c in mine), f"{name} has no case with a wrong argument count"
        matched = [c for c in mine if c["result"].get("__default__") is True]
        if name in NEVER_MATCH:
            assert not matched
        else:
            assert matched, f"{name} has no matching case"
    assert {c["test"] for c in cases} <= NAMES


def test_a_runaway_pattern_is_an_error_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    import sauti.engine.cases.text as text_tests

    monkeypatch.setattr(text_tests, "REGEX_TIMEOUT", 0.01)
    ev = _eval({})
    result = CASE_TESTS["has_pattern"](ev, from_json("a" * 40 + "b"), from_json("(a|aa)+$"))
    assert result == XError("regular expression took too long to run")
