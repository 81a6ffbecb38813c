"""HTTP Basic authentication of the TextUs dialect: ``email:api_key`` or ``email:password``.

DECISION (following the TextUs documentation, which prints both): the standard ``Authorization: Basic
base64(email:secret)``, and the raw ``Authorization: email:secret`` form the documentation shows. The secret is
first tried as one of the user's API tokens (the same token API v2 takes), then as their password (unless the
deployment turns passwords off with ``SAUTI_TEXTUS_PASSWORD_AUTH=false``). Anything else is a 401.
"""

from __future__ import annotations

import base64
import binascii

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from sauti.api.textus.errors import unauthorized
from sauti.domain.workspaces.service import Caller, authenticate_basic
from sauti.kit.text import has_nul

SCHEMES = ("basic", "bearer", "token", "digest")


def credentials(header: str) -> tuple[str, str] | None:
    """``(email, secret)`` from an Authorization header value, or ``None`` when it holds none."""
    value = header.strip()
    if not value:
        return None
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(rest.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
    elif scheme.lower() in SCHEMES:
        return None
    else:
        decoded = value
    email, sep, secret = decoded.partition(":")
    if not sep or not email.strip() or not secret or has_nul(decoded):
        return None
    return email.strip(), secret


async def identify(request: Request, session: AsyncSession) -> Caller:
    found = credentials(request.headers.get("authorization", ""))
    if found is None:
        raise unauthorized()
    passwords: bool = request.app.state.settings.textus_password_auth
    caller = await authenticate_basic(session, found[0], found[1], passwords=passwords)
    if caller is None:
        raise unauthorized()
    return caller
