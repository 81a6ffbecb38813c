"""The builtin functions, one module per family, all registered in :data:`FUNCTIONS` on import.

Router case tests (``sauti.engine.cases``) register into the same table with :func:`xfunction`.
"""

from __future__ import annotations

from sauti.engine.excellent.functions import (  # noqa: F401 - imported for their registrations
    arrays,
    conversions,
    dates,
    encoding,
    formatting,
    logic,
    numbers,
    text,
)
from sauti.engine.excellent.functions.base import (
    FUNCTIONS,
    MAX_ARRAY_ITEMS,
    MAX_TEXT_CHARS,
    Fail,
    array_arg,
    bool_arg,
    check,
    date_arg,
    datetime_arg,
    function_arg,
    int_arg,
    lookup_function,
    num_args_error,
    number_arg,
    object_arg,
    text_arg,
    time_arg,
    xfunction,
)

__all__ = [
    "FUNCTIONS",
    "MAX_ARRAY_ITEMS",
    "MAX_TEXT_CHARS",
    "Fail",
    "array_arg",
    "bool_arg",
    "check",
    "date_arg",
    "datetime_arg",
    "function_arg",
    "int_arg",
    "lookup_function",
    "num_args_error",
    "number_arg",
    "object_arg",
    "text_arg",
    "time_arg",
    "xfunction",
]
