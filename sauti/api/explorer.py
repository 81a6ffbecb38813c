"""The interactive explorer (Swagger UI, served from the fastapi-offline wheel: no CDN at run time), with a choice
of the two dialects' OpenAPI documents."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import orjson

STATIC = "/api/v2/explorer/static"
# the OpenAPI documents the explorer offers
DOCUMENTS = (("RapidPro API v2", "/api/v2/openapi.json"), ("TextUs API v2", "/api/openapi.json"))


def page(brand: str, documents: Sequence[tuple[str, str]], selected: int = 0) -> str:
    """The explorer showing ``documents[selected]`` (``(title, url)`` pairs) first, with a menu of the others."""
    options = "".join(
        f"<option value='{escape(url)}'{' selected' if i == selected else ''}>{escape(title)}</option>"
        for i, (title, url) in enumerate(documents)
    )
    first = orjson.dumps(documents[selected][1]).decode()
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(brand)} API explorer</title>
<link rel="stylesheet" href="{STATIC}/swagger-ui.css"></head>
<body><div style="padding:8px 20px;font-family:sans-serif"><label>Dialect <select id="document">{options}</select>
</label></div><div id="explorer"></div>
<script src="{STATIC}/swagger-ui-bundle.js"></script>
<script>
function show(url) {{
  window.ui = SwaggerUIBundle({{
    url: url, dom_id: "#explorer", deepLinking: true, tryItOutEnabled: true, persistAuthorization: true
  }});
}}
document.getElementById("document").addEventListener("change", function (e) {{ show(e.target.value); }});
show({first});
</script></body></html>
"""
