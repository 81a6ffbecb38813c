"""What the API needs to know about a flow without running it: its results, parent references, dependencies.

- **results** (``flows.json`` ``results``): one :class:`ResultSpec` per distinct result key, in definition order,
  from every router with a ``result_name`` (its category names), every ``set_run_result`` (its category, if
  any) and the legacy results of ``call_webhook`` / ``call_resthook`` (Success, Failure) and ``call_classifier``
  (Success, Skipped, Failure). Specs sharing a key merge: categories are added (compared case-insensitively) and
  node UUIDs listed once each. The key is :func:`snakify` of the name.
- **parent refs** (``flows.json`` ``parent_refs``): result keys read as ``@parent.results.<key>``, sorted.
- **dependencies** (``definitions.json`` exports, missing-asset warnings): the assets named by actions (groups,
  labels, flows entered or started, fields set, channels, templates, topics, users, LLMs, contacts, classifiers),
  groups tested by ``has_group`` cases, and the fields (``@fields.x``, ``@contact.fields.x``, and the same under
  ``parent``/``child``) and globals (``@globals.x``) read by templates — base texts and translations of
  localizable templates alike. One entry per type and UUID/key, first occurrence wins, in definition order (per
  node: actions, the router, then the templates).
- **locals**: run locals written (``set_run_local``, ``call_llm``, ``_new_ticket`` ...), sorted.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import regex

from sauti.engine.actions.base import Action, ResultInfo
from sauti.engine.actions.refs import Dependency
from sauti.engine.definition.flow import Flow, Node, SwitchRouter
from sauti.engine.definition.templates import template_paths

__all__ = ["Dependency", "FlowInfo", "ResultSpec", "flow_templates", "inspect_flow", "snakify"]

_SNAKE_RE = regex.compile(r"[^\p{L}0-9_]+")

_FIELD_PREFIXES: Final = (
    ("fields",),
    ("contact", "fields"),
    ("parent", "fields"),
    ("parent", "contact", "fields"),
    ("child", "fields"),
    ("child", "contact", "fields"),
)


@functools.lru_cache(maxsize=1024)
def snakify(name: str) -> str:
    """The key of a result name: trimmed, each run of characters other than letters, digits and ``_`` replaced
    by ``_``, lower-cased (``"Favorite Color"`` → ``favorite_color``, ``"Age?"`` → ``age_``). Kept per name:
    a flow saves the same few names for every contact."""
    return _SNAKE_RE.sub("_", name.strip()).lower()


@dataclass(frozen=True, slots=True)
class ResultSpec:
    """A result a flow may save, as ``flows.json`` lists it."""

    key: str
    name: str
    categories: tuple[str, ...]
    node_uuids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "categories": list(self.categories),
            "node_uuids": list(self.node_uuids),
        }


@dataclass(frozen=True, slots=True)
class FlowInfo:
    """Everything :func:`inspect_flow` finds."""

    results: tuple[ResultSpec, ...]
    dependencies: tuple[Dependency, ...]
    parent_refs: tuple[str, ...]
    locals: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "results": [r.to_json() for r in self.results],
            "dependencies": [d.to_json() for d in self.dependencies],
            "parent_refs": list(self.parent_refs),
            "locals": list(self.locals),
        }


@dataclass(frozen=True, slots=True)
class Template:
    """A template of a flow: where it is and, for a translation, its language."""

    node_uuid: str
    action: Action | None
    language: str | None
    text: str


def _node_results(node: Node) -> Iterator[ResultInfo]:
    for action in node.actions:
        yield from action.results()
    router = node.router
    if router is not None and router.result_name:
        yield ResultInfo(router.result_name, tuple(c.name for c in router.categories))


def _results(flow: Flow) -> tuple[ResultSpec, ...]:
    specs: dict[str, tuple[str, list[str], list[str]]] = {}
    for node in flow.nodes:
        for info in _node_results(node):
            key = snakify(info.name)
            if key not in specs:
                specs[key] = (info.name, list(info.categories), [node.uuid])
                continue
            _, categories, node_uuids = specs[key]
            folded = {c.casefold() for c in categories}
            for category in info.categories:
                if category.casefold() not in folded:
                    categories.append(category)
                    folded.add(category.casefold())
            if node.uuid not in node_uuids:
                node_uuids.append(node.uuid)
    return tuple(ResultSpec(k, n, tuple(c), tuple(u)) for k, (n, c, u) in specs.items())


def flow_templates(flow: Flow) -> Iterator[Template]:
    """Every template of the flow: action fields, translations of localizable action templates, router
    operands, case arguments (and their translations) and dial wait phones."""
    loc = flow.localization
    for node in flow.nodes:
        for action in node.actions:
            yield from (Template(node.uuid, action, None, text) for _, text in action.template_values())
            templated = {path.split(".")[0].removesuffix("[*]") for path in action.TEMPLATES}
            for prop in action.LOCALIZABLE:
                if prop not in templated:
                    continue
                for language in loc.languages:
                    for text in loc.get(language, action.uuid, prop) or ():
                        yield Template(node.uuid, action, language, text)
        router = node.router
        if isinstance(router, SwitchRouter):
            yield Template(node.uuid, None, None, router.operand)
            for case in router.cases:
                yield from (Template(node.uuid, None, None, a) for a in case.arguments)
                for language in loc.languages:
                    for text in loc.get(language, case.uuid, "arguments") or ():
                        yield Template(node.uuid, None, language, text)
        if router is not None and router.wait is not None:
            phone = getattr(router.wait, "phone", None)
            if isinstance(phone, str):
                yield Template(node.uuid, None, None, phone)


def _template_refs(text: str) -> Iterator[tuple[Dependency | None, str | None]]:
    """``(dependency, parent ref)`` pairs read by one template."""
    for path in template_paths(text):
        if len(path) < 2:
            continue
        if path[0] == "globals":
            yield Dependency("global", key=path[1]), None
        elif path[:2] == ("parent", "results"):
            if len(path) > 2:
                yield None, path[2]
        else:
            for prefix in _FIELD_PREFIXES:
                if len(path) > len(prefix) and path[: len(prefix)] == prefix:
                    yield Dependency("field", key=path[len(prefix)]), None
                    break


def inspect_flow(flow: Flow) -> FlowInfo:
    """The results, dependencies, parent refs and locals of a flow (see the module docstring)."""
    dependencies: dict[tuple[str, str], Dependency] = {}
    parent_refs: set[str] = set()
    locals_: set[str] = set()

    def depend(dep: Dependency | None) -> None:
        if dep is not None:
            dependencies.setdefault((dep.type, dep.identity), dep)

    by_node: dict[str, list[Template]] = {}
    for template in flow_templates(flow):
        by_node.setdefault(template.node_uuid, []).append(template)

    for node in flow.nodes:
        for action in node.actions:
            for dep in action.dependencies():
                depend(dep)
            locals_.update(action.locals())
        if isinstance(node.router, SwitchRouter):
            for case in node.router.cases:
                if case.type == "has_group" and case.arguments:
                    name = case.arguments[1] if len(case.arguments) == 2 else ""
                    depend(Dependency("group", uuid=case.arguments[0], name=name))
        for template in by_node.get(node.uuid, ()):
            for template_dep, parent_ref in _template_refs(template.text):
                depend(template_dep)
                if parent_ref is not None:
                    parent_refs.add(parent_ref)

    return FlowInfo(
        results=_results(flow),
        dependencies=tuple(dependencies.values()),
        parent_refs=tuple(sorted(parent_refs)),
        locals=tuple(sorted(locals_)),
    )
