"""Builtins for encoded text: ``json``, ``parse_json``, ``urn_parts``, ``attachment_parts``."""

from __future__ import annotations

from typing import Final

import regex

from sauti.engine.excellent.functions.base import text_arg, xfunction
from sauti.engine.excellent.jsonvalues import dumps, from_json, loads
from sauti.engine.excellent.runtime import Eval
from sauti.engine.excellent.types import Value, XError, XObject, XText

__all__ = ["URNSyntaxError", "parse_urn", "split_attachment"]

_UNESCAPES: Final = {"%23": "#", "%25": "%", "%3F": "?"}
_UNESCAPE: Final = regex.compile("%23|%25|%3F")
_CONTENT_TYPE: Final = regex.compile(
    r"(?:image|audio|video|application|geo|unavailable|[0-9A-Za-z_]+/[-+.0-9A-Za-z_]+)"
)


class URNSyntaxError(ValueError):
    """Text that isn't ``scheme:path[?query][#display]``; the message is the reason."""


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: _UNESCAPES[m[0]], text)


def parse_urn(text: str) -> tuple[str, str, str, str]:
    """``(scheme, path, query, display)`` of a URN, syntax only (any scheme is accepted; components
    unescaped); :class:`URNSyntaxError` with goflow's reason otherwise."""
    parts = ["", "", "", ""]
    state = 0  # scheme, path, query, display
    for ch in text:
        if ch == ":" and state == 0:
            state = 1
            continue
        if ch == "?":
            if state != 1:
                raise URNSyntaxError("query component can only come after path component")
            state = 2
            continue
        if ch == "#":
            if state not in (1, 2):
                raise URNSyntaxError("fragment component can only come after path or query components")
            state = 3
            continue
        parts[state] += ch
    if not parts[0]:
        raise URNSyntaxError("scheme cannot be empty")
    if not parts[1]:
        raise URNSyntaxError("path cannot be empty")
    scheme, path, query, display = (_unescape(p) for p in parts)
    return scheme, path, query, display


def split_attachment(attachment: str) -> tuple[str, str]:
    """``(content_type, url)`` of ``type:url``; ``("", attachment)`` when it doesn't start with a content type."""
    head, colon, rest = attachment.partition(":")
    if colon and _CONTENT_TYPE.fullmatch(head.lower()):
        return head.lower(), rest
    return "", attachment


@xfunction("urn_parts", 1)
def urn_parts(ev: Eval, urn: Value) -> Value:
    """``{scheme, path, display}`` of a URN."""
    text = text_arg(urn)
    try:
        scheme, path, _, display = parse_urn(text)
    except URNSyntaxError as e:
        return XError(f"{text} is not a valid URN: {e}")
    return XObject({"scheme": XText(scheme), "path": XText(path), "display": XText(display)})


@xfunction("attachment_parts", 1)
def attachment_parts(ev: Eval, attachment: Value) -> Value:
    """``{content_type, url}`` of an attachment such as ``image/jpeg:https://...``."""
    content_type, url = split_attachment(text_arg(attachment))
    return XObject({"content_type": XText(content_type), "url": XText(url)})


@xfunction("json", 1)
def json(ev: Eval, value: Value) -> Value:
    """The JSON text of ``value`` (objects without their default, keys sorted)."""
    if isinstance(value, XError):
        return value
    return XText(dumps(value))


@xfunction("parse_json", 1)
def parse_json(ev: Eval, text: Value) -> Value:
    """The value of JSON ``text`` (empty text is null)."""
    source = text_arg(text)
    if source == "":
        return None
    try:
        data = loads(source)
    except ValueError:
        return XError("invalid JSON")
    return from_json(data)
