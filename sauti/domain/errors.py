"""Errors a user can cause. Each dialect renders them in its own shape."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every user-caused error."""


class NotFound(DomainError):
    """The object does not exist in the caller's workspace."""


class Invalid(DomainError):
    """Input failed validation.

    ``errors`` maps a field name (or ``non_field_errors``) to a list of messages, or, for list items and dict
    values, to a mapping of item index / key to a list of messages.
    """

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(errors)
        self.errors = errors

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls({name: [message]})

    @classmethod
    def general(cls, message: str) -> Invalid:
        return cls({"non_field_errors": [message]})


class BadRequest(DomainError):
    """A problem with the request as a whole (its query string or lookups), not one body field."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Conflict(DomainError):
    """A workspace limit was reached."""

    def __init__(self, detail: str = "Cannot create object because workspace has reached limit.") -> None:
        super().__init__(detail)
        self.detail = detail


class Forbidden(DomainError):
    """The caller may not do this to this object (e.g. change a system object)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ErrorCollector:
    """Gathers field errors from several checks so a request reports all of them at once.

    A field's errors are a list of messages, or a mapping of item (list index or dict key) to messages. When a
    field gets both, the mapping wins and the field's own messages go under ``non_field_errors`` inside it,
    as nested objects report theirs; no combination of shapes is refused.
    """

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, name: str, message: str) -> None:
        current = self.errors.get(name)
        if current is None:
            self.errors[name] = [message]
        elif isinstance(current, list):
            current.append(message)
        else:
            current.setdefault("non_field_errors", []).append(message)

    def add_item(self, name: str, key: str | int, message: str) -> None:
        current = self.errors.get(name)
        if current is None:
            current = self.errors[name] = {}
        elif isinstance(current, list):
            current = self.errors[name] = {"non_field_errors": current}
        current.setdefault(str(key), []).append(message)

    def merge(self, errors: dict[str, Any]) -> None:
        """Add errors of either shape (as :func:`body.validate` returns them)."""
        for name, value in errors.items():
            if isinstance(value, dict):
                for key, messages in value.items():
                    for message in messages if isinstance(messages, list) else [messages]:
                        self.add_item(name, key, str(message))
            else:
                for message in value if isinstance(value, list) else [value]:
                    self.add(name, str(message))

    def has(self, name: str) -> bool:
        return name in self.errors

    def raise_if_any(self) -> None:
        if self.errors:
            raise Invalid(self.errors)
