"""Error bodies of the API v2 dialect (DRF shapes) and the translation of domain errors into them."""

from __future__ import annotations

from typing import Any

from sauti.api.render import JSONResponse
from sauti.domain.errors import BadRequest, Conflict, DomainError, Forbidden, Invalid, NotFound


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


def from_domain(exc: DomainError) -> APIError:
    if isinstance(exc, NotFound):
        return not_found()
    if isinstance(exc, Invalid):
        return APIError(400, exc.errors)
    if isinstance(exc, BadRequest):
        return bad_request(exc.detail)
    if isinstance(exc, Conflict):
        return APIError.detail(409, exc.detail)
    if isinstance(exc, Forbidden):
        return APIError.detail(403, exc.detail)
    raise TypeError(f"unhandled domain error {exc!r}")  # pragma: no cover


def render(exc: APIError | DomainError) -> JSONResponse:
    api = exc if isinstance(exc, APIError) else from_domain(exc)
    return JSONResponse(api.body, status_code=api.status, headers=api.headers)
