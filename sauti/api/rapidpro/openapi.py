"""The OpenAPI document of the API v2 dialect, written from each endpoint's declaration.

Every operation states what it really answers: the success statuses with their bodies (a page of the
endpoint's result objects, one object, or nothing), and the error statuses with the dialect's error shapes.
Models used by bodies and results live under ``components/schemas``, so every ``$ref`` resolves inside the
document. The standing fuzz test (``tests/api/test_openapi_fuzz.py``) holds the server to this document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from sauti.api.rapidpro.endpoint import PAGE, RESULT, Endpoint
from sauti.api.rapidpro.shapes import FIELD_ERRORS, Detail, page_of

REF = "#/components/schemas/{model}"

ERROR_WORDS = {
    400: "The request is invalid: nothing was changed",
    403: "No credentials, bad credentials, or a role that may not do this",
    404: "Not found: the object the query string names is not in your workspace, or the page cursor is invalid",
    409: "The workspace has reached its limit for this kind of object",
    415: "The body is not JSON (or, for media, not a form)",
    429: "Too many requests: wait the seconds the Retry-After header says",
}
SUCCESS_WORDS = {200: "OK", 201: "Created", 204: "Done: no body"}


class Components:
    """Collects the JSON schemas of models, with nested models hoisted beside them."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}
        self.models: dict[str, type[BaseModel]] = {}
        self.ref(Detail)

    def _add_model(self, model: type[BaseModel]) -> dict[str, Any]:
        schema = model.model_json_schema(ref_template=REF)
        for name, nested in schema.pop("$defs", {}).items():
            seen = self.schemas.setdefault(name, nested)
            assert seen == nested, f"two different schemas are called {name}"
        return schema

    def ref(self, model: type[BaseModel]) -> dict[str, Any]:
        name = model.__name__
        seen = self.models.setdefault(name, model)
        assert seen is model, f"two models are called {name}: {seen.__module__} and {model.__module__}"
        if name not in self.schemas:
            self.schemas[name] = self._add_model(model)
        return {"$ref": REF.format(model=name)}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _success(components: Components, ep: Endpoint, what: Any) -> dict[str, Any]:
    if what is None:
        return {}
    if what == PAGE or what == RESULT:
        assert ep.result is not None, f"{ep.name} declares no result object"
        one = components.ref(ep.result)
        return {"content": _json(page_of(one) if what == PAGE else one)}
    assert isinstance(what, type) and issubclass(what, BaseModel)
    return {"content": _json(components.ref(what))}


def _error(components: Components, status: int) -> dict[str, Any]:
    detail = components.ref(Detail)
    schema = {"anyOf": [FIELD_ERRORS, detail]} if status == 400 else detail
    response: dict[str, Any] = {"description": ERROR_WORDS[status], "content": _json(schema)}
    if status == 429:
        response["headers"] = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
    return response


def _parameters(ep: Endpoint, verb: str) -> list[dict[str, Any]]:
    doc = ep.docs[verb]
    out = [
        {"name": p.name, "in": "query", "required": p.required, "description": p.help, "schema": {"type": "string"}}
        for p in doc.params
    ]
    if verb == "GET" and doc.statuses(verb)[0].get(200) == PAGE:
        out.append(
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "the page cursor, from a next or previous link",
                "schema": {"type": "string"},
            }
        )
    return out


def _request_body(components: Components, ep: Endpoint, verb: str) -> dict[str, Any] | None:
    doc = ep.docs[verb]
    if doc.media_type == "multipart/form-data":
        form = {
            "type": "object",
            "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary", "description": "the file to upload"}},
        }
        return {"required": True, "content": {"multipart/form-data": {"schema": form}}}
    if doc.body is None:
        return None
    return {"required": True, "content": _json(components.ref(doc.body))}


def operation(components: Components, ep: Endpoint, verb: str) -> dict[str, Any]:
    doc = ep.docs[verb]
    ok, errors = doc.statuses(verb)
    responses: dict[str, Any] = {}
    for status, what in sorted(ok.items()):
        responses[str(status)] = {"description": SUCCESS_WORDS.get(status, "OK"), **_success(components, ep, what)}
    for status in errors:
        responses[str(status)] = _error(components, status)
    op: dict[str, Any] = {
        "tags": [ep.name],
        "summary": doc.summary,
        "description": doc.description or ep.description,
        "operationId": f"{ep.name}_{verb.lower()}",
        "parameters": _parameters(ep, verb),
        "responses": responses,
        "security": [{"Token": []}],
    }
    body = _request_body(components, ep, verb)
    if body is not None:
        op["requestBody"] = body
    return op


def document(title: str, version: str, endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document for the listed endpoints."""
    components = Components()
    paths: dict[str, Any] = {}
    for ep in endpoints:
        if not ep.listed:
            continue
        paths[f"/api/v2/{ep.name}.json"] = {verb.lower(): operation(components, ep, verb) for verb in ep.handlers}
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components.schemas,
            "securitySchemes": {
                "Token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "Your API token, written as: Token <key>",
                }
            },
        },
    }
