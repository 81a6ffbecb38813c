"""Routers pick the category (and so the exit) a node leaves by; waits pause a session before routing.

:func:`route` runs a node's router against the current run and saves its result (a router with a
``result_name``); :func:`route_timeout` takes a wait's timeout category instead. Both return the exit's UUID, or
``None`` when no category could be picked (the session then fails the run). The router types live in
:mod:`.switch` and :mod:`.random`, the waits in :mod:`.waits`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sauti.engine.definition import RandomRouter, Router, SwitchRouter
from sauti.engine.routers.base import route_to_category
from sauti.engine.routers.random import pick_random
from sauti.engine.routers.switch import pick_switch
from sauti.engine.routers.waits import accepts, begin_wait

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

__all__ = ["accepts", "begin_wait", "route", "route_timeout"]


def route(x: Execution, router: Router) -> tuple[str | None, str]:
    """``(exit uuid or None, operand as text)`` for the node ``x`` visits."""
    if isinstance(router, SwitchRouter):
        category_uuid, match, operand, extra = pick_switch(x, router)
    elif isinstance(router, RandomRouter):
        category_uuid, match, operand, extra = pick_random(x, router)
    else:  # pragma: no cover - the definition reader knows no other router
        raise TypeError(f"unknown router {type(router).__name__}")
    return route_to_category(x, router, category_uuid, match, operand, extra), operand


def route_timeout(x: Execution, router: Router) -> str | None:
    """The exit of the wait's timeout category (its result saved with an empty value)."""
    timeout = router.wait.timeout if router.wait is not None else None
    if timeout is None:
        return None
    return route_to_category(x, router, timeout.category_uuid, "", "", None)
