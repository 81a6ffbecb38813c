"""Error answers of the TextUs dialect (``{"error": "..."}``), and the table that turns domain codes into its
words.

Statuses: 400 for a parameter that is missing or of the wrong type (Grape's ``phone is missing``, ``page is
invalid``), 401 without valid credentials, 403 for what the caller may not do, 404 for an id that is not in the
caller's account, 405 for a method a path does not have, 422 when the domain refuses the request
(``Validation failed: Phone has already been taken``), 429 when throttled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sauti.api.render import JSONResponse
from sauti.api.throttle import Throttled
from sauti.domain.errors import (
    GENERAL,
    Ambiguous,
    BadParameter,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Problem,
)

CONTENT_TYPE = "application/json; charset=utf-8"
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"


class TextUsError(Exception):
    """An answer of this dialect: a status and the ``error`` sentence."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def missing(*names: str) -> TextUsError:
    return TextUsError(400, ", ".join(f"{n} is missing" for n in names))


def invalid_param(name: str) -> TextUsError:
    return TextUsError(400, f"{name} is invalid")


def not_found() -> TextUsError:
    return TextUsError(404, NOT_FOUND)


def unauthorized() -> TextUsError:
    return TextUsError(401, UNAUTHORIZED, {"WWW-Authenticate": 'Basic realm="TextUs"'})


def method_not_allowed(allowed: list[str]) -> TextUsError:
    return TextUsError(405, "405 Not Allowed", {"Allow": ", ".join(allowed)})


Words = str | Callable[[Mapping[str, Any]], str]

# the predicate after the attribute's name ("Phone" + " has already been taken")
PREDICATES: Mapping[str, Words] = {
    "required": "can't be blank",
    "blank": "can't be blank",
    "null": "can't be blank",
    "too_long": "is too long (maximum is {max} characters)",
    "too_many": "has too many entries (maximum is {max})",
    "unique": "has already been taken",
    "urn_taken": "has already been taken",
    "invalid_choice": "is not included in the list",
    "no_such_object": "is invalid",
    "invalid_phone": "is invalid",
    "invalid_urn": "is invalid",
    "invalid_country": "is invalid",
    "invalid_url": "is invalid",
    "invalid_language": "is invalid",
    "already_sent": "has already been sent",
    "name_character": "cannot contain the character {character}",
    "name_whitespace": "cannot begin or end with whitespace",
    "contact_blocked": "is blocked",
    "contact_deleted": "is deleted",
    "group_is_smart": "is locked",
    "file_type": "is not a supported type of file",
    "file_too_big": "is too big (at most {limit_mb:g} MB)",
    "file_empty": "is empty",
}
# whole sentences, whatever the field
SENTENCES: Mapping[str, Words] = {
    "contact_opted_out": "Contact has opted out",
    "group_locked": "Group is locked",
    "no_channel": "No channel available",
    "missing_content": "Content can't be blank",
    "contact_deleted": "Contact is deleted",
    "inactive_contact_groups": "Contact is not active",
    "inactive_contacts_groups": "Contact is not active",
    "limit_reached": lambda p: f"{str(p['kind']).capitalize()} limit of {p['limit']} reached",
}
FORBIDDEN: Mapping[str, Words] = {
    "administrators_only": "Only administrators may {action}",
    "other_workspace": "Account {ref} is not accessible",
    "system_object": "Forbidden",
}


def _say(words: Words, params: Mapping[str, Any]) -> str:
    return words(params) if callable(words) else words.format(**params)


def attribute(field: str) -> str:
    """``first_name`` -> ``First name`` (Rails' humanised attribute names)."""
    return field.replace("_", " ").strip().capitalize()


def sentence(problem: Problem) -> str:
    """A field's problem is its attribute and a predicate (``Phone is invalid``); a problem with the request as
    a whole, or one said the same way for any field, is a sentence of its own (``Contact has opted out``)."""
    if problem.field != GENERAL and problem.code in PREDICATES:
        return f"{attribute(problem.field)} {_say(PREDICATES[problem.code], problem.params)}"
    if problem.code in SENTENCES:
        return _say(SENTENCES[problem.code], problem.params)
    return f"{attribute(problem.field or 'request')} is invalid"


def validation_failed(problems: tuple[Problem, ...]) -> str:
    return "Validation failed: " + ", ".join(dict.fromkeys(sentence(p) for p in problems))


@contextmanager
def naming(**names: str) -> Iterator[None]:
    """Domain problems raised inside come out under this dialect's names for the fields (``text`` is a
    broadcast's ``message_body``, say)."""
    try:
        yield
    except Invalid as exc:
        raise exc.renamed(names) from exc


def from_domain(exc: DomainError) -> TextUsError:
    if isinstance(exc, NotFound):
        return not_found()
    if isinstance(exc, Invalid):
        return TextUsError(422, validation_failed(exc.problems))
    if isinstance(exc, Forbidden):
        return TextUsError(403, _say(FORBIDDEN.get(exc.code, "Forbidden"), exc.params))
    if isinstance(exc, BadParameter):
        return TextUsError(400, f"{exc.name} does not have a valid value")
    if isinstance(exc, Conflict):
        return TextUsError(422, "Validation failed: " + _say(SENTENCES.get(exc.code, exc.code), exc.params))
    if isinstance(exc, Ambiguous):
        return TextUsError(400, exc.code)
    raise TypeError(f"unhandled domain error {exc!r}")  # pragma: no cover


def throttled(wait: int) -> TextUsError:
    return TextUsError(429, f"Rate limit exceeded. Try again in {wait} seconds.", {"Retry-After": str(wait)})


def response(error: TextUsError) -> JSONResponse:
    return JSONResponse(
        {"error": error.message}, status_code=error.status, headers=error.headers, media_type=CONTENT_TYPE
    )


def render(exc: Exception) -> JSONResponse:
    """The answer to any error this dialect words: its own, the domain's, and throttling."""
    if isinstance(exc, Throttled):
        return response(throttled(exc.wait))
    if isinstance(exc, TextUsError):
        return response(exc)
    assert isinstance(exc, DomainError), exc
    return response(from_domain(exc))
