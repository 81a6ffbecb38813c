"""Bringing a 13.x or 14.x definition up to spec 14.4.2, one small step per spec version.

The engine only ever sees the current shape. :func:`migrate` runs, in version order, every step newer than the
definition's ``spec_version`` and writes ``spec_version: "14.4.2"``; each step is a function of the raw JSON that
changes only what its version changed and leaves everything else (``_ui``, unknown keys) as it was. The input is
never modified.

Sauti reads ``13.0.0 <= spec_version < 14.5.0``. Older definitions (spec 11 and 12, and the legacy
``action_sets``/``rule_sets`` format before them) are refused with a :class:`DefinitionError` asking for a
re-export from a current RapidPro or TextIt, which migrates them itself; so are versions newer than this engine.

Two steps of the 13.x series create intermediate UUIDs (13.1.0 gives message templating a UUID, 13.4.0 its body
component one); both disappear again in 13.5.0. They are derived from the action's UUID (UUID version 5) rather
than drawn at random, so migrating is a pure function.

Two steps rewrite expressions inside templates (13.3.0 and 13.6.1) with the token-level editor of
:mod:`sauti.engine.definition.templates`: an edited expression keeps its spacing, where goflow re-prints it in
canonical form; the meaning is the same.
"""

from __future__ import annotations

import copy
import re
import uuid as uuidlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from sauti.engine.definition.errors import DefinitionError
from sauti.engine.definition.fields import flow_location
from sauti.engine.definition.templates import rename_root, rewrite_path, rewrite_template, truncate_lookups

Version: TypeAlias = tuple[int, int, int]
JSONObject: TypeAlias = dict[str, Any]

CURRENT_VERSION: Final = "14.4.2"
OLDEST_SUPPORTED: Final[Version] = (13, 0, 0)
FIRST_UNSUPPORTED: Final[Version] = (14, 5, 0)
REEXPORT: Final = "re-export it from a current RapidPro or TextIt"

_VERSION_RE = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")
_NAMESPACE: Final = uuidlib.UUID("700e4512-397a-4acb-838c-b942acc7ac05")


def parse_version(text: object) -> Version | None:
    """``"13.1.0"`` → ``(13, 1, 0)``; missing parts are 0 (``"13"`` is 13.0.0); ``None`` if not a version."""
    match = _VERSION_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor or 0), int(patch or 0)


def _text(v: Version) -> str:
    return ".".join(str(p) for p in v)


def spec_version(data: Mapping[str, Any]) -> Version:
    """The definition's spec version, checked to be one Sauti reads. Raises :class:`DefinitionError`."""
    if not isinstance(data, Mapping):
        raise DefinitionError("flow definition must be a JSON object")
    where = (flow_location(data),)
    raw = data.get("spec_version")
    if raw is None:
        if any(key in data for key in ("action_sets", "rule_sets", "base_language")):
            raise DefinitionError(f"flow is in the legacy format (action_sets and rule_sets): {REEXPORT}", where)
        raise DefinitionError("field 'spec_version' is required", where)
    version = parse_version(raw)
    if version is None:
        raise DefinitionError(f"field 'spec_version' is not a valid version ('{raw}')", where)
    if version < OLDEST_SUPPORTED:
        raise DefinitionError(
            f"spec version {_text(version)} is older than {_text(OLDEST_SUPPORTED)}, a legacy format: {REEXPORT}",
            where,
        )
    if version >= FIRST_UNSUPPORTED:
        raise DefinitionError(
            f"spec version {_text(version)} is newer than this engine supports ({CURRENT_VERSION})", where
        )
    return version


# ---------------------------------------------------------------------------------------------------- helpers
def _nodes(flow: JSONObject) -> Iterator[JSONObject]:
    nodes = flow.get("nodes")
    yield from (n for n in nodes if isinstance(n, dict)) if isinstance(nodes, list) else ()


def _actions(node: JSONObject) -> list[JSONObject]:
    actions = node.get("actions")
    return [a for a in actions if isinstance(a, dict)] if isinstance(actions, list) else []


def _all_actions(flow: JSONObject, type_: str) -> Iterator[JSONObject]:
    for node in _nodes(flow):
        yield from (a for a in _actions(node) if a.get("type") == type_)


def _router(node: JSONObject) -> JSONObject | None:
    router = node.get("router")
    return router if isinstance(router, dict) else None


def _switch_after_single(node: JSONObject, types: tuple[str, ...]) -> tuple[JSONObject, JSONObject] | None:
    """``(action, router)`` when the node is one action of ``types`` followed by a switch router."""
    actions, router = _actions(node), _router(node)
    if len(actions) != 1 or actions[0].get("type") not in types or router is None or router.get("type") != "switch":
        return None
    return actions[0], router


def _localization(flow: JSONObject) -> dict[str, Any]:
    loc = flow.get("localization")
    return loc if isinstance(loc, dict) else {}


def _languages(flow: JSONObject) -> Iterator[dict[str, Any]]:
    """Each language's translations (those that are objects)."""
    yield from (t for t in list(_localization(flow).values()) if isinstance(t, dict))


def _get_translation(lang: dict[str, Any], item_uuid: str, prop: str) -> list[str] | None:
    item = lang.get(item_uuid)
    value = item.get(prop) if isinstance(item, dict) else None
    return [v if isinstance(v, str) else "" for v in value] if isinstance(value, list) else None


def _set_translation(lang: dict[str, Any], item_uuid: str, prop: str, values: list[str]) -> None:
    item = lang.get(item_uuid)
    if not isinstance(item, dict):
        item = lang[item_uuid] = {}
    item[prop] = list(values)


def _delete_translation(lang: dict[str, Any], item_uuid: str, prop: str) -> None:
    item = lang.get(item_uuid)
    if isinstance(item, dict):
        item.pop(prop, None)
        if not item:
            del lang[item_uuid]


def _uuid_of(obj: object) -> str:
    value = obj.get("uuid") if isinstance(obj, dict) else None
    return value if isinstance(value, str) else ""


def _derived_uuid(*parts: str) -> str:
    return str(uuidlib.uuid5(_NAMESPACE, "/".join(parts)))


def _byte_len(text: str) -> int:
    return len(text.encode())


def _cut(text: str, limit: int) -> str:
    """Cut to ``limit`` characters and strip, so no trailing space is left."""
    return text[:limit].strip()


_ROUTER_TEMPLATES: Final = ("operand", "cases[*].arguments[*]", "wait.phone")
_TEMPLATES_13: Final[Mapping[str, tuple[str, ...]]] = {
    "add_contact_groups": ("groups[*].name_match",),
    "add_contact_urn": ("path",),
    "add_input_labels": ("labels[*].name_match",),
    "call_classifier": ("input",),
    "call_webhook": ("body", "headers.*", "url"),
    "open_ticket": ("assignee.email", "body"),
    "play_audio": ("audio_url",),
    "remove_contact_groups": ("groups[*].name_match",),
    "say_msg": ("text",),
    "send_broadcast": (
        "attachments[*]",
        "contact_query",
        "groups[*].name_match",
        "legacy_vars[*]",
        "quick_replies[*]",
        "text",
    ),
    "send_email": ("addresses[*]", "body", "subject"),
    "send_msg": ("attachments[*]", "quick_replies[*]", "template_variables[*]", "text"),
    "set_contact_field": ("value",),
    "set_contact_language": ("language",),
    "set_contact_name": ("name",),
    "set_contact_timezone": ("timezone",),
    "set_run_result": ("value",),
    "start_session": ("contact_query", "groups[*].name_match", "legacy_vars[*]"),
}
"""The template fields of each action type in the 13.x spec (as of 13.6.0; 13.2.0 differs only for send_msg)."""

_SEND_MSG_TEMPLATES_13_2: Final = (
    "attachments[*]",
    "quick_replies[*]",
    "templating.components[*].params[*]",
    "templating.variables[*]",
    "text",
)


def _rewrite_templates(
    flow: JSONObject, catalog: Mapping[str, tuple[str, ...]], edit: Callable[[str], str], roots: frozenset[str]
) -> None:
    """Apply ``edit`` to the expressions of every template of ``catalog`` and to their translations."""

    def edit_template(template: str) -> str:
        return rewrite_template(template, roots, edit)

    def translations(container: Any, key: str) -> None:
        item_uuid = _uuid_of(container)
        if not item_uuid:
            return
        for lang in _languages(flow):
            values = _get_translation(lang, item_uuid, key)
            if values is not None:
                _set_translation(lang, item_uuid, key, [edit_template(v) for v in values])

    for node in _nodes(flow):
        for action in _actions(node):
            for path in catalog.get(str(action.get("type")), ()):
                rewrite_path(action, path, edit_template, translations)
        router = _router(node)
        if router is not None and router.get("type") in ("switch", "random"):
            for path in _ROUTER_TEMPLATES:
                rewrite_path(router, path, edit_template, translations)


# ---------------------------------------------------------------------------------------------------- 13.x
def _m13_1_0(flow: JSONObject) -> None:
    """Give each ``send_msg`` ``templating`` object a UUID (so its variables can be translated)."""
    for action in _all_actions(flow, "send_msg"):
        templating = action.get("templating")
        if isinstance(templating, dict):
            templating["uuid"] = _derived_uuid(_uuid_of(action), "templating")


def _m13_2_0(flow: JSONObject) -> None:
    """A flow language that isn't a 3-letter code (the old ``base``) becomes ``und`` (undetermined)."""
    language = flow.get("language")
    if not isinstance(language, str) or _byte_len(language) != 3:
        flow["language"] = "und"
        _localization(flow).pop("und", None)


def _m13_3_0(flow: JSONObject) -> None:
    """``@webhook`` meant the parsed response body; it is now ``@webhook.json``."""
    catalog = {**_TEMPLATES_13, "send_msg": _SEND_MSG_TEMPLATES_13_2}
    _rewrite_templates(flow, catalog, rename_root("webhook", "webhook.json"), frozenset({"webhook"}))


def _m13_4_0(flow: JSONObject) -> None:
    """``send_msg`` ``templating.variables`` become the params of one ``body`` component."""
    for action in _all_actions(flow, "send_msg"):
        templating = action.get("templating")
        if not isinstance(templating, dict):
            continue
        templating_uuid = _uuid_of(templating)
        body_uuid = _derived_uuid(_uuid_of(action), "templating", "body")
        variables = templating.get("variables")
        templating["components"] = [
            {"uuid": body_uuid, "name": "body", "params": variables if isinstance(variables, list) else []}
        ]
        for lang in _languages(flow):
            translated = _get_translation(lang, templating_uuid, "variables")
            if translated is not None:
                _set_translation(lang, body_uuid, "params", translated)
                _delete_translation(lang, templating_uuid, "variables")
        templating.pop("uuid", None)
        templating.pop("variables", None)


def _m13_5_0(flow: JSONObject) -> None:
    """``send_msg`` ``templating`` becomes ``template`` plus one merged ``template_variables`` list (translations
    of the components' params merge the same way, keyed by the action)."""
    for action in _all_actions(flow, "send_msg"):
        templating = action.get("templating")
        if not isinstance(templating, dict):
            continue
        variables: list[str] = []
        localized: dict[str, list[str]] = {}
        translated_langs: set[str] = set()
        components = templating.get("components")
        for comp in components if isinstance(components, list) else ():
            comp_uuid = _uuid_of(comp)
            params = comp.get("params") if isinstance(comp, dict) else None
            as_text = [p if isinstance(p, str) else "" for p in params] if isinstance(params, list) else []
            variables.extend(as_text)
            for code, lang in list(_localization(flow).items()):
                if not isinstance(lang, dict):
                    continue
                translated = _get_translation(lang, comp_uuid, "params")
                if translated is not None:
                    localized.setdefault(code, []).extend(translated)
                    _delete_translation(lang, comp_uuid, "params")
                    translated_langs.add(code)
                else:
                    localized.setdefault(code, []).extend(as_text)
        template = templating.get("template")
        if template is not None:
            action["template"] = template
        else:
            action.pop("template", None)
        action["template_variables"] = variables
        del action["templating"]
        loc = _localization(flow)
        for code, values in localized.items():
            if code in translated_langs and isinstance(loc.get(code), dict):
                _set_translation(loc[code], _uuid_of(action), "template_variables", values)


def _m13_6_0(flow: JSONObject) -> None:
    """Result names are cut to 64 characters and category names to 36 (when longer than that in bytes)."""
    for node in _nodes(flow):
        for action in _actions(node):
            if action.get("type") != "set_run_result":
                continue
            name, category = action.get("name"), action.get("category")
            if isinstance(name, str) and _byte_len(name) > 64:
                action["name"] = _cut(name, 64)
            if isinstance(category, str) and _byte_len(category) > 36:
                action["category"] = _cut(category, 36)
        router = _router(node)
        if router is None:
            continue
        result_name = router.get("result_name")
        if isinstance(result_name, str) and _byte_len(result_name) > 64:
            router["result_name"] = _cut(result_name, 64)
        categories = router.get("categories")
        for cat in categories if isinstance(categories, list) else ():
            name = cat.get("name") if isinstance(cat, dict) else None
            if isinstance(name, str) and _byte_len(name) > 36:
                cat["name"] = _cut(name, 36)


def _m13_6_1(flow: JSONObject) -> None:
    """``@results.<name>`` lookups are cut to 64 characters, to keep finding results renamed by 13.6.0."""
    _rewrite_templates(flow, _TEMPLATES_13, truncate_lookups("results", 64), frozenset({"results"}))


# ---------------------------------------------------------------------------------------------------- 14.x
_MAX_EXPIRES: Final[Mapping[str, int]] = {"messaging": 20160, "voice": 15}
_WEBHOOKS: Final = ("call_webhook", "call_resthook")
_SINGLE_ARGUMENT_TESTS: Final = frozenset(
    {"has_only_text", "has_phrase", "has_only_phrase", "has_any_word", "has_all_words", "has_beginning", "has_pattern"}
)


def _m14_0_0(flow: JSONObject) -> None:
    """``expire_after_minutes`` is capped (messaging 20160, voice 15, other types 0); unnamed categories become
    ``Match``."""
    expires = flow.get("expire_after_minutes")
    if isinstance(expires, int) and not isinstance(expires, bool):
        flow["expire_after_minutes"] = min(expires, _MAX_EXPIRES.get(str(flow.get("type")), 0))
    for node in _nodes(flow):
        router = _router(node)
        categories = router.get("categories") if router is not None else None
        for cat in categories if isinstance(categories, list) else ():
            if isinstance(cat, dict) and not (isinstance(cat.get("name"), str) and cat["name"]):
                cat["name"] = "Match"


def _m14_1_0(flow: JSONObject) -> None:
    """Webhook and resthook nodes split on ``@webhook.status`` (2xx: the first case) instead of on their result;
    quick replies are capped at 10."""
    for node in _nodes(flow):
        found = _switch_after_single(node, _WEBHOOKS)
        if found is None:
            continue
        _, router = found
        operand, cases = router.get("operand"), router.get("cases")
        if not (isinstance(operand, str) and operand.startswith("@results.")) or not isinstance(cases, list):
            continue
        if not cases or not isinstance(cases[0], dict):
            continue
        cases[0]["type"] = "has_number_between"
        cases[0]["arguments"] = ["200", "299"]
        router["operand"] = "@webhook.status"
        router["cases"] = [cases[0]]
    for node in _nodes(flow):
        for action in _actions(node):
            replies = action.get("quick_replies")
            if action.get("type") in ("send_msg", "send_broadcast") and isinstance(replies, list) and len(replies) > 10:
                action["quick_replies"] = replies[:10]


def _m14_2_0(flow: JSONObject) -> None:
    """``open_ticket`` ``body`` is renamed ``note``; translations under a key that isn't a 3-letter code go."""
    for action in _all_actions(flow, "open_ticket"):
        body = action.get("body")
        if isinstance(body, str) and body:
            action["note"] = body
            del action["body"]
    loc = _localization(flow)
    for code in [c for c in loc if _byte_len(c) != 3]:
        del loc[code]


def _m14_3_0(flow: JSONObject) -> None:
    """Ticket and airtime nodes split on the local their action sets (``@locals._new_ticket``,
    ``@locals._new_transfer``) with one ``has_text`` case; the action's ``result_name`` moves to the router."""
    locals_by_type = {"open_ticket": "_new_ticket", "transfer_airtime": "_new_transfer"}
    for node in _nodes(flow):
        found = _switch_after_single(node, tuple(locals_by_type))
        if found is None:
            continue
        action, router = found
        operand, cases = router.get("operand"), router.get("cases")
        if not (isinstance(operand, str) and operand.startswith("@results.")) or not isinstance(cases, list):
            continue
        if not cases or not isinstance(cases[0], dict):
            continue
        cases[0]["type"] = "has_text"
        cases[0]["arguments"] = []
        router["operand"] = "@locals." + locals_by_type[str(action["type"])]
        router["cases"] = [cases[0]]
        result_name = action.pop("result_name", None)
        if isinstance(result_name, str) and result_name:
            router["result_name"] = result_name
        else:
            router.pop("result_name", None)


def _m14_3_1(flow: JSONObject) -> None:
    """Text tests that take one argument but were saved with several get them joined by a space (translations
    too)."""
    cases: list[JSONObject] = []
    for node in _nodes(flow):
        router = _router(node)
        if router is not None and router.get("type") == "switch" and isinstance(router.get("cases"), list):
            cases.extend(c for c in router["cases"] if isinstance(c, dict) and c.get("type") in _SINGLE_ARGUMENT_TESTS)
    for case in cases:
        args = case.get("arguments")
        if isinstance(args, list) and len(args) > 1:
            case["arguments"] = [" ".join(a if isinstance(a, str) else "" for a in args)]
    for lang in _languages(flow):
        for case in cases:
            translated = _get_translation(lang, _uuid_of(case), "arguments")
            if translated is not None and len(translated) > 1:
                _set_translation(lang, _uuid_of(case), "arguments", [" ".join(translated)])


def _m14_4_0(flow: JSONObject) -> None:
    """``send_msg`` loses ``all_urns``."""
    for action in _all_actions(flow, "send_msg"):
        action.pop("all_urns", None)


def _m14_4_1(flow: JSONObject) -> None:
    """Webhook and resthook switches take their canonical shape again: operand ``@webhook.status``, one
    ``has_number_between 200 299`` case (the first, keeping its UUID and category); translated arguments of their
    cases are dropped."""
    for node in _nodes(flow):
        found = _switch_after_single(node, _WEBHOOKS)
        if found is None:
            continue
        _, router = found
        cases = router.get("cases")
        if not isinstance(cases, list) or not cases or not isinstance(cases[0], dict):
            continue
        cases[0]["type"] = "has_number_between"
        cases[0]["arguments"] = ["200", "299"]
        router["operand"] = "@webhook.status"
        router["cases"] = [cases[0]]
        for lang in _languages(flow):
            for case in cases:
                if _uuid_of(case):
                    _delete_translation(lang, _uuid_of(case), "arguments")


def _m14_4_2(flow: JSONObject) -> None:
    """Webhook and resthook switches on ``@webhook.status`` use ``@(default(webhook.status, 0))``, so a call that
    never happened routes to Failure without an error."""
    for node in _nodes(flow):
        found = _switch_after_single(node, _WEBHOOKS)
        if found is not None and found[1].get("operand") == "@webhook.status":
            found[1]["operand"] = "@(default(webhook.status, 0))"


@dataclass(frozen=True, slots=True)
class Migration:
    """One spec version step: ``apply`` edits a definition in place."""

    version: str
    apply: Callable[[JSONObject], None]

    @property
    def key(self) -> Version:
        major, minor, patch = (int(part) for part in self.version.split("."))
        return major, minor, patch

    @property
    def description(self) -> str:
        return (self.apply.__doc__ or "").strip()


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration("13.1.0", _m13_1_0),
    Migration("13.2.0", _m13_2_0),
    Migration("13.3.0", _m13_3_0),
    Migration("13.4.0", _m13_4_0),
    Migration("13.5.0", _m13_5_0),
    Migration("13.6.0", _m13_6_0),
    Migration("13.6.1", _m13_6_1),
    Migration("14.0.0", _m14_0_0),
    Migration("14.1.0", _m14_1_0),
    Migration("14.2.0", _m14_2_0),
    Migration("14.3.0", _m14_3_0),
    Migration("14.3.1", _m14_3_1),
    Migration("14.4.0", _m14_4_0),
    Migration("14.4.1", _m14_4_1),
    Migration("14.4.2", _m14_4_2),
)
"""Every step, oldest first."""


def migrate(data: Mapping[str, Any]) -> JSONObject:
    """A copy of ``data`` at spec 14.4.2. Raises :class:`DefinitionError` for a version Sauti doesn't read."""
    version = spec_version(data)
    flow: JSONObject = copy.deepcopy(dict(data))
    for step in MIGRATIONS:
        if step.key > version:
            step.apply(flow)
    flow["spec_version"] = CURRENT_VERSION
    return flow


def migrate_step(version: str, data: Mapping[str, Any]) -> JSONObject:
    """A copy of ``data`` with the single step of ``version`` applied and ``spec_version`` set to it (for tests
    and for the editor's step-by-step view)."""
    step = next((m for m in MIGRATIONS if m.version == version), None)
    if step is None:
        raise KeyError(f"no migration to {version}")
    flow: JSONObject = copy.deepcopy(dict(data))
    step.apply(flow)
    flow["spec_version"] = version
    return flow
