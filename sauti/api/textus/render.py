"""Answers of the TextUs dialect: JSON with ``charset=utf-8``, and the small conversions its objects share
(phones without ``+``, timestamps in whole seconds)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sauti.api.render import JSONResponse
from sauti.api.textus.errors import CONTENT_TYPE
from sauti.kit.phones import digits
from sauti.kit.timefmt import format_utc_seconds, format_utc_words

__all__ = ["digits", "ok", "stamp", "words"]

stamp = format_utc_seconds
words = format_utc_words


def ok(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=CONTENT_TYPE)
