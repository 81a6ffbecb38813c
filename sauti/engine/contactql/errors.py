"""The one error type of the contact query language.

Every problem a user can cause with a query (bad syntax, an unknown field, a value of the wrong type ...) is
a :class:`QueryError` with a stable ``code`` and, for some codes, string ``extra`` details; the API dialects
render both into their 400 bodies. The codes are the ones RapidPro clients already know.
"""

from __future__ import annotations

from collections.abc import Mapping

SYNTAX = "syntax"
INVALID_NUMBER = "invalid_number"
INVALID_DATE = "invalid_date"
INVALID_STATUS = "invalid_status"
INVALID_LANGUAGE = "invalid_language"
INVALID_GROUP = "invalid_group"
INVALID_FLOW = "invalid_flow"
INVALID_PARTIAL_NAME = "invalid_partial_name"
INVALID_PARTIAL_URN = "invalid_partial_urn"
UNSUPPORTED_CONTAINS = "unsupported_contains"
UNSUPPORTED_COMPARISON = "unsupported_comparison"
UNSUPPORTED_SETCHECK = "unsupported_setcheck"
UNKNOWN_PROPERTY_TYPE = "unknown_property_type"
UNKNOWN_PROPERTY = "unknown_property"
REDACTED_URNS = "redacted_urns"
TOO_COMPLEX = "too_complex"

CODES = frozenset(
    {
        SYNTAX,
        INVALID_NUMBER,
        INVALID_DATE,
        INVALID_STATUS,
        INVALID_LANGUAGE,
        INVALID_GROUP,
        INVALID_FLOW,
        INVALID_PARTIAL_NAME,
        INVALID_PARTIAL_URN,
        UNSUPPORTED_CONTAINS,
        UNSUPPORTED_COMPARISON,
        UNSUPPORTED_SETCHECK,
        UNKNOWN_PROPERTY_TYPE,
        UNKNOWN_PROPERTY,
        REDACTED_URNS,
        TOO_COMPLEX,
    }
)


class QueryError(Exception):
    """A query the user wrote cannot be parsed or does not make sense for the workspace.

    ``code`` is one of :data:`CODES`; ``extra`` holds string details for that code (e.g. ``{"value": "abc"}``
    for ``invalid_number``); ``message`` is an English sentence for people.
    """

    def __init__(self, code: str, message: str, extra: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra: dict[str, str] = dict(extra or {})

    def __repr__(self) -> str:
        return f"QueryError({self.code!r}, {self.message!r}, {self.extra!r})"
