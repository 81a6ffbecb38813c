"""Error bodies of the API v2 dialect (DRF shapes), and the table that turns domain codes into its words.

A field's errors are a list of messages, or a mapping of item (list index or dict key) to messages. When one
field has both, the mapping wins and the field's own messages go under ``non_field_errors`` inside it, as
DRF's nested objects report theirs: no combination of shapes is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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

NON_FIELD = "non_field_errors"


class APIError(Exception):
    """An error response of this dialect: a status code and a JSON body."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}

    @classmethod
    def detail(cls, status: int, message: str, headers: dict[str, str] | None = None) -> APIError:
        return cls(status, {"detail": message}, headers)


def not_found() -> APIError:
    return APIError.detail(404, "Not found.")


def bad_request(message: str) -> APIError:
    return APIError.detail(400, message)


def method_not_allowed(method: str) -> APIError:
    return APIError.detail(405, f'Method "{method}" not allowed.')


_BASE_PARTS = {
    "text": "No text translation provided in base language.",
    "attachments": "No attachment translations provided in base language.",
    "quick_replies": "No quick_replies translations provided in base language.",
}

# the words API v2 clients know, per domain code
MESSAGES: Mapping[str, str | Callable[[Mapping[str, Any]], str]] = {
    "required": "This field is required.",
    "blank": "This field may not be blank.",
    "null": "This field may not be null.",
    "too_long": "Ensure this field has no more than {max} characters.",
    "unique": "This field must be unique.",
    "invalid_choice": '"{value}" is not a valid choice.',
    "no_such_object": "No such object: {ref}",
    "name_character": "Cannot contain the character: {character}",
    "name_whitespace": "Cannot begin or end with whitespace.",
    "field_name_characters": "Can only contain letters, numbers and hypens.",
    "field_key_invalid": 'Generated key "{key}" is invalid or a reserved name.',
    "global_name_characters": "Name contains illegal characters.",
    "global_key_invalid": "Name creates Key that is invalid",
    "invalid_language": "Not a valid ISO639-3 language code.",
    "invalid_urn": "Invalid URN: {value}. Ensure phone numbers contain country codes.",
    "urn_taken": "URN is in use by another contact.",
    "urn_from_lookup": "Field not allowed when using URN in URL",
    "urns_anonymous": "Updating URNs not allowed for anonymous organizations",
    "group_is_smart": "Contact group must not be query based: {ref}",
    "inactive_contact_groups": "Non-active contacts can't be added to groups",
    "inactive_contacts_groups": lambda p: f"Non-active contacts cannot be added to groups: {', '.join(p['uuids'])}",
    "unknown_field": "Invalid contact field key: {key}",
    "contact_deleted": "Deleted contacts can't be modified.",
    "contacts_empty": "Contacts can't be empty.",
    "query_invalid": "{message}",
    "query_not_for_groups": "Smart group queries can't use id, ref, status, group, flow or history.",
    "query_on_manual_group": "Can't set a query on a manual group.",
    "language_not_allowed": "Not an allowed ISO 639-3 language code.",
    "missing_content": "Must provide either text or attachments.",
    "missing_recipients": "Must provide either urns, contacts or groups.",
    "missing_start_recipients": "Must specify at least one group, contact or URN",
    "params_too_long": "Cannot exceed {max} characters encoded.",
    "flow_archived": "No such object: {ref}",
    "flow_invalid": "{message}",
    "base_language_missing": lambda p: _BASE_PARTS[p["part"]],
    "quick_reply_text": "Quick replies of type 'text' require a 'text' value.",
    "quick_reply_text_extra": "Quick replies of type '{type}' require 'text' and 'extra' values.",
    "quick_reply_location_extra": "Quick replies of type 'location' cannot have an 'extra' value.",
    "not_incoming": "Not an incoming message: {ref}",
    "label_and_label_name": "Can't specify both label and label_name.",
    "label_required": 'For action "{action}" you should also specify a label',
    "label_not_allowed": 'For action "{action}" you should not specify a label',
    "group_required": 'For action "{action}" you should also specify a group',
    "group_not_allowed": 'For action "{action}" you should not specify a group',
    "action_field_required": 'For action "{action}" you must specify the {field}',
    "action_unsupported": 'Action "{action}" is not supported yet: it arrives with {feature}.',
    "file_not_a_file": "The submitted data was not a file. Check the encoding type on the form.",
    "file_missing": "No file was submitted.",
    "file_empty": "The submitted file is empty.",
    "file_type": "Unsupported file type.",
    "file_too_big": "Limit for file uploads is {limit_mb} MB.",
    "field_not_datetime": "Contact field must be a datetime field: {ref}",
    "flow_or_message": "Flow or a message text required.",
    "no_resthook": "No resthook with slug: {slug}",
    "already_subscribed": "URL is already subscribed to this event.",
    "invalid_url": "Enter a valid URL.",
    "default_language_required": "Message text in default flow language is required.",
    "event_scheduling": "Cannot modify events which are currently being scheduled.",
    "campaign_change": "Cannot change campaign for existing events",
    "field_in_use": "Field {key} is used by {events} active campaign event(s); delete or change them first.",
    "field_type_in_use": "Can't change type of date field being used by campaign events.",
    "group_used_by_campaigns": "Group is being used by campaigns which must be archived first.",
    "too_many": "Ensure this field has no more than {max} elements.",
    "limit_reached": "Cannot create object because workspace has reached limit.",
    "system_object": lambda p: f"Cannot {p['action']} system object.",
    "urn_lookup_anonymous": "URN lookups not allowed for anonymous organizations",
    "invalid_urn_lookup": "Invalid URN: {value}",
}


def message(code: str, params: Mapping[str, Any]) -> str:
    words = MESSAGES.get(code)
    if words is None:  # a code only another door can cause (the CLI's); still said plainly
        return f"{code}: {', '.join(f'{k}={v}' for k, v in params.items())}" if params else code
    return words(params) if callable(words) else words.format(**params)


class DRFErrors:
    """Builds a DRF error body from wire-shaped errors (what body validation returns) and domain problems."""

    def __init__(self, shape: Mapping[str, Any] | None = None) -> None:
        self.errors: dict[str, Any] = {}
        if shape:
            self.merge(shape)

    def add(self, name: str, text: str) -> None:
        current = self.errors.get(name)
        if current is None:
            self.errors[name] = [text]
        elif isinstance(current, list):
            current.append(text)
        else:
            current.setdefault(NON_FIELD, []).append(text)

    def add_item(self, name: str, key: str | int, text: str) -> None:
        current = self.errors.get(name)
        if current is None:
            current = self.errors[name] = {}
        elif isinstance(current, list):
            current = self.errors[name] = {NON_FIELD: current}
        current.setdefault(str(key), []).append(text)

    def merge(self, errors: Mapping[str, Any]) -> None:
        for name, value in errors.items():
            if isinstance(value, Mapping):
                for key, texts in value.items():
                    for text in texts if isinstance(texts, list) else [texts]:
                        self.add_item(name, key, str(text))
            else:
                for text in value if isinstance(value, list) else [value]:
                    self.add(name, str(text))

    def problems(self, problems: Iterable[Problem], names: Mapping[str, str] | None = None) -> DRFErrors:
        for p in problems:
            name = (names or {}).get(p.field, p.field) or NON_FIELD
            text = message(p.code, p.params)
            if p.item is None:
                self.add(name, text)
            else:
                self.add_item(name, p.item, text)
        return self

    def raise_if_any(self) -> None:
        if self.errors:
            raise APIError(400, self.errors)


def refuse(shape: Mapping[str, Any], problems: Iterable[Problem] = ()) -> None:
    """400 with every shape error and every domain problem, when there are any."""
    DRFErrors(shape).problems(problems).raise_if_any()


def from_domain(exc: DomainError) -> APIError:
    if isinstance(exc, NotFound):
        return not_found()
    if isinstance(exc, Invalid):
        return APIError(400, DRFErrors().problems(exc.problems).errors)
    if isinstance(exc, Conflict):
        return APIError.detail(409, message(exc.code, exc.params))
    if isinstance(exc, Forbidden):
        return APIError.detail(403, message(exc.code, exc.params))
    if isinstance(exc, BadParameter):
        return bad_request(message(exc.code, exc.params))
    if isinstance(exc, Ambiguous):
        return bad_request(message(exc.code, exc.params))
    raise TypeError(f"unhandled domain error {exc!r}")  # pragma: no cover


def throttled(wait: int) -> APIError:
    unit = "second" if wait == 1 else "seconds"
    return APIError(
        429, {"detail": f"Request was throttled. Expected available in {wait} {unit}."}, {"Retry-After": str(wait)}
    )


def render(exc: Exception) -> JSONResponse:
    """The answer to any error this dialect words: its own, the domain's, and throttling."""
    if isinstance(exc, Throttled):
        api = throttled(exc.wait)
    elif isinstance(exc, APIError):
        api = exc
    else:
        assert isinstance(exc, DomainError), exc
        api = from_domain(exc)
    return JSONResponse(api.body, status_code=api.status, headers=api.headers)


__all__ = ["GENERAL", "NON_FIELD", "APIError", "DRFErrors", "from_domain", "message", "refuse", "render"]
