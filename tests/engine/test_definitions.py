"""Flow definitions: reading and validating, migrations, inspection, localization, and the parsing of actions.

Behaviour lives in the JSON case files:

- ``cases/definitions/read.json``: definitions that read (and round-trip) or fail with an exact error; cases may
  name one of the file's ``bases`` and a ``patch`` (JSON Patch ``add``/``replace``/``remove``, plus ``fill``: a
  list of ``count`` copies of ``value``, and ``repeat``: ``text`` repeated ``count`` times) instead of spelling
  out a whole flow;
- ``cases/definitions/migrations.json``: each migration step alone (``migration``), or the whole chain;
- ``cases/definitions/exports.json``: realistic 13.x/14.x exports, migrated, read and inspected;
- ``cases/definitions/localization.json`` and ``templates.json``: the language choice and the template scanner;
- ``cases/actions/<type>.json``: the ``read`` list of each action type (an ``execute`` list is the session
  engine's), plus the type's ``flow_class`` and ``localizable`` properties.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sauti.engine.actions import REGISTRY, Action, RequestOptIn, executable_types, read_action
from sauti.engine.definition import (
    CURRENT_VERSION,
    MIGRATIONS,
    DefinitionError,
    Localization,
    inspect_flow,
    migrate,
    migrate_step,
    read_flow,
)
from sauti.engine.definition.templates import (
    rename_root,
    rewrite_template,
    scan,
    template_paths,
    truncate_lookups,
)

CASES = Path(__file__).parent / "cases"
DEFINITIONS = CASES / "definitions"
ACTIONS = CASES / "actions"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _ids(cases: Iterable[Mapping[str, Any]]) -> list[str]:
    return [c["description"] for c in cases]


# ---------------------------------------------------------------------------------------------------- patches
def _pointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _apply(doc: Any, ops: Iterable[Mapping[str, Any]]) -> Any:
    doc = copy.deepcopy(doc)
    for op in ops:
        *parents, last = _pointer(op["path"])
        target = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        kind = op["op"]
        if kind == "fill":
            value: Any = [copy.deepcopy(op["value"]) for _ in range(op["count"])]
        elif kind == "repeat":
            value = op["text"] * op["count"]
        else:
            value = copy.deepcopy(op.get("value"))
        if kind == "remove":
            del target[int(last) if isinstance(target, list) else last]
        elif isinstance(target, list):
            if kind == "add":
                target.insert(len(target) if last == "-" else int(last), value)
            else:
                target[int(last)] = value
        else:
            target[last] = value
    return doc


def _definition(case: Mapping[str, Any], bases: Mapping[str, Any]) -> Any:
    base = case["definition"] if "definition" in case else bases[case["base"]]
    return _apply(base, case.get("patch", ()))


def _plain(value: Any) -> Any:
    """Typed values as plain JSON for comparison with case files."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "raw"}
        kind = getattr(value, "TYPE", "")
        return {"type": kind, **fields} if kind and "type" not in fields else fields
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


# ---------------------------------------------------------------------------------------------------- reading
READ = _load(DEFINITIONS / "read.json")


@pytest.mark.parametrize("case", READ["cases"], ids=_ids(READ["cases"]))
def test_read(case: dict[str, Any]) -> None:
    definition = _definition(case, READ["bases"])
    before = copy.deepcopy(definition)
    if "read_error" in case:
        with pytest.raises(DefinitionError) as err:
            read_flow(definition)
        assert str(err.value) == case["read_error"]
    else:
        flow = read_flow(definition)
        assert flow.to_json() == migrate(definition)
        if definition.get("spec_version") == CURRENT_VERSION:
            assert flow.to_json() == definition
        if "inspect" in case:
            assert inspect_flow(flow).to_json() == case["inspect"]
        if "flow" in case:
            assert _flow_summary(flow) == case["flow"]
    assert definition == before, "reading must not modify its input"


def _flow_summary(flow: Any) -> dict[str, Any]:
    return {
        "uuid": flow.uuid,
        "name": flow.name,
        "language": flow.language,
        "type": flow.type,
        "revision": flow.revision,
        "expires_after_minutes": flow.expires_after_minutes,
        "entry": flow.entry.uuid if flow.entry else None,
        "nodes": [_node_summary(n) for n in flow.nodes],
    }


def _node_summary(node: Any) -> dict[str, Any]:
    return {
        "uuid": node.uuid,
        "actions": [a.type for a in node.actions],
        "router": _plain(node.router),
        "exits": _plain(node.exits),
    }


# ---------------------------------------------------------------------------------------------------- migrations
MIGRATION_CASES = _load(DEFINITIONS / "migrations.json")


@pytest.mark.parametrize("case", MIGRATION_CASES["cases"], ids=_ids(MIGRATION_CASES["cases"]))
def test_migration(case: dict[str, Any]) -> None:
    original = case["original"]
    before = copy.deepcopy(original)
    if "error" in case:
        with pytest.raises(DefinitionError) as err:
            migrate(original)
        assert str(err.value) == case["error"]
    elif "migration" in case:
        assert migrate_step(case["migration"], original) == case["migrated"]
    else:
        assert migrate(original) == case["migrated"]
    assert original == before, "migrating must not modify its input"


def test_every_migration_has_a_case() -> None:
    covered = {c["migration"] for c in MIGRATION_CASES["cases"] if "migration" in c}
    assert covered == {m.version for m in MIGRATIONS}


def test_migrations_are_in_version_order() -> None:
    keys = [m.key for m in MIGRATIONS]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert MIGRATIONS[-1].version == CURRENT_VERSION
    assert all(m.description for m in MIGRATIONS)


EXPORTS = _load(DEFINITIONS / "exports.json")


@pytest.mark.parametrize("case", EXPORTS["cases"], ids=_ids(EXPORTS["cases"]))
def test_export(case: dict[str, Any]) -> None:
    assert migrate(case["original"]) == case["migrated"]
    flow = read_flow(case["original"])
    assert flow.to_json() == case["migrated"]
    assert read_flow(case["migrated"]).to_json() == case["migrated"], "a migrated flow reads unchanged"
    assert inspect_flow(flow).to_json() == case["inspect"]


# ---------------------------------------------------------------------------------------------------- localization
LOCALIZATION = _load(DEFINITIONS / "localization.json")


@pytest.mark.parametrize("case", LOCALIZATION["cases"], ids=_ids(LOCALIZATION["cases"]))
def test_localization(case: dict[str, Any]) -> None:
    loc = Localization(LOCALIZATION["base_language"], LOCALIZATION["localization"])
    env = case["env"]
    languages = loc.preferred_languages(env["contact_language"], env["allowed_languages"], env["default_language"])
    assert list(languages) == case["languages"]
    got = loc.localize(
        case["item"],
        case["property"],
        case["base"],
        contact_language=env["contact_language"],
        allowed_languages=env["allowed_languages"],
        default_language=env["default_language"],
    )
    assert {"texts": list(got.texts), "language": got.language} == case["localized"]


# ---------------------------------------------------------------------------------------------------- templates
TEMPLATES = _load(DEFINITIONS / "templates.json")


@pytest.mark.parametrize("case", TEMPLATES["scan"], ids=_ids(TEMPLATES["scan"]))
def test_scan(case: dict[str, Any]) -> None:
    tokens = [[t.kind, t.text] for t in scan(case["template"])]
    assert tokens == case["tokens"]
    assert (
        "".join(
            t.text if t.kind == "body" else ("@" + t.text if t.kind == "identifier" else f"@({t.text})")
            for t in scan(case["template"])
        )
        == case["template"]
    ), "tokens put back together give the template"
    assert [list(p) for p in template_paths(case["template"])] == case["paths"]


@pytest.mark.parametrize("case", TEMPLATES["rewrite"], ids=_ids(TEMPLATES["rewrite"]))
def test_rewrite(case: dict[str, Any]) -> None:
    if case["edit"] == "rename":
        edit, roots = rename_root(case["old"], case["new"]), frozenset({case["old"]})
    else:
        edit, roots = truncate_lookups(case["root"], case["limit"]), frozenset({case["root"]})
    assert rewrite_template(case["template"], roots, edit) == case["rewritten"]


# ---------------------------------------------------------------------------------------------------- actions
FLOW_UUID = "0f000000-0000-4000-8000-000000000001"
NODE_UUID = "0f000000-0000-4000-8000-000000000002"
EXIT_UUID = "0f000000-0000-4000-8000-000000000003"


def _wrap(action: Any, flow_type: str) -> dict[str, Any]:
    """A one-node flow holding ``action``."""
    return {
        "uuid": FLOW_UUID,
        "name": "Action case",
        "spec_version": CURRENT_VERSION,
        "language": "eng",
        "type": flow_type,
        "nodes": [{"uuid": NODE_UUID, "actions": [action], "exits": [{"uuid": EXIT_UUID}]}],
    }


ACTION_FILES = {p.stem: _load(p) for p in sorted(ACTIONS.glob("*.json"))}
ACTION_CASES = [(t, c) for t, f in ACTION_FILES.items() for c in f["read"]]


@pytest.mark.parametrize(("type_", "case"), ACTION_CASES, ids=[f"{t}: {c['description']}" for t, c in ACTION_CASES])
def test_action_read(type_: str, case: dict[str, Any]) -> None:
    action = _apply(case["action"], case.get("patch", ()))
    definition = _wrap(action, case.get("flow_type", "messaging"))
    if "read_error" in case:
        with pytest.raises(DefinitionError) as err:
            read_flow(definition)
        assert err.value.rule == case["read_error"]
        assert str(err.value).startswith(f"flow[uuid={FLOW_UUID}, name=Action case]: node[uuid={NODE_UUID}]")
        return

    read = read_flow(definition).nodes[0].actions[0]
    assert isinstance(read, REGISTRY[type_]) and read.type == type_
    assert read.to_json() == action
    assert read == read_action(action)
    if "parsed" in case:
        parsed = _plain(read)
        assert {k: parsed[k] for k in case["parsed"]} == case["parsed"]
    _check_inspection(read, case)


def _check_inspection(action: Action, case: Mapping[str, Any]) -> None:
    if "dependencies" in case:
        assert [d.to_json() for d in action.dependencies()] == case["dependencies"]
    if "results" in case:
        assert [{"name": r.name, "categories": list(r.categories)} for r in action.results()] == case["results"]
    if "locals" in case:
        assert list(action.locals()) == case["locals"]
    if "templates" in case:
        assert [t for _, t in action.template_values()] == case["templates"]


def test_every_action_type_has_a_case_file() -> None:
    assert set(ACTION_FILES) == set(REGISTRY)
    for type_, cases in ACTION_FILES.items():
        assert any("read_error" in c for c in cases["read"]), f"{type_} has no read_error case"
        assert any("read_error" not in c for c in cases["read"]), f"{type_} has no valid case"


@pytest.mark.parametrize("type_", sorted(ACTION_FILES))
def test_action_type_declarations(type_: str) -> None:
    cls, expected = REGISTRY[type_], ACTION_FILES[type_]
    assert cls.FLOW_CLASS == expected["flow_class"]
    assert list(cls.LOCALIZABLE) == expected["localizable"]
    assert cls.__module__ == f"sauti.engine.actions.{type_}"


def test_executability_comes_from_an_execute_method() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class WithExecute(RequestOptIn):
        def execute(self) -> None:
            """What the session engine adds to a type's class."""

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class WithoutExecute(RequestOptIn):
        pass

    assert WithExecute.is_executable() and not WithoutExecute.is_executable()
    assert executable_types() == frozenset(t for t, cls in REGISTRY.items() if "execute" in dir(cls))
    assert "with_execute" not in REGISTRY, "subclassing doesn't register"


# ---------------------------------------------------------------------------------------------------- odds and ends
def test_read_action_alone_names_only_the_rule() -> None:
    with pytest.raises(DefinitionError) as err:
        read_action({"uuid": "ad000000-0000-4000-8000-000000000001", "type": "send_msg"})
    assert (err.value.rule, err.value.where) == ("field 'text' is required", ())
    with pytest.raises(DefinitionError) as err:
        read_action(["not", "an", "object"])  # type: ignore[arg-type]
    assert err.value.rule == "action must be an object"


def test_error_located_inside_outer_objects() -> None:
    err = DefinitionError("field 'text' is required", ("action[uuid=x]",)).within("flow[uuid=y]", "node[uuid=z]")
    assert str(err) == "flow[uuid=y]: node[uuid=z]: action[uuid=x]: field 'text' is required"
    assert err.where == ("flow[uuid=y]", "node[uuid=z]", "action[uuid=x]")


def test_flow_objects_are_frozen() -> None:
    flow = read_flow(READ["bases"]["worked_example"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        flow.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        flow.nodes[0].actions[0].uuid = "other"  # type: ignore[misc]
    copied = flow.to_json()
    copied["nodes"].clear()
    assert len(flow.to_json()["nodes"]) == 3, "to_json hands out a copy"
    assert flow.node("b0000000-0000-4000-8000-000000000002") is flow.nodes[1]
    assert flow.node("b0000000-0000-4000-8000-000000000009") is None


def test_not_an_object() -> None:
    with pytest.raises(DefinitionError) as err:
        read_flow([])  # type: ignore[arg-type]
    assert str(err.value) == "flow definition must be a JSON object"
