"""The HTML documentation pages of the API v2 dialect, written from each endpoint's own declaration."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from limits import RateLimitItem

from sauti.api.rapidpro.endpoint import Endpoint
from sauti.api.throttle import Throttle
from sauti.models import Workspace

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2733;background:#f7f8fa}
header{background:#1d3557;color:#fff;padding:14px 28px;display:flex;gap:24px;align-items:center}
header a{color:#cfe3ff;text-decoration:none;font-weight:600}header h1{font-size:18px;margin:0 auto 0 0}
main{max-width:960px;margin:24px auto;padding:0 24px}section{background:#fff;border:1px solid #e2e6ea;
border-radius:6px;padding:16px 22px;margin-bottom:18px}h2{margin-top:0}code,pre{font-family:ui-monospace,Menlo,
monospace;background:#f1f3f5;border-radius:4px}pre{padding:10px;overflow:auto}code{padding:1px 4px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eef0f2;padding:6px 8px;text-align:left;
vertical-align:top}th{font-size:13px;color:#5c6773}.verb{display:inline-block;min-width:64px;font-weight:700}
"""


def _page(title: str, brand: str, content: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{escape(brand)} API v2</h1><a href='/api/v2/'>Endpoints</a>"
        "<a href='/api/v2/explorer/'>Explorer</a></header>"
        f"<main>{content}</main></body></html>"
    )


def _md(text: str) -> str:
    """Backticks become code; everything else is escaped text."""
    parts = escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _table(rows: Sequence[tuple[str, str]], head: tuple[str, str]) -> str:
    if not rows:
        return ""
    body = "".join(f"<tr><td><code>{escape(n)}</code></td><td>{_md(h)}</td></tr>" for n, h in rows)
    return f"<table><tr><th>{head[0]}</th><th>{head[1]}</th></tr>{body}</table>"


def _properties(model: Any) -> dict[str, Any]:
    properties: dict[str, Any] = model.model_json_schema().get("properties", {})
    return properties


def _body_rows(model: Any) -> list[tuple[str, str]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type") or " or ".join(str(p.get("type", "")) for p in prop.get("anyOf", []) if p.get("type"))
        if "enum" in prop:
            kind = "one of " + ", ".join(str(v) for v in prop["enum"])
        help_text = prop.get("description", "")
        rows.append((name, f"{'required' if name in required else 'optional'}; {kind}. {help_text}".strip()))
    return rows


def endpoint_page(ep: Endpoint, brand: str) -> str:
    sections = [f"<section><h2>{escape(ep.title)}</h2><p>{_md(ep.description)}</p>"]
    sections.append(f"<p>URL: <code>/api/v2/{escape(ep.name)}.json</code></p></section>")
    for verb, doc in ep.docs.items():
        parts = [f"<section><h3><span class='verb'>{verb}</span> {_md(doc.summary)}</h3>"]
        if doc.description:
            parts.append(f"<p>{_md(doc.description)}</p>")
        if doc.params:
            parts.append("<h4>Query parameters</h4>")
            parts.append(_table([(p.name, p.help) for p in doc.params], ("parameter", "meaning")))
        if doc.body is not None:
            parts.append("<h4>Body (JSON object)</h4>")
            parts.append(_table(_body_rows(doc.body), ("field", "meaning")))
        if doc.example:
            parts.append(f"<h4>Example</h4><pre>{escape(doc.example)}</pre>")
        parts.append("</section>")
        sections.append("".join(parts))
    if ep.result is not None:
        rows = [(name, prop.get("description", "")) for name, prop in _properties(ep.result).items()]
        sections.append("<section><h3>Returned object</h3>" + _table(rows, ("field", "meaning")) + "</section>")
    paging = (
        "This list is paged by <code>limit</code> and <code>offset</code>: follow <code>next</code> until it is "
        "null; <code>count</code> says how many match."
        if ep.paging == "offset"
        else "Lists are paged by cursor: follow <code>next</code> until it is null."
    )
    sections.append(
        "<section><h3>Authentication</h3><p>Send <code>Authorization: Token &lt;your token&gt;</code>. "
        f"{paging}</p></section>"
    )
    return _page(f"{brand} API v2: {ep.name}", brand, "".join(sections))


def rate_sentence(endpoints: Sequence[Endpoint], throttle: Throttle) -> str:
    """What the throttle allows, as the seeds say it: one sentence when every endpoint has the same limit."""
    probe = Workspace(api_rates={})
    limits: dict[str, list[str]] = {}
    for ep in endpoints:
        item = throttle.rate_for(probe, ep.scope)
        text = "no limit" if item is None else f"{item.amount:,} requests per {_per(item)}"
        limits.setdefault(text, []).append(ep.name)
    if len(limits) == 1:
        return f"The rate limit for all endpoints is {next(iter(limits))}"
    return "Rate limits: " + "; ".join(f"{', '.join(names)}: {text}" for text, names in limits.items())


def _per(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"


def root_page(endpoints: Sequence[Endpoint], brand: str, throttle: Throttle) -> str:
    rows = "".join(
        f"<tr><td><a href='/api/v2/{escape(e.name)}'><code>/api/v2/{escape(e.name)}</code></a></td>"
        f"<td>{escape(e.title)}</td></tr>"
        for e in endpoints
        if e.listed
    )
    content = (
        f"<section><h2>{escape(brand)} API v2</h2><p>A REST API over your workspace's data. Append "
        "<code>.json</code> to an endpoint's URL for the data; the URL without it shows this documentation. "
        "Authenticate with <code>Authorization: Token &lt;your token&gt;</code>.</p>"
        f"<p>{escape(rate_sentence(endpoints, throttle))}, counted per workspace. A request over the limit is "
        "answered <code>429</code> with a <code>Retry-After</code> header saying how many seconds to wait.</p>"
        f"<table><tr><th>endpoint</th><th>what it does</th></tr>{rows}</table></section>"
    )
    return _page(f"{brand} API v2", brand, content)
