"""Errors a user can cause, in the domain's own terms: a field, a stable code and its parameters.

The domain never writes a dialect's sentences or field names. Each dialect (and the CLI) owns the table that
turns a code into its wire field and its words: ``api/rapidpro/errors.py`` for API v2, ``cli.py`` for the
command line. A code, once used, keeps its meaning; the parameters a code carries are listed in ``CODES``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENERAL = ""  # the field of a problem with the request as a whole

# code -> the parameters it carries (documentation, and a check that every raise site names a known code)
CODES: Mapping[str, tuple[str, ...]] = {
    # any field
    "required": (),
    "blank": (),
    "null": (),
    "too_long": ("max",),
    "unique": (),
    "invalid_choice": ("value", "choices"),
    "no_such_object": ("ref",),  # a reference (UUID, name, URN) that names nothing in the workspace
    # names of groups, labels, fields, globals
    "name_character": ("character",),
    "name_whitespace": (),
    "field_name_characters": (),
    "field_key_invalid": ("key",),
    "global_name_characters": (),
    "global_key_invalid": ("key",),
    # contacts
    "invalid_language": ("value",),
    "invalid_urn": ("value",),
    "urn_taken": ("value",),
    "urn_from_lookup": (),  # urns in the body while the contact is looked up by URN
    "urns_anonymous": (),  # changing URNs in an anonymous workspace
    "group_is_smart": ("ref",),
    "inactive_contact_groups": (),  # a non-active contact added to groups
    "inactive_contacts_groups": ("uuids",),
    "unknown_field": ("key",),
    "contact_deleted": (),
    "contacts_empty": (),
    "invalid_phone": ("value",),  # not a possible phone number (read with the caller's or workspace's country)
    "too_many": ("max",),  # a list longer than allowed (tags)
    "contact_opted_out": (),  # a message to a contact whose number opted out
    "contact_blocked": (),  # a message to a contact whose number is blocked
    "group_locked": (),  # editing the membership or name of a smart or system group where only manual may change
    # smart groups
    "query_invalid": ("query_code", "message", "extra"),
    "query_not_for_groups": (),
    "query_on_manual_group": (),
    # outgoing messages and broadcasts
    "language_not_allowed": ("value",),
    "translations_empty": (),
    "missing_content": (),
    "missing_recipients": (),
    "missing_start_recipients": (),  # a flow start naming no contact, group or URN
    "params_too_long": ("max",),  # a flow start's params, JSON-encoded, longer than max characters
    "import_invalid": ("message",),  # an export file that cannot be imported; message says what is wrong
    "base_language_missing": ("part",),  # part: text, attachments or quick_replies
    "quick_reply_text": (),
    "quick_reply_text_extra": ("type",),
    "quick_reply_location_extra": (),
    "invalid_url": ("value",),  # not an absolute http(s) URL
    "no_channel": (),  # no channel of the workspace can reach the contact
    "already_sent": (),  # deleting a message or broadcast that is no longer waiting to go
    # bulk actions
    "not_incoming": ("ref",),
    "label_and_label_name": (),
    "label_required": ("action",),
    "label_not_allowed": ("action",),
    "group_required": ("action",),
    "group_not_allowed": ("action",),
    "action_unsupported": ("action", "feature"),
    "action_field_required": ("action", "field"),  # a bulk action missing the field it acts with (tickets)
    # flows
    "flow_invalid": ("message",),  # a definition the engine refuses to read; message says which rule it breaks
    "flow_archived": ("ref",),  # starting an archived flow
    "trigger_keyword": ("value",),  # a keyword that is not one word of letters and digits
    "trigger_taken": ("value",),  # an active keyword trigger with the same keyword and scope exists
    # resthooks
    "no_resthook": ("slug",),  # subscribing to a slug that names no active resthook of the workspace
    "already_subscribed": (),  # the URL is already an active subscriber of the resthook
    # campaigns
    "field_not_datetime": ("ref",),  # an event relative to a field that does not hold dates
    "flow_or_message": (),  # an event needs exactly one of a flow and a message
    "default_language_required": ("language",),  # an event's message lacks the workspace's default language
    "event_scheduling": (),  # changing an event while its fires are being computed
    "campaign_change": (),  # moving an event to another campaign
    "field_in_use": ("key", "events"),  # deleting a field active campaign events are relative to
    "field_type_in_use": (),  # retyping a date field active campaign events are relative to
    "group_used_by_campaigns": (),  # (``BadParameter``) deleting a group a live campaign is on
    # media
    "file_not_a_file": (),
    "file_missing": (),
    "file_empty": (),
    "file_type": (),
    "file_too_big": ("limit_mb",),
    # workspaces, users, tokens, channels (the CLI's door)
    "invalid_country": ("value",),
    "invalid_timezone": ("value",),
    "invalid_date_style": ("value", "choices"),
    "invalid_email": ("value",),
    "email_taken": ("value",),
    "workspace_name_taken": ("value",),
    "token_role": (),
    "channel_type_unknown": ("value", "choices"),
    "channel_config": ("key", "problem"),
    "schemes_unknown": ("values",),
    "channel_name": (),
    "channel_tps": (),
    "channel_role": (),
    "not_a_test_channel": ("ref",),
    # a workspace limit (``Conflict``) and a system object (``Forbidden``)
    "limit_reached": ("kind", "limit"),
    "system_object": ("action",),
    "administrators_only": ("action",),  # (``Forbidden``) what only a workspace's administrators may do
    "other_workspace": ("ref",),  # (``Forbidden``) naming a workspace that is not the caller's
    # a name that names several workspaces (``Ambiguous``)
    "ambiguous_workspace": ("value", "uuids"),
    # query-string lookups and filters (``BadParameter``)
    "urn_lookup_anonymous": (),
    "invalid_urn_lookup": ("value",),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: ``field`` (``GENERAL`` for the whole request), ``item`` (an index or a
    key inside the field, for lists and mappings), a ``code`` of :data:`CODES` and its ``params``."""

    field: str
    code: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    item: str | int | None = None

    def __post_init__(self) -> None:
        assert self.code in CODES, f"unknown error code {self.code!r}"


class DomainError(Exception):
    """Base of every user-caused error."""


class Invalid(DomainError):
    """Input failed validation: every problem found, so a request reports all of them at once."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(self.problems)

    @classmethod
    def field(cls, name: str, code: str, item: str | int | None = None, **params: Any) -> Invalid:
        return cls([Problem(name, code, params, item)])

    @classmethod
    def general(cls, code: str, **params: Any) -> Invalid:
        return cls([Problem(GENERAL, code, params)])

    def renamed(self, names: Mapping[str, str]) -> Invalid:
        """The same problems under other field names (a dialect whose caller used an alias for a field)."""
        return Invalid(Problem(names.get(p.field, p.field), p.code, p.params, p.item) for p in self.problems)


class BadParameter(DomainError):
    """A lookup or filter of the request (its query string, not its body) that cannot be used."""

    def __init__(self, name: str, code: str, **params: Any) -> None:
        assert code in CODES, code
        super().__init__(name, code, params)
        self.name = name
        self.code = code
        self.params = params


class NotFound(DomainError):
    """The object does not exist in the caller's workspace. ``kind`` names what was looked for."""

    def __init__(self, kind: str, ref: str) -> None:
        super().__init__(kind, ref)
        self.kind = kind
        self.ref = ref


class Ambiguous(DomainError):
    """A name that names several objects where exactly one was meant."""

    def __init__(self, code: str, **params: Any) -> None:
        assert code in CODES, code
        super().__init__(code, params)
        self.code = code
        self.params = params


class Conflict(DomainError):
    """A workspace limit was reached (``limit_reached``)."""

    def __init__(self, code: str, **params: Any) -> None:
        assert code in CODES, code
        super().__init__(code, params)
        self.code = code
        self.params = params


class Forbidden(DomainError):
    """The caller may not do this to this object (``system_object``: change or delete a system object)."""

    def __init__(self, code: str, **params: Any) -> None:
        assert code in CODES, code
        super().__init__(code, params)
        self.code = code
        self.params = params


class ErrorCollector:
    """Gathers problems from several checks so a request reports all of them at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, name: str, code: str, item: str | int | None = None, **params: Any) -> None:
        self.problems.append(Problem(name, code, params, item))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def has(self, name: str) -> bool:
        return any(p.field == name for p in self.problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise Invalid(self.problems)
