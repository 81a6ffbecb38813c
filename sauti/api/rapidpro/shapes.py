"""The shapes API v2 answers with, shared by its endpoints: object references, and the bodies of pages and
errors. Each endpoint declares its own result object next to its routes; these describe what they share."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ObjectRef(BaseModel):
    """A reference to another object, as results embed them."""

    uuid: str
    name: str | None


class Detail(BaseModel):
    """The body of every error that is not about particular fields (403, 404, 405, 409, 415, 429, some 400)."""

    detail: str = Field(description="what went wrong, in words")


class Failures(BaseModel):
    """A bulk action that found only some of the objects it names: the rest were still acted on."""

    failures: list[Any] = Field(description="the references (as sent) that found nothing")


# a 400 about the body: field name (or non_field_errors) to messages, or, for a list or an object, item (index
# or key) to messages; a 400 about the query string has the Detail shape instead
FIELD_ERRORS: dict[str, Any] = {
    "type": "object",
    "description": (
        "field name (or non_field_errors) to a list of messages, or to an object of list index or key to "
        "messages; or {detail} for a problem with the query string"
    ),
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            {"type": "string"},
        ]
    },
}


def page_of(result_ref: dict[str, Any]) -> dict[str, Any]:
    """The envelope every list answers with: cursor links and one page of results."""
    link = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    return {
        "type": "object",
        "required": ["next", "previous", "results"],
        "properties": {
            "next": {**link, "description": "the URL of the next page, or null on the last"},
            "previous": {**link, "description": "the URL of the previous page, or null on the first"},
            "results": {"type": "array", "items": result_ref},
        },
    }
