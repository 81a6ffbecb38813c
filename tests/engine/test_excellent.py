"""The expression language: every JSON case under ``cases/excellent/`` is one test.

A case evaluates a ``template`` (expecting ``output`` text and ``errors`` messages), a template in value mode
(``template`` with ``value``) or a bare ``expression`` (with ``value``), against the standard context of
``standard.json`` (or its own ``context``) in the standard environment (overridden key by key by ``env``),
with the standard clock (``now``) and random source (``random``). Expected values are JSON with tags for the
types JSON lacks: ``{"$date": ...}``, ``{"$datetime": ..., "tz": ...}``, ``{"$time": ...}``,
``{"$error": message}``, ``{"$function": name}``; numbers are exact decimals.

``helpers.json`` pins the helpers the router tests reuse (tokenizer, number finder, date finder); the rest of
this module covers what is easier to state in Python (environments, laziness, escaping, deep nesting).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sauti.engine.env import Environment, InvalidEnvironment, NumberFormat
from sauti.engine.excellent import (
    FUNCTIONS,
    TOO_COMPLEX,
    Eval,
    Value,
    XArray,
    XBoolean,
    XDate,
    XDateTime,
    XError,
    XFunction,
    XNumber,
    XObject,
    XText,
    XTime,
    context_paths,
    evaluate_expression,
    evaluate_template,
    evaluate_template_result,
    evaluate_template_value,
    from_json,
    loads,
    to_json,
)
from sauti.engine.excellent.dates import parse_date_text, parse_datetime_text, parse_time_text
from sauti.engine.excellent.numbers import find_numbers
from sauti.engine.excellent.words import tokenize, tokenize_by_chars

CASES = Path(__file__).parent / "cases" / "excellent"


def _read(path: Path) -> Any:
    return loads(path.read_text(encoding="utf-8"))


STANDARD: dict[str, Any] = _read(CASES / "standard.json")


# ----------------------------------------------------------------------------------------------- typed JSON


def load_value(data: Any) -> Value:
    """Tagged JSON to a value (see the module docstring)."""
    if isinstance(data, Mapping):
        tags = [k for k in data if k.startswith("$")]
        if tags:
            tag = tags[0]
            raw = data[tag]
            if tag == "$date":
                return XDate(dt.date.fromisoformat(raw))
            if tag == "$time":
                return XTime(dt.time.fromisoformat(raw))
            if tag == "$datetime":
                moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
                if "tz" in data:
                    moment = moment.astimezone(Environment(timezone=data["tz"]).tz)
                return XDateTime(moment)
            if tag == "$error":
                return XError(raw)
            if tag == "$function":
                return FUNCTIONS[raw] if raw in FUNCTIONS else XFunction("", lambda ev, *args: None)
            raise ValueError(f"unknown tag {tag}")
        return XObject({k: load_value(v) for k, v in data.items()})
    if isinstance(data, list):
        return XArray([load_value(v) for v in data])
    return from_json(data)


def dump_value(value: Value) -> Any:
    """A value as tagged JSON, canonically (so two dumps compare equal exactly when the values match)."""
    if value is None or isinstance(value, XText | XBoolean):
        return to_json(value)
    if isinstance(value, XNumber):
        return {"$number": value.render()}
    if isinstance(value, XDate):
        return {"$date": value.render()}
    if isinstance(value, XDateTime):
        return {"$datetime": value.render()}
    if isinstance(value, XTime):
        return {"$time": value.render()}
    if isinstance(value, XError):
        return {"$error": value.message}
    if isinstance(value, XFunction):
        return {"$function": value.display_name}
    if isinstance(value, XArray):
        return [dump_value(v) for v in value.items]
    assert isinstance(value, XObject)
    out = {k: dump_value(value.properties[k]) for k in value.keys()}
    if value.has_default:
        out["__default__"] = dump_value(value.default)
    return out


# ----------------------------------------------------------------------------------------------- case setup


def _environment(overrides: Mapping[str, Any] | None) -> Environment:
    data = dict(STANDARD["env"])
    data.update(overrides or {})
    return Environment.from_json(data)


def _eval(case: Mapping[str, Any], env: Environment) -> Eval:
    now = dt.datetime.fromisoformat(case.get("now", STANDARD["now"]).replace("Z", "+00:00"))
    randoms = [Decimal(str(r)) for r in case.get("random", STANDARD["random"])]
    return Eval.fixed(env, now, randoms, language=case.get("language"), budget=int(case.get("budget", 1_000_000)))


def _context(case: Mapping[str, Any]) -> XObject:
    data = case["context"] if "context" in case else {**STANDARD["context"], **case.get("context_extra", {})}
    context = load_value(data)
    assert isinstance(context, XObject)
    return context


def _load_cases() -> Iterator[Any]:
    for path in sorted(CASES.glob("*.json")):
        data = _read(path)
        if not isinstance(data, Mapping) or "cases" not in data:
            continue
        for i, case in enumerate(data["cases"]):
            label = case.get("template", case.get("expression", ""))
            yield pytest.param(case, id=f"{path.stem}[{i}] {label[:60]}")


ALL_CASES = list(_load_cases())


@pytest.mark.parametrize("case", ALL_CASES)
def test_case(case: dict[str, Any]) -> None:
    assert case.get("description"), "every case says what it pins"
    env = _environment(case.get("env"))
    ev = _eval(case, env)
    context = _context(case)
    if "expression" in case:
        actual = evaluate_expression(case["expression"], context, ev)
        assert dump_value(actual) == dump_value(load_value(case["value"]))
        return
    template = case["template"]
    if "value" in case:
        value, errors = evaluate_template_value(template, context, ev)
        assert dump_value(value) == dump_value(load_value(case["value"]))
        assert errors == case.get("errors", [])
        return
    max_chars = int(case.get("max_chars", 10_000))
    text, errors = evaluate_template(template, context, ev, max_chars=max_chars)
    assert (text, errors) == (case["output"], case.get("errors", []))


def test_every_builtin_has_cases() -> None:
    """Each registered function appears in some case (router case tests are the router tests' to cover)."""
    corpus = json.dumps([c.values[0] for c in ALL_CASES], default=str)
    missing = [name for name in FUNCTIONS if not name.startswith("has_") and f"{name}(" not in corpus]
    assert missing == []


def test_many_cases() -> None:
    assert len(ALL_CASES) >= 400


# ----------------------------------------------------------------------------------------------- helpers

HELPERS: dict[str, Any] = _read(CASES / "helpers.json")


@pytest.mark.parametrize("case", HELPERS["tokenize"], ids=lambda c: c["text"][:40])
def test_tokenize(case: dict[str, Any]) -> None:
    if "delimiters" in case:
        assert tokenize_by_chars(case["text"], case["delimiters"]) == case["words"]
    else:
        assert tokenize(case["text"]) == case["words"]


@pytest.mark.parametrize("case", HELPERS["find_numbers"], ids=lambda c: c["text"][:40])
def test_find_numbers(case: dict[str, Any]) -> None:
    nf = NumberFormat(**case.get("number_format", {}))
    assert [str(n) for n in find_numbers(case["text"], nf)] == case["numbers"]


@pytest.mark.parametrize("case", HELPERS["dates"], ids=lambda c: c["text"][:40])
def test_find_dates(case: dict[str, Any]) -> None:
    env = _environment(case.get("env"))
    now = dt.datetime.fromisoformat(STANDARD["now"].replace("Z", "+00:00"))
    found = parse_datetime_text(env, case["text"], now, case.get("fill_time", False))
    assert (found.isoformat() if found else None) == case["datetime"]
    date_only = parse_date_text(env, case["text"], now.year)
    assert (date_only[0].isoformat() if date_only else None) == case.get(
        "date", case["datetime"] and case["datetime"][:10]
    )


@pytest.mark.parametrize("case", HELPERS["times"], ids=lambda c: c["text"][:40])
def test_find_times(case: dict[str, Any]) -> None:
    found = parse_time_text(case["text"])
    assert (found.isoformat() if found else None) == case["time"]


# ----------------------------------------------------------------------------------------------- environment


def test_environment_defaults_and_json_round_trip() -> None:
    env = Environment()
    assert (env.date_format, env.time_format, env.timezone, env.language) == ("YYYY-MM-DD", "tt:mm", "UTC", None)
    data = {
        "date_format": "MM-DD-YYYY",
        "time_format": "h:mm aa",
        "timezone": "America/Los_Angeles",
        "allowed_languages": ["eng", "fra"],
        "default_country": "US",
        "number_format": {"decimal_symbol": ",", "digit_grouping_symbol": "."},
        "input_collation": "default",
        "redaction_policy": "urns",
        "max_value_length": 640,
    }
    env = Environment.from_json(data)
    assert env.to_json() == data
    assert env.language == "eng"
    assert env.tz.key == "America/Los_Angeles"
    assert Environment.from_json(env.to_json()) == env


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date_format": "DD/MM/YYYY"}, "date_format"),
        ({"time_format": "HH:mm"}, "time_format"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone Mars/Olympus"),
        ({"allowed_languages": ["en"]}, "ISO-639-3"),
        ({"default_country": "KEN"}, "ISO-3166"),
        ({"redaction_policy": "all"}, "redaction_policy"),
        ({"number_format": "."}, "number_format"),
        ({"max_value_length": "640"}, "max_value_length"),
    ],
)
def test_environment_refuses_bad_settings(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidEnvironment, match=message):
        Environment.from_json(data)


def test_environment_merged_for_a_contact() -> None:
    env = Environment(allowed_languages=("eng", "swa"), timezone="UTC", default_country="KE")
    merged = env.merged(timezone="Africa/Kampala", language="swa", country="ug")
    assert (merged.timezone, merged.language, merged.default_country) == ("Africa/Kampala", "swa", "UG")
    assert env.merged(language="fra").language == "eng"  # not allowed: the workspace default stays
    assert env.merged() is env


# ----------------------------------------------------------------------------------------------- python-only


def _standard_eval() -> tuple[XObject, Eval]:
    env = _environment(None)
    return _context({}), _eval({}, env)


def test_escaping_applies_to_expression_output_only() -> None:
    context, ev = _standard_eval()
    text, errors = evaluate_template(
        'q="@(contact.name)" & @(1 / 0)', context, ev, escaping=lambda s: s.replace(" ", "%20")
    )
    assert (text, errors) == ('q="Amina%20Wanjiru" & ', ["division by zero"])


def test_template_errors_carry_source_and_code() -> None:
    context, ev = _standard_eval()
    result = evaluate_template_result('@fields.missing and @(repeat("ab", 3000) & repeat("ab", 3000))', context, ev)
    assert result.text == (" and " + "ab" * 6000)[:9997] + "..."
    assert len(result.text) == 10_000
    assert evaluate_template_result('@(repeat("ab", 5000))x', context, ev, max_chars=None).text == "ab" * 5000 + "x"
    budget_ev = _eval({"budget": 50}, ev.env)
    result = evaluate_template_result('@fields.missing and @(repeat("ab", 30))', context, budget_ev)
    assert [(e.expression, e.code) for e in result.errors] == [
        ("@fields.missing", "expression"),
        ('@(repeat("ab", 30))', "expression_too_complex"),
    ]
    assert result.errors[0].event_text == "Error evaluating expression: object has no property 'missing'"


def test_lazy_objects_and_arrays_are_built_once_when_read() -> None:
    calls: list[str] = []

    def contact() -> dict[str, Value]:
        calls.append("contact")
        return {"__default__": XText("Amina"), "name": XText("Amina")}

    def urns() -> list[Value]:
        calls.append("urns")
        return [XText("tel:+254711222333")]

    context = XObject({"contact": XObject.lazy(contact), "urns": XArray.lazy(urns), "other": XText("x")})
    _, ev = _standard_eval()
    assert evaluate_template("@other", context, ev) == ("x", [])
    assert calls == []
    assert evaluate_template("@contact @contact.name @(urns[0]) @(count(urns))", context, ev) == (
        "Amina Amina tel:+254711222333 1",
        [],
    )
    assert calls == ["contact", "urns"]


def test_lazy_each_makes_only_the_values_read_and_each_once() -> None:
    made: list[str] = []

    def maker(name: str, value: Value) -> Callable[[], Value]:
        def make() -> Value:
            made.append(name)
            return value

        return make

    context = XObject.lazy_each(
        {"contact": maker("contact", XObject({"name": XText("Amina")})), "fields": maker("fields", None)}
    )
    _, ev = _standard_eval()
    assert context.names() == ("contact", "fields") and made == []
    assert evaluate_template("Hi @contact.name and @CONTACT.Name, @nothing", context, ev) == (
        "Hi Amina and Amina, @nothing",
        [],
    )
    assert made == ["contact"]  # found case-insensitively too, made once
    assert context.lookup("Fields") == (True, None) and context.lookup("other") == (False, None)
    assert made == ["contact", "fields"]
    assert context.keys() == ["contact", "fields"] and made == ["contact", "fields"]  # the whole object reuses them
    assert context.render() == "{contact: {name: Amina}, fields: }"


def test_long_chains_and_deep_nesting_do_not_exhaust_the_stack() -> None:
    context, ev = _standard_eval()
    assert evaluate_expression(" + ".join(["1"] * 5000), context, ev) == XNumber(5000)
    assert evaluate_expression("-" * 3000 + "1", context, ev) == XNumber(1)
    loop = XObject.lazy(lambda: {"next": loop, "name": XText("end")})
    chain = XObject({"loop": loop})
    assert evaluate_expression("loop" + ".next" * 4000 + ".name", chain, ev) == XText("end")
    assert evaluate_expression("loop" + '["next"]' * 3000 + '["name"]', chain, ev) == XText("end")
    nested = "(" * 100 + "1" + ")" * 100
    assert evaluate_expression(nested, context, ev) == XNumber(1)
    assert evaluate_expression("(" + nested + ")", context, ev) == XError("expression nesting too deep")
    calls = "upper(" * 99 + '"a"' + ")" * 99
    assert evaluate_expression(calls, context, ev) == XText("A")


def test_budget_exhaustion_is_fatal_and_unwrapped() -> None:
    context, ev = _standard_eval()
    small = _eval({"budget": 500}, ev.env)
    blowup = 'foreach(split(repeat("x ", 100)), (a) => foreach(split(repeat("x ", 100)), (b) => b))'
    assert evaluate_expression(blowup, context, small) is TOO_COMPLEX
    assert evaluate_expression('repeat("x", 400)', context, small) == XText("x" * 400)


def test_context_paths_for_dependency_inspection() -> None:
    paths = context_paths('Hi @contact.name, @(fields.age + 1) @(results["favorite color"].value) bob@gmail.com')
    assert paths == [
        ("contact",),
        ("contact", "name"),
        ("fields",),
        ("fields", "age"),
        ("results",),
        ("results", "favorite color"),
        ("results", "favorite color", "value"),
        ("gmail",),
        ("gmail", "com"),
    ]


def test_functions_are_callable_directly() -> None:
    _, ev = _standard_eval()
    assert FUNCTIONS["upper"](ev, XText("abc")) == XText("ABC")
    assert FUNCTIONS["upper"](ev) == XError("need 1 argument(s), got 0")


def test_json_values_round_trip() -> None:
    data = loads('{"__default__": "x", "a": [1, 2.50, null, true, {"b": "c"}], "z": -0.1}')
    value = from_json(data)
    assert isinstance(value, XObject) and value.has_default and value.default == XText("x")
    assert to_json(value, with_default=True) == data
    assert "__default__" not in to_json(value)
    assert from_json(Decimal("1e200")) == XError("number value out of range")
    assert from_json(1.25) == XNumber(Decimal("1.25"))
    with pytest.raises(ValueError):
        loads("[1, NaN]")


def test_object_lookup_prefers_an_exact_key() -> None:
    obj = XObject({"Name": XText("upper"), "name": XText("lower"), "AGE": XNumber(3)})
    assert obj.get("name") == XText("lower")
    assert obj.get("Name") == XText("upper")
    assert obj.get("age") == XNumber(3)
    assert obj.lookup("missing") == (False, None)
    assert obj.keys() == ["AGE", "Name", "name"]
