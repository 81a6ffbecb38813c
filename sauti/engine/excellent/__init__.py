"""Excellent, the expression language of flows: ``Hi @contact.first_name, you are @(fields.age + 1)``.

Pure: a template, a context (:class:`XObject`) and an :class:`Eval` (environment, injected clock and random
source, language) in; text or a typed value out. Errors are values, never exceptions.

Typical use::

    ev = Eval(env, now=clock, random=rng)
    text, errors = evaluate_template("Hi @contact", context, ev)         # ("Hi Amina", [])
    value, _ = evaluate_template_value("@(fields.age + 1)", context, ev)  # XNumber(24)
    evaluate_expression("upper(contact.name)", context, ev)             # XText("AMINA")

The helpers router tests share live in submodules: :mod:`.words` (the word tokenizer), :mod:`.numbers` (the
number finder, decimal arithmetic), :mod:`.dates` (reading dates and times from text in the environment's
format, format codes), :mod:`.convert` (argument conversions) and :mod:`.functions` (the registry and the
argument helpers for writing a builtin).
"""

from __future__ import annotations

from sauti.engine.excellent.convert import (
    to_array,
    to_boolean,
    to_date,
    to_datetime,
    to_function,
    to_integer,
    to_number,
    to_object,
    to_text,
    to_time,
)
from sauti.engine.excellent.evaluate import (
    Scope,
    TemplateError,
    TemplateResult,
    context_paths,
    evaluate_expression,
    evaluate_node,
    evaluate_template,
    evaluate_template_result,
    evaluate_template_value,
    template_tokens,
    truncate,
)
from sauti.engine.excellent.functions import FUNCTIONS, Fail, lookup_function, num_args_error, xfunction
from sauti.engine.excellent.jsonvalues import dumps, from_json, loads, to_json
from sauti.engine.excellent.parser import ExpressionSyntaxError, Node, parse
from sauti.engine.excellent.render import format_value
from sauti.engine.excellent.runtime import DEFAULT_BUDGET, MAX_TEMPLATE_CHARS, Budget, Eval, call_function
from sauti.engine.excellent.scanner import Token, scan
from sauti.engine.excellent.types import (
    DEFAULT_KEY,
    TOO_COMPLEX,
    Value,
    XArray,
    XBoolean,
    XDate,
    XDateTime,
    XError,
    XFunction,
    XNumber,
    XObject,
    XText,
    XTime,
    XValue,
    cost_of,
    describe,
    equals,
    is_error,
    render,
    truthy,
    type_name,
)

__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_KEY",
    "FUNCTIONS",
    "MAX_TEMPLATE_CHARS",
    "TOO_COMPLEX",
    "Budget",
    "Eval",
    "ExpressionSyntaxError",
    "Fail",
    "Node",
    "Scope",
    "TemplateError",
    "TemplateResult",
    "Token",
    "Value",
    "XArray",
    "XBoolean",
    "XDate",
    "XDateTime",
    "XError",
    "XFunction",
    "XNumber",
    "XObject",
    "XText",
    "XTime",
    "XValue",
    "call_function",
    "context_paths",
    "cost_of",
    "describe",
    "dumps",
    "equals",
    "evaluate_expression",
    "evaluate_node",
    "evaluate_template",
    "evaluate_template_result",
    "evaluate_template_value",
    "format_value",
    "from_json",
    "is_error",
    "loads",
    "lookup_function",
    "num_args_error",
    "parse",
    "render",
    "scan",
    "template_tokens",
    "to_array",
    "to_boolean",
    "to_date",
    "to_datetime",
    "to_function",
    "to_integer",
    "to_json",
    "to_number",
    "to_object",
    "to_text",
    "to_time",
    "truncate",
    "truthy",
    "type_name",
    "xfunction",
]

# Router case tests are functions too (``@(has_number(input.text).match)``): importing the package that
# registers them here makes the function table complete whichever of the two packages is imported first.
import sauti.engine.cases  # noqa: F401
