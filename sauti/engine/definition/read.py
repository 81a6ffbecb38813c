"""Reading a flow definition: migrate it to 14.4.2, parse it into typed objects, check every rule.

:func:`read_flow` is the one entry point. It raises a single :class:`DefinitionError` for the first object that
breaks a rule (listing every broken field of that object), located by flow, node, action, router, case ...
The rules, in the order they are checked:

1. size before anything else: at most :data:`MAX_NODES` nodes and a ``_ui`` of at most :data:`MAX_UI_BYTES`;
2. the spec version (``13.0.0 <= v < 14.5.0``; older: "re-export"), then the migrations;
3. every object's fields: required fields, types, UUIDs, lengths (templates mostly at most 10000 characters),
   list sizes, known action / router / wait / hint types;
4. structure: at most 100 actions and 100 exits per node, 100 categories and 100 cases per router, 10 arguments
   per case; node, action and exit UUIDs unique in the flow; every destination a node of the flow; every
   category's exit an exit of its node; default, timeout and case categories categories of their router; case
   types among :data:`sauti.engine.cases.NAMES`;
5. flow type: ``messaging_background`` has no waits and no interactive actions, ``messaging_offline`` no online
   actions, voice-only actions and dial waits only in ``voice`` flows;
6. the localization: language codes, item UUIDs, at most 10 properties per item, 10 values per property and
   10000 characters per value.

Expressions inside templates are not checked for syntax: goflow doesn't on read either (a broken expression is
an error event when it runs, and the rest of the template still renders).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, cast

from sauti.engine import cases
from sauti.engine.actions.base import MAX_TEMPLATE, Action, describe, read_action
from sauti.engine.definition.errors import DefinitionError
from sauti.engine.definition.fields import (
    FLOW_TYPES,
    MAX_NAME,
    FlowType,
    Reader,
    flow_location,
    is_language,
    is_uuid,
    json_size,
    truncate,
)
from sauti.engine.definition.flow import (
    Case,
    Category,
    DialWait,
    Exit,
    Flow,
    Hint,
    Localization,
    MsgWait,
    Node,
    RandomRouter,
    Router,
    SwitchRouter,
    Timeout,
    Wait,
)
from sauti.engine.definition.migrate import migrate

MAX_NODES: Final = 1000
MAX_ACTIONS_PER_NODE: Final = 100
MAX_EXITS_PER_NODE: Final = 100
MAX_CATEGORIES_PER_ROUTER: Final = 100
MAX_CASES_PER_ROUTER: Final = 100
MAX_ARGUMENTS_PER_CASE: Final = 10
MAX_UI_BYTES: Final = 262_144
MAX_ITEMS_PER_LANGUAGE: Final = MAX_NODES * (MAX_ACTIONS_PER_NODE + MAX_CASES_PER_ROUTER + MAX_CATEGORIES_PER_ROUTER)
MAX_PROPERTIES_PER_ITEM: Final = 10
MAX_VALUES_PER_PROPERTY: Final = 10
MAX_TRANSLATION_CHARS: Final = 10_000
HINT_TYPES: Final = frozenset({"image", "audio", "video", "location", "digits"})


def read_flow(data: Mapping[str, Any]) -> Flow:
    """The valid, typed flow of ``data`` (any spec from 13.0.0 to 14.4.x). Raises :class:`DefinitionError`.

    ``data`` is not modified; ``read_flow(data).to_json() == migrate(data)``.
    """
    if not isinstance(data, Mapping):
        raise DefinitionError("flow definition must be a JSON object")
    _check_size(data)
    return _read(migrate(data))


def _check_size(data: Mapping[str, Any]) -> None:
    where = (flow_location(data),)
    count = sum(len(data[k]) for k in ("nodes", "action_sets", "rule_sets") if isinstance(data.get(k), list))
    if count > MAX_NODES:
        raise DefinitionError(f"flow can't have more than {MAX_NODES} nodes (has {count})", where)
    if data.get("_ui") is not None and (size := json_size(data["_ui"])) > MAX_UI_BYTES:
        raise DefinitionError(f"flow UI can't be larger than {MAX_UI_BYTES} bytes (is {size})", where)


def _read(data: dict[str, Any]) -> Flow:
    where = (flow_location(data),)
    r = Reader(data)
    uuid = r.uuid("uuid", required=True)
    name = r.text("name", required=True, max_len=MAX_NAME)
    language = r.text("language", required=True, check=is_language, problem="is not a valid language code")
    flow_type = r.choice("type", FLOW_TYPES, "is not a valid flow type")
    revision = r.integer("revision")
    expire = r.integer("expire_after_minutes")
    localization = r.mapping("localization") or {}
    raw_nodes = r.objects("nodes", required=True)
    r.raise_if_errors(where)

    flow = Flow(
        uuid=uuid,
        name=name,
        spec_version=str(data["spec_version"]),
        language=language,
        type=cast(FlowType, flow_type),
        revision=revision,
        expire_after_minutes=expire,
        localization=Localization(language, MappingProxyType(dict(localization))),
        nodes=tuple(_read_node(n, i, where) for i, n in enumerate(raw_nodes)),
        raw=data,
    )
    _check_flow(flow, where)
    _check_localization(localization, where)
    return flow


# ---------------------------------------------------------------------------------------------------- parsing
def _read_node(data: Mapping[str, Any], index: int, where: tuple[str, ...]) -> Node:
    r = Reader(data)
    uuid = r.uuid("uuid", required=True)
    here = (*where, f"node[uuid={uuid}]" if is_uuid(uuid) else f"node[index={index}]")
    raw_actions = r.objects("actions")
    raw_router = r.mapping("router")
    exits = tuple(
        Exit(e.uuid("uuid", required=True), e.uuid("destination_uuid") or None)
        for e in r.children("exits", required=True, min_items=1)
    )
    r.raise_if_errors(here)

    actions: list[Action] = []
    for i, raw_action in enumerate(raw_actions):
        try:
            actions.append(read_action(raw_action))
        except DefinitionError as e:
            raise e.within(*here, describe(raw_action, i)) from None
    router = _read_router(raw_router, here) if raw_router is not None else None
    return Node(uuid, tuple(actions), router, exits)


def _read_router(data: Mapping[str, Any], where: tuple[str, ...]) -> Router:
    here = (*where, "router")
    r = Reader(data)
    router_type = r.text("type", required=True)
    r.raise_if_errors(here)
    if router_type not in (SwitchRouter.TYPE, RandomRouter.TYPE):
        raise DefinitionError(f"unknown router type '{router_type}'", here)

    result_name = r.text("result_name", max_len=MAX_NAME) or None
    categories = tuple(
        Category(
            c.uuid("uuid", required=True),
            c.text("name", required=True, max_len=MAX_NAME),
            c.uuid("exit_uuid", required=True),
        )
        for c in r.children("categories", required=True, min_items=1)
    )
    wait_reader = r.child("wait")
    wait = _read_wait(wait_reader) if wait_reader is not None else None

    if router_type == RandomRouter.TYPE:
        r.raise_if_errors(here)
        return RandomRouter(categories=categories, result_name=result_name, wait=wait)

    operand = r.text("operand", required=True, max_len=MAX_TEMPLATE)
    cases_ = tuple(
        Case(
            c.uuid("uuid", required=True),
            c.text("type", required=True),
            c.texts("arguments", item_max=MAX_TEMPLATE),
            c.text("category_uuid", required=True),
        )
        for c in r.children("cases")
    )
    default = r.uuid("default_category_uuid") or None
    r.raise_if_errors(here)
    return SwitchRouter(
        categories=categories,
        result_name=result_name,
        wait=wait,
        operand=operand,
        cases=cases_,
        default_category_uuid=default,
    )


def _read_wait(r: Reader) -> Wait | None:
    wait_type = r.text("type", required=True)
    timeout_reader = r.child("timeout")
    timeout = (
        Timeout(
            timeout_reader.integer("seconds", required=True, positive=True),
            timeout_reader.uuid("category_uuid", required=True),
        )
        if timeout_reader is not None
        else None
    )
    if wait_type == MsgWait.TYPE:
        hint_reader = r.child("hint")
        return MsgWait(timeout=timeout, hint=_read_hint(hint_reader) if hint_reader is not None else None)
    if wait_type == DialWait.TYPE:
        return DialWait(
            timeout=timeout,
            phone=r.text("phone", required=True, max_len=1000),
            dial_limit_seconds=r.integer("dial_limit_seconds", default=60),
            call_limit_seconds=r.integer("call_limit_seconds", default=7200),
        )
    if wait_type:
        r.errors.append(f"unknown wait type '{wait_type}'")
    return None


def _read_hint(r: Reader) -> Hint:
    hint_type = r.text("type", required=True)
    if hint_type and hint_type not in HINT_TYPES:
        r.errors.append(f"unknown hint type '{hint_type}'")
    count = r.integer("count") if r.has("count") else None
    return Hint(hint_type, count, r.text("terminated_by", max_len=8) or None)


# ---------------------------------------------------------------------------------------------------- structure
def _check_flow(flow: Flow, where: tuple[str, ...]) -> None:
    if len(flow.nodes) > MAX_NODES:
        raise DefinitionError(f"flow can't have more than {MAX_NODES} nodes (has {len(flow.nodes)})", where)
    seen: set[str] = set()
    for node in flow.nodes:
        if node.uuid in seen:
            raise DefinitionError(f"node UUID {node.uuid} isn't unique", where)
        seen.add(node.uuid)
        here = (*where, f"node[uuid={node.uuid}]")
        if len(node.actions) > MAX_ACTIONS_PER_NODE:
            raise DefinitionError(
                f"node can't have more than {MAX_ACTIONS_PER_NODE} actions (has {len(node.actions)})", here
            )
        if len(node.exits) > MAX_EXITS_PER_NODE:
            raise DefinitionError(f"node can't have more than {MAX_EXITS_PER_NODE} exits (has {len(node.exits)})", here)
        for action in node.actions:
            if flow.type not in action.allowed_flow_types():
                raise DefinitionError(
                    f"action type '{action.type}' is not allowed in a flow of type '{flow.type}'", here
                )
            if action.uuid in seen:
                raise DefinitionError(f"action UUID {action.uuid} isn't unique", here)
            seen.add(action.uuid)
        if node.router is not None:
            _check_router(node.router, node, flow, here)
        for exit_ in node.exits:
            if exit_.uuid in seen:
                raise DefinitionError(f"exit UUID {exit_.uuid} isn't unique", here)
            seen.add(exit_.uuid)
            if exit_.destination_uuid is not None and flow.node(exit_.destination_uuid) is None:
                raise DefinitionError(
                    f"destination {exit_.destination_uuid} of exit[uuid={exit_.uuid}] isn't a node of this flow", here
                )


def _check_router(router: Router, node: Node, flow: Flow, where: tuple[str, ...]) -> None:
    here = (*where, "router")
    not_ours = "isn't a category of this router"
    if len(router.categories) > MAX_CATEGORIES_PER_ROUTER:
        raise DefinitionError(
            f"router can't have more than {MAX_CATEGORIES_PER_ROUTER} categories (has {len(router.categories)})", here
        )
    if isinstance(router, SwitchRouter):
        if len(router.cases) > MAX_CASES_PER_ROUTER:
            raise DefinitionError(
                f"router can't have more than {MAX_CASES_PER_ROUTER} cases (has {len(router.cases)})", here
            )
        if router.default_category_uuid is not None and router.category(router.default_category_uuid) is None:
            raise DefinitionError(f"default category {router.default_category_uuid} {not_ours}", here)
        for case in router.cases:
            at = (*here, f"case[uuid={case.uuid}]")
            if router.category(case.category_uuid) is None:
                raise DefinitionError(f"category {case.category_uuid} {not_ours}", at)
            if case.type not in cases.NAMES:
                raise DefinitionError(f"unknown case type '{case.type}'", at)
            if len(case.arguments) > MAX_ARGUMENTS_PER_CASE:
                raise DefinitionError(
                    f"case can't have more than {MAX_ARGUMENTS_PER_CASE} arguments (has {len(case.arguments)})", at
                )
    wait = router.wait
    if wait is not None and wait.timeout is not None and router.category(wait.timeout.category_uuid) is None:
        raise DefinitionError(f"timeout category {wait.timeout.category_uuid} {not_ours}", here)
    exits = {e.uuid for e in node.exits}
    for category in router.categories:
        if category.exit_uuid not in exits:
            raise DefinitionError(
                f"exit {category.exit_uuid} of category[uuid={category.uuid}] isn't an exit of this node", here
            )
    if wait is not None and flow.type not in wait.ALLOWED_FLOW_TYPES:
        raise DefinitionError(f"wait type '{wait.TYPE}' is not allowed in a flow of type '{flow.type}'", here)


def _check_localization(localization: Mapping[str, Any], where: tuple[str, ...]) -> None:
    here = (*where, "localization")
    for language, items in localization.items():
        if not is_language(language):
            raise DefinitionError(f"invalid language code '{truncate(language, 32)}'", here)
        at = (*where, f"localization[{language}]")
        if not isinstance(items, Mapping):
            raise DefinitionError("translations must be an object", at)
        if len(items) > MAX_ITEMS_PER_LANGUAGE:
            raise DefinitionError(
                f"can't have more than {MAX_ITEMS_PER_LANGUAGE} item translations (has {len(items)})", at
            )
        for item_uuid, item in items.items():
            if not is_uuid(item_uuid):
                raise DefinitionError(f"invalid item UUID '{truncate(item_uuid, 32)}'", at)
            _check_item(item, (*at, f"item[uuid={item_uuid}]"))


def _check_item(item: object, where: tuple[str, ...]) -> None:
    if not isinstance(item, Mapping):
        raise DefinitionError("item translation must be an object", where)
    if len(item) > MAX_PROPERTIES_PER_ITEM:
        raise DefinitionError(f"can't have more than {MAX_PROPERTIES_PER_ITEM} properties (has {len(item)})", where)
    for prop, value in item.items():
        if not 0 < len(prop) <= MAX_NAME:
            raise DefinitionError(f"invalid property name '{truncate(prop, 32)}'", where)
        if isinstance(value, list) and len(value) > MAX_VALUES_PER_PROPERTY:
            raise DefinitionError(
                f"translation for '{prop}' can't have more than {MAX_VALUES_PER_PROPERTY} values (has {len(value)})",
                where,
            )
        for v in value if isinstance(value, list) else (value,):
            if isinstance(v, str):
                if len(v) > MAX_TRANSLATION_CHARS:
                    raise DefinitionError(
                        f"translation value for '{prop}' can't be longer than {MAX_TRANSLATION_CHARS} characters "
                        f"(is {len(v)})",
                        where,
                    )
            elif (size := json_size(v)) > MAX_TRANSLATION_CHARS:
                raise DefinitionError(
                    f"translation value for '{prop}' can't be larger than {MAX_TRANSLATION_CHARS} bytes (is {size})",
                    where,
                )
