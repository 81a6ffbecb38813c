"""The JSON response both dialects render with (orjson, for speed)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import Response


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
        except orjson.JSONEncodeError:
            # integers past 64 bits (echoed back from a request) are beyond orjson; the standard encoder writes
            # them exactly
            return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
