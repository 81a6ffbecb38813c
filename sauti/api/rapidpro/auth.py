"""Token and Basic authentication of the API v2 dialect, with its exact 403 bodies."""

from __future__ import annotations

import base64
import binascii

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from sauti.api.rapidpro.errors import APIError
from sauti.domain.workspaces.service import TOKEN_ROLES, Caller, authenticate

NOT_PROVIDED = "Authentication credentials were not provided."
NO_PERMISSION = "You do not have permission to perform this action."


def _forbidden(message: str) -> APIError:
    return APIError.detail(403, message)


async def identify(request: Request, session: AsyncSession) -> Caller | None:
    """Who is calling, or ``None`` for an anonymous request. Bad credentials raise 403 at once.

    ``Authorization: Token <key>`` (keyword case-insensitive) or ``Basic base64(email:key)``. Any other scheme,
    such as ``Bearer``, is ignored and the request is anonymous.
    """
    header = request.headers.get("authorization", "")
    parts = header.split()
    if not parts:
        return None
    keyword = parts[0].lower()
    if keyword == "token":
        if len(parts) == 1:
            raise _forbidden("Invalid token header. No credentials provided.")
        if len(parts) > 2:
            raise _forbidden("Invalid token header. Token string should not contain spaces.")
        caller = await authenticate(session, parts[1])
        if caller is None:
            raise _forbidden("Invalid token")
        return caller
    if keyword == "basic":
        if len(parts) == 1:
            raise _forbidden("Invalid basic header. No credentials provided.")
        if len(parts) > 2:
            raise _forbidden("Invalid basic header. Credentials string should not contain spaces.")
        try:
            decoded = base64.b64decode(parts[1], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise _forbidden("Invalid basic header. Credentials not correctly base64 encoded.") from exc
        email, sep, key = decoded.partition(":")
        if not sep:
            raise _forbidden("Invalid basic header. Credentials not correctly base64 encoded.")
        caller = await authenticate(session, key, email=email)
        if caller is None:
            raise _forbidden("Invalid token or email")
        return caller
    return None


def require(caller: Caller | None) -> Caller:
    """Anonymous callers get 403; so do token holders who are no longer administrators or editors."""
    if caller is None:
        raise _forbidden(NOT_PROVIDED)
    if caller.role not in TOKEN_ROLES:
        raise _forbidden(NO_PERMISSION)
    return caller
