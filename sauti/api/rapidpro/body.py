"""Request bodies: JSON parsing and pydantic validation with DRF-shaped error messages.

Each body schema is an ordinary pydantic model (so it also documents the endpoint and feeds OpenAPI), but its
fields are validated one by one: a request with four bad fields reports all four, fields missing from the body
stay absent (updates change only what was sent), and every message is the one API v2 clients know.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, BeforeValidator, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError
from starlette.requests import Request

from sauti.api.rapidpro.errors import NON_FIELD, APIError, DRFErrors, refuse
from sauti.kit.text import NUL_MESSAGE, nul_paths


async def read_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object (an empty body is ``{}``); 400/415 in the dialect's shape otherwise."""
    raw = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not raw.strip():
        return {}
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise APIError.detail(415, f'Unsupported media type "{ctype}" in request.')
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise APIError.detail(400, f"JSON parse error - {exc}") from exc
    if _lost_integers(data):
        # orjson reads integers past 64 bits as floats; the standard parser keeps every integer exact, so what
        # a caller sent (an id, say) is what a failure list echoes back
        data = json.loads(raw, parse_constant=_no_constants)
    if not isinstance(data, dict):
        raise APIError(400, {"non_field_errors": ["Request body should be a single JSON object"]})
    refuse_nul(data)
    return data


def _lost_integers(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer() and abs(value) >= 2**53
    if isinstance(value, dict):
        return any(_lost_integers(v) for v in value.values())
    if isinstance(value, list):
        return any(_lost_integers(v) for v in value)
    return False


def _no_constants(name: str) -> Any:
    raise APIError.detail(400, f"JSON parse error - {name} is not valid JSON")


def refuse_nul(data: dict[str, Any]) -> None:
    """Text with NUL characters is refused wherever it sits in the body (see ``kit.text``): each place is
    reported as its field, or its field's item, would report any other bad value."""
    errors = DRFErrors()
    for place in dict.fromkeys(path[:2] for path in nul_paths(data)):
        if not place:
            errors.add(NON_FIELD, NUL_MESSAGE)
        elif len(place) == 1:
            errors.add(str(place[0]), NUL_MESSAGE)
        else:
            errors.add_item(str(place[0]), place[1], NUL_MESSAGE)
    errors.raise_if_any()


def fail(message: str) -> PydanticCustomError:
    """An error whose message is rendered verbatim."""
    return PydanticCustomError("drf", message)


def _coerce_str(v: Any) -> Any:
    # DRF's CharField takes numbers and makes them strings; booleans and containers are rejected
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(v)
    return v


Str = Annotated[str, BeforeValidator(_coerce_str)]

_TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool", list: "list", dict: "dict"}


def _type_name(v: Any) -> str:
    return _TYPE_NAMES.get(type(v), type(v).__name__)


def _message(err: ErrorDetails) -> str:
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    given = err.get("input")
    if kind == "drf":
        return err["msg"]
    if kind == "missing":
        return "This field is required."
    if kind == "string_type":
        return "Not a valid string."
    if kind == "string_too_long" or (kind == "too_long" and isinstance(given, str)):
        return f"Ensure this field has no more than {ctx.get('max_length')} characters."
    if kind == "string_too_short" or (kind == "too_short" and isinstance(given, str)):
        return (
            "This field may not be blank."
            if ctx.get("min_length") == 1
            else (f"Ensure this field has at least {ctx.get('min_length')} characters.")
        )
    if kind == "too_long":
        return f"Ensure this field has no more than {ctx.get('max_length')} elements."
    if kind == "too_short":
        return "This list may not be empty."
    if kind == "list_type":
        return f'Expected a list of items but got type "{_type_name(given)}".'
    if kind == "dict_type":
        return f'Expected a dictionary of items but got type "{_type_name(given)}".'
    if kind in ("literal_error", "enum"):
        return f'"{given}" is not a valid choice.'
    if kind == "less_than_equal":
        return f"Ensure this value is less than or equal to {ctx.get('le')}."
    if kind == "greater_than_equal":
        return f"Ensure this value is greater than or equal to {ctx.get('ge')}."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "A valid integer is required."
    if kind in ("bool_type", "bool_parsing"):
        return "Must be a valid boolean."
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return err["msg"]


def _nullable(annotation: Any) -> bool:
    try:
        TypeAdapter(annotation).validate_python(None)
    except ValidationError:
        return False
    return True


@cache
def _adapters(model: type[BaseModel]) -> dict[str, tuple[TypeAdapter[Any], bool, bool]]:
    out: dict[str, tuple[TypeAdapter[Any], bool, bool]] = {}
    for name, info in model.model_fields.items():
        annotated: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        out[info.alias or name] = (TypeAdapter(annotated), info.is_required(), _nullable(annotated))
    return out


def validate(model: type[BaseModel], data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate ``data`` against ``model`` field by field.

    Returns ``(values, errors)``: ``values`` holds each present field that passed; ``errors`` maps each failed
    field to ``[message]`` or, for failures inside lists and dicts, to ``{index_or_key: [message]}``.
    """
    values: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for name, (adapter, required, nullable) in _adapters(model).items():
        if name not in data:
            if required:
                errors[name] = ["This field is required."]
            continue
        raw = data[name]
        if raw is None and not nullable:
            errors[name] = ["This field may not be null."]
            continue
        try:
            values[name] = adapter.validate_python(raw)
        except ValidationError as exc:
            errors[name] = _shape(exc.errors())
    return values, errors


def _shape(errs: list[ErrorDetails]) -> Any:
    """Field-relative locations: ``()`` is the field itself, ``(i,)`` a list item, ``("key",)`` a dict value."""
    top: list[str] = []
    nested: dict[str, list[str]] = {}
    for err in errs:
        loc = err["loc"]
        if loc:
            nested.setdefault(str(loc[0]), []).append(_message(err))
        else:
            top.append(_message(err))
    return top if top else nested


async def parse(model: type[BaseModel], request: Request) -> dict[str, Any]:
    """Read and validate a body whose checks are all of shape: the values, or ``Invalid`` with every error."""
    values, errors = validate(model, await read_object(request))
    refuse(errors)
    return values
