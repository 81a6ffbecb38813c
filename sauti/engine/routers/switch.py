"""The switch router: test the operand against each case in order; the first that matches picks its category.

The operand is evaluated in template value mode (``@input.text`` is text, ``@fields.age`` a number ...). Each
case's arguments are localized (the contact's language may translate them, keyed by the case UUID; a
translation with a different number of arguments is ignored) and evaluated the same way, then the case test is
called as ``test(ev, operand, *arguments)`` from :data:`sauti.engine.cases.CASE_TESTS`. A test that returns an
error (or a type without a test) logs an ``error`` event and counts as not matching. A match's ``match``
(as text) is the result value and its ``extra`` the result's extra; with no match the default category takes
the operand as text, and without a default category no category is picked (the run fails).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sauti.engine.cases import CASE_TESTS, CaseTest
from sauti.engine.definition import SwitchRouter
from sauti.engine.excellent import Value, XError, XObject, to_json, to_text, truthy

if TYPE_CHECKING:
    from sauti.engine.execution import Execution

__all__ = ["case_test", "pick_switch"]


def case_test(name: str) -> CaseTest | None:
    """The implementation of router case test ``name``, or ``None`` if it has none."""
    return CASE_TESTS.get(name.lower())


def _as_text(value: Value) -> tuple[str, XError | None]:
    text = to_text(value)
    if isinstance(text, XError):
        return "", text
    return text.value, None


def pick_switch(x: Execution, router: SwitchRouter) -> tuple[str | None, str, str, Any]:
    """``(category uuid or None, match, operand as text, extra JSON)``."""
    operand = x.evaluate_value(router.operand)
    operand_text = _as_text(operand)[0] if operand is not None else ""
    ev = x.eval
    for case in router.cases:
        test = case_test(case.type)
        if test is None:
            x.error(f"Router test {case.type} is not supported yet", "test_unsupported")
            continue
        arguments = x.localize(case.uuid, "arguments", case.arguments).texts
        if len(arguments) != len(case.arguments):
            arguments = case.arguments
        values = [x.evaluate_value(argument) for argument in arguments]
        result = test(ev, operand, *values)
        if isinstance(result, XError):
            x.error(f"Error calling test {case.type}(...): {result.message}")
            continue
        if not isinstance(result, XObject) or not truthy(result):
            continue
        match, problem = _as_text(result.get("match"))
        if problem is not None:
            x.error(problem.message)
        extra = result.get("extra")
        if extra is not None and not isinstance(extra, XObject):
            x.error(f"Test {case.type.upper()} returned non-object extra")
            extra = None
        return case.category_uuid, match, operand_text, to_json(extra) if extra is not None else None
    if router.default_category_uuid is None:
        return None, "", operand_text, None
    value, problem = _as_text(operand)
    if problem is not None:
        x.error(problem.message)
    return router.default_category_uuid, value, operand_text, None
