"""What an evaluation needs besides the context: the environment, an injected clock and random source, the
language for month and day names, and the cost budget.

The engine has no global clock: ``Eval.now`` and ``Eval.random`` come from the caller (the session, a test),
so a case file can hold literal expected values for ``now()``, ``today()``, ``rand()`` and the random router.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import cycle
from typing import Final

from sauti.engine.env import Environment
from sauti.engine.excellent.types import TOO_COMPLEX, Value, XError, XFunction, cost_of

__all__ = ["DEFAULT_BUDGET", "MAX_TEMPLATE_CHARS", "Budget", "Eval", "call_function"]

DEFAULT_BUDGET: Final = 1_000_000
"""Cost allowance of one expression (text costs its UTF-8 length, other values 1). goflow allows 10 million;
Python pays roughly fifty times Go's price per operation, so Sauti's bound is ten times smaller, still three
orders of magnitude above what real flows spend."""

MAX_TEMPLATE_CHARS: Final = 10_000
"""Longest text an evaluated template produces; longer results end in ``...`` at this length."""


class Budget:
    """The cost left for one expression evaluation (mutable; one per evaluation)."""

    __slots__ = ("remaining",)

    def __init__(self, total: int) -> None:
        self.remaining = total

    def charge(self, cost: int) -> bool:
        """Deduct ``cost``; ``False`` once the budget is exhausted."""
        self.remaining -= cost
        return self.remaining >= 0


@dataclass(frozen=True)
class Eval:
    """The evaluation settings shared by every expression of a session step.

    - ``env``: the (contact-merged) :class:`~sauti.engine.env.Environment`;
    - ``now``: returns the current instant (aware); ``now()`` shows it in the environment's timezone;
    - ``random``: returns a decimal in [0, 1) for ``rand()``, ``rand_between()`` and the random router;
    - ``language``: ISO-639-3 code for localised month/day names (default: the environment's language);
    - ``budget``: the cost allowance of one expression (:data:`DEFAULT_BUDGET`).

    ``meter`` is the running budget of the evaluation in progress: the evaluator sets it (see :meth:`metered`);
    functions that call other functions pass the same ``Eval`` on so the whole expression shares one budget.
    """

    env: Environment
    now: Callable[[], dt.datetime]
    random: Callable[[], Decimal]
    language: str | None = None
    budget: int = DEFAULT_BUDGET
    meter: Budget | None = field(default=None, compare=False, repr=False)

    @classmethod
    def fixed(
        cls,
        env: Environment,
        now: dt.datetime,
        randoms: Sequence[Decimal] = (Decimal("0.5"),),
        *,
        language: str | None = None,
        budget: int = DEFAULT_BUDGET,
    ) -> Eval:
        """An ``Eval`` whose clock always says ``now`` and whose random source cycles through ``randoms``."""
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        values: Iterator[Decimal] = cycle(randoms)
        return cls(env, lambda: now, lambda: next(values), language=language, budget=budget)

    @property
    def locale(self) -> str | None:
        """The language whose month and day names ``format_*`` uses."""
        return self.language or self.env.language

    def metered(self) -> Eval:
        """A copy carrying a fresh :class:`Budget` of :attr:`budget` (made field by field: every expression
        evaluated makes one, and ``dataclasses.replace`` costs several times the constructor)."""
        return type(self)(self.env, self.now, self.random, self.language, self.budget, Budget(self.budget))

    def current_time(self) -> dt.datetime:
        """``now()`` in the environment's timezone."""
        return self.now().astimezone(self.env.tz)

    def charge(self, value: Value) -> bool:
        """Charge ``value``'s cost to the running budget (unmetered evaluations always succeed)."""
        return self.meter is None or self.meter.charge(cost_of(value))


def call_function(ev: Eval, function: XFunction, args: Sequence[Value]) -> Value:
    """Call ``function`` as an expression does: an error result gains the ``error calling name(...): ``
    prefix (unless fatal), and the result is charged to the budget. Once the budget is exhausted every call
    returns :data:`TOO_COMPLEX`, whatever the function made of its arguments."""
    result = function.fn(ev, *args)
    if ev.meter is not None and ev.meter.remaining < 0:
        return TOO_COMPLEX  # exhausted inside: no function may turn that into an ordinary value or error
    if isinstance(result, XError):
        if result.fatal:
            return result
        return XError(f"error calling {function.describe()}: {result.message}")
    if not ev.charge(result):
        return TOO_COMPLEX
    return result
