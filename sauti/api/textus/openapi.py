"""The OpenAPI document of the TextUs dialect, written from each resource's route declarations.

Every operation states its success status and body (one object, or a bare array of them with the pagination
headers), and every error status it can answer with the ``{"error": "..."}`` shape. The standing fuzz test
(``tests/api/test_openapi_fuzz.py``) holds the server to this document, as it does API v2's.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from sauti.api.textus.resource import LIST, Param, Resource, Route, returned_model

REF = "#/components/schemas/{model}"
KINDS: dict[str, dict[str, Any]] = {
    "integer": {"type": "integer"},
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "strings": {"type": "array", "items": {"type": "string"}},
    "file": {"type": "string", "format": "binary"},
}
ERROR_WORDS = {
    400: "A parameter is missing or of the wrong type",
    401: "No credentials, or wrong ones",
    403: "You may not do this",
    404: "Not found in your account",
    415: "The body is neither JSON nor a form",
    422: "The request was refused: nothing was changed",
    429: "Too many requests: wait the seconds Retry-After says",
}
PAGE_HEADERS = ("X-Total", "X-Total-Pages", "X-Page", "X-Per-Page", "X-Offset", "X-Next-Page")
_PATH_PARAM = re.compile(r"\{(\w+)\}")


class Components:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string", "description": "what went wrong, in words"}},
            }
        }

    def ref(self, model: type[BaseModel]) -> dict[str, Any]:
        name = model.__name__
        if name not in self.schemas:
            schema = model.model_json_schema(ref_template=REF)
            for nested, definition in schema.pop("$defs", {}).items():
                self.schemas.setdefault(nested, definition)
            self.schemas[name] = schema
        return {"$ref": REF.format(model=name)}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _body_schema(params: tuple[Param, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {p.name: {**KINDS[p.kind], "description": p.help} for p in params},
        "required": [p.name for p in params if p.required],
    }


def operation(components: Components, resource: Resource, route: Route) -> dict[str, Any]:
    doc = route.doc
    model = returned_model(resource, route)
    assert model is not None, f"{route.method} {route.path} declares no result"
    one = components.ref(model)
    success: dict[str, Any] = {"description": "OK" if doc.status == 200 else "Created"}
    success["content"] = _json({"type": "array", "items": one} if doc.returns == LIST else one)
    if doc.returns == LIST:
        success["headers"] = {h: {"schema": {"type": "string"}} for h in PAGE_HEADERS}
    responses: dict[str, Any] = {str(doc.status): success}
    statuses = {401, 429, *doc.errors}
    params = tuple(doc.params)
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
        for name in _PATH_PARAM.findall(route.path)
    ]
    op: dict[str, Any] = {
        "tags": [resource.name],
        "summary": doc.summary,
        "description": doc.description or resource.description,
        "operationId": route.method.lower() + "_" + re.sub(r"\W+", "_", route.path.removeprefix("/api/")).strip("_"),
        "security": [{"Basic": []}],
    }
    if route.method == "GET":
        parameters += [
            {"name": p.name, "in": "query", "required": p.required, "description": p.help, "schema": KINDS[p.kind]}
            for p in params
        ]
    elif params:
        content = _json(_body_schema(params))
        if any(p.kind == "file" for p in params):
            content["multipart/form-data"] = {"schema": _body_schema(params)}
        op["requestBody"] = {"required": any(p.required for p in params), "content": content}
        statuses |= {400, 415}
    if any(p.required for p in params):
        statuses.add(400)
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": ERROR_WORDS[status],
            "content": _json({"$ref": REF.format(model="Error")}),
        }
        if status == 429:
            responses[str(status)]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    op["parameters"] = parameters
    op["responses"] = responses
    return op


def document(title: str, version: str, resources: list[Resource]) -> dict[str, Any]:
    components = Components()
    paths: dict[str, Any] = {}
    for resource in resources:
        for route in resource.routes:
            paths.setdefault(route.path, {})[route.method.lower()] = operation(components, resource, route)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components.schemas,
            "securitySchemes": {
                "Basic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "Your email as the user name and your API token (or password) as the password",
                }
            },
        },
    }
