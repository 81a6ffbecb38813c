"""The command line's own words for domain errors: a sentence saying what was wrong and what is allowed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sauti.domain.errors import Ambiguous, Conflict, DomainError, Forbidden, Invalid, NotFound, Problem

LISTING = {
    "workspace": "`sauti workspace list` shows them",
    "channel": "`sauti channel list --workspace NAME` shows them",
    "trigger": "`sauti trigger list --workspace NAME` shows them",
    "classifier": "`sauti classifier list --workspace NAME` shows them",
    "user": "`sauti user create EMAIL --workspace NAME` adds one",
    "resthook": "`sauti resthook list --workspace NAME` shows them",
}

NOUNS = {
    "workspace": "workspace is named or has the UUID",
    "user": "user has the email",
    "channel": "channel has the UUID",
    "flow": "flow is named or has the UUID",
    "group": "group is named or has the UUID",
    "trigger": "active trigger has the UUID",
    "resthook": "active resthook has the slug",
    "classifier": "active classifier has the UUID",
}


def _either(values: Sequence[Any]) -> str:
    items = [str(v) for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


SENTENCES: Mapping[str, Callable[[str, Mapping[str, Any]], str]] = {
    "invalid_choice": lambda f, p: f'{f} "{p["value"]}" is not valid: use {_either(p["choices"])}',
    "blank": lambda f, p: f"{f} may not be blank",
    "invalid_url": lambda f, p: f"{f} {p['value']!r} is not an absolute http(s) URL",
    "too_long": lambda f, p: f"{f} may have at most {p['max']} characters",
    "workspace_name_taken": lambda f, p: (
        f"a workspace called {p['value']!r} already exists (names are unique whatever their case): pick another"
    ),
    "invalid_country": lambda f, p: f"country {p['value']!r} is not an ISO 3166 alpha-2 code such as RW or KE",
    "invalid_language": lambda f, p: f"language {p['value']!r} is not an ISO 639-3 code such as eng or swa",
    "invalid_timezone": lambda f, p: f"timezone {p['value']!r} is not an IANA timezone such as Africa/Kigali",
    "invalid_date_style": lambda f, p: f"date style {p['value']!r} is not valid: use {_either(p['choices'])}",
    "invalid_email": lambda f, p: f"{p['value']!r} is not an email address",
    "email_taken": lambda f, p: f"a user with the email {p['value']!r} already exists",
    "token_role": lambda f, p: (
        "only administrators and editors can hold API tokens: give the user one of those roles first "
        "(`sauti user create EMAIL --workspace NAME --role editor`)"
    ),
    "channel_type_unknown": lambda f, p: f"unknown channel type {p['value']!r}: use {_either(p['choices'])}",
    "channel_config": lambda f, p: f"channel setting problem: {p['problem']} (give settings as -c key=value)",
    "schemes_unknown": lambda f, p: f"unknown URN schemes: {', '.join(p['values'])}",
    "channel_name": lambda f, p: "a channel name needs 1 to 64 characters",
    "channel_tps": lambda f, p: "--tps must be at least 1",
    "channel_role": lambda f, p: "a channel's role is made of the letters S (send) and R (receive)",
    "not_a_test_channel": lambda f, p: (
        f"channel {p['ref']} is not a test channel: only test channels (type TST) take injected messages; "
        "a real channel's provider delivers them to its receive URL"
    ),
    "invalid_urn": lambda f, p: f"{p['value']!r} is not a valid URN: write a phone number as +250788123123",
    "ambiguous_workspace": lambda f, p: (
        f"{len(p['uuids'])} workspaces are called {p['value']!r}: name one by its UUID ({', '.join(p['uuids'])})"
    ),
    "trigger_keyword": lambda f, p: (
        f"keyword {p['value']!r} is not one word: use 1 to 16 letters, digits or underscores, without spaces"
    ),
    "trigger_taken": lambda f, p: (
        f"an active trigger already answers {p['value']!r} for the same channel and groups: remove it first"
    ),
    "no_such_object": lambda f, p: f"no {f} {p['ref']!r} in this workspace",
    "import_invalid": lambda f, p: f"cannot import this file: {p['message']} (nothing was imported)",
    "flow_invalid": lambda f, p: f"invalid flow definition: {p['message']}",
    "limit_reached": lambda f, p: f"the workspace already has its limit of {p['limit']} {p['kind']}",
}


def problem(p: Problem) -> str:
    field = p.field or "the request"
    say = SENTENCES.get(p.code)
    if say is not None:
        return say(field, p.params)
    detail = ", ".join(f"{k} {v}" for k, v in p.params.items())
    return f"{field}: {p.code.replace('_', ' ')}" + (f" ({detail})" if detail else "")


def error(exc: DomainError) -> str:
    """One line (or one per problem) for the operator."""
    if isinstance(exc, Invalid):
        return "\n".join(problem(p) for p in exc.problems)
    if isinstance(exc, NotFound):
        noun = NOUNS.get(exc.kind, f"{exc.kind} is called")
        hint = LISTING.get(exc.kind)
        return f"no {noun} {exc.ref!r}" + (f": {hint}" if hint else "")
    if isinstance(exc, Ambiguous | Conflict | Forbidden):
        return problem(Problem("", exc.code, exc.params))
    return str(exc)
