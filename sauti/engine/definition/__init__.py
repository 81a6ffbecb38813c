"""Flow definitions: read and validate (:func:`read_flow`), migrate (:func:`migrate`), inspect
(:func:`inspect_flow`).

Typical use::

    flow = read_flow(json.loads(body))      # DefinitionError on any broken rule; migrated to 14.4.2
    flow.nodes[0].actions[0].text           # typed, frozen objects
    flow.to_json()                          # the migrated JSON, _ui and translations untouched
    inspect_flow(flow).to_json()            # results, dependencies, parent_refs, locals for the API
"""

from __future__ import annotations

from sauti.engine.definition.errors import DefinitionError
from sauti.engine.definition.fields import FLOW_TYPES, FlowType
from sauti.engine.definition.flow import (
    DEFAULT_EXPIRE_MINUTES,
    Case,
    Category,
    DialWait,
    Exit,
    Flow,
    Hint,
    Localization,
    Localized,
    MsgWait,
    Node,
    RandomRouter,
    Router,
    SwitchRouter,
    Timeout,
    Wait,
)
from sauti.engine.definition.inspect import Dependency, FlowInfo, ResultSpec, flow_templates, inspect_flow, snakify
from sauti.engine.definition.migrate import CURRENT_VERSION, MIGRATIONS, Migration, migrate, migrate_step
from sauti.engine.definition.read import read_flow

__all__ = [
    "CURRENT_VERSION",
    "DEFAULT_EXPIRE_MINUTES",
    "FLOW_TYPES",
    "MIGRATIONS",
    "Case",
    "Category",
    "DefinitionError",
    "Dependency",
    "DialWait",
    "Exit",
    "Flow",
    "FlowInfo",
    "FlowType",
    "Hint",
    "Localization",
    "Localized",
    "Migration",
    "MsgWait",
    "Node",
    "RandomRouter",
    "ResultSpec",
    "Router",
    "SwitchRouter",
    "Timeout",
    "Wait",
    "flow_templates",
    "inspect_flow",
    "migrate",
    "migrate_step",
    "read_flow",
    "snakify",
]
