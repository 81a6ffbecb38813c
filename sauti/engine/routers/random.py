"""The random router: each category equally likely, drawn from the injected random source."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sauti.engine.definition import RandomRouter
from sauti.engine.excellent import XNumber, render

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

__all__ = ["pick_random"]


def pick_random(x: Execution, router: RandomRouter) -> tuple[str | None, str, str, Any]:
    """``(category uuid, match, operand, extra)``: category ``floor(r * n)`` for a draw ``r`` in [0, 1); the
    result's value is that index and its input the draw."""
    draw = x.services.random()
    index = min(int(draw * len(router.categories)), len(router.categories) - 1)
    drawn = render(XNumber(draw))
    return router.categories[index].uuid, str(index), drawn, None
