"""The registry of router case tests, the shape of their results and the decorator that registers one.

A case test is ``test(ev, operand, *arguments) -> Value``: the operand and the arguments are already evaluated
values (a switch router evaluates them as template values). It returns

- a **true result**: an object ``{__default__: true, match: <value>, extra?: <object>}`` (see
  :func:`true_result`); the router saves ``match`` rendered as text as the result value and ``extra`` as the
  result's extra JSON;
- the **false result** :data:`FALSE_RESULT`, ``{__default__: false, match: ""}``;
- or an :class:`~sauti.engine.excellent.types.XError`: a wrong number of arguments, an argument that doesn't
  convert (an error operand or argument is returned as it is), a test Sauti can't answer. The router logs it
  and treats the case as not matching.

:func:`case_test` registers a test twice, under the same name: in :data:`CASE_TESTS` (what the router calls)
and in Excellent's ``FUNCTIONS`` (so ``@(has_number(input.text).match)`` works in any template). Both entries
run the same checked callable: the argument count is checked first (goflow's wording, ``need 2 argument(s),
got 1``), then the body runs; an argument helper's :class:`~sauti.engine.excellent.functions.Fail` becomes its
error. Called as a function from an expression, an error gains the usual ``error calling has_x(...): `` prefix;
called by the router, it doesn't.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeAlias, TypeVar

from sauti.engine.excellent.functions.base import FUNCTIONS, xfunction
from sauti.engine.excellent.types import DEFAULT_KEY, Value, XBoolean, XObject, XText

__all__ = ["CASE_TESTS", "FALSE_RESULT", "CaseTest", "case_test", "true_result"]

CaseTest: TypeAlias = Callable[..., Value]
"""``test(ev: Eval, operand: Value, *arguments: Value) -> Value``."""

CASE_TESTS: Final[dict[str, CaseTest]] = {}
"""Every router case test by name (the names of :data:`sauti.engine.cases.NAMES`)."""

FALSE_RESULT: Final = XObject({DEFAULT_KEY: XBoolean(False), "match": XText("")})
"""What a test returns when it doesn't match (values are immutable, so one object serves every call)."""

F = TypeVar("F", bound=Callable[..., Value])


def true_result(match: Value, extra: XObject | None = None) -> XObject:
    """A matching result: ``{__default__: true, match: match}``, plus ``extra`` when given."""
    properties: dict[str, Value] = {DEFAULT_KEY: XBoolean(True), "match": match}
    if extra is not None:
        properties["extra"] = extra
    return XObject(properties)


def case_test(name: str, min_args: int, max_args: int | None) -> Callable[[F], F]:
    """Register the decorated ``fn(ev, operand, *args)`` as router test and Excellent function ``name``, taking
    ``min_args`` to ``max_args`` arguments in all, the operand included (``None``: no maximum)."""
    register = xfunction(name, min_args, max_args)

    def decorate(fn: F) -> F:
        register(fn)
        CASE_TESTS[name] = FUNCTIONS[name].fn
        return fn

    return decorate
