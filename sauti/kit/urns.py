"""URNs: the ``scheme:path[?query][#display]`` addresses by which contacts are reached.

A URN names one address on one channel type (a phone number, a Telegram chat id, an e-mail address...).
Two URNs are the same address when their :func:`identity` (``scheme:path``) is equal, so every URN must pass
through :func:`normalize` before it is stored or looked up; :func:`parse_normalized` does parse, normalise and
validate in one step and is what request handlers should call.

Inside each component the characters ``%``, ``?`` and ``#`` are written ``%25``, ``%3F`` and ``%23``; no other
percent-escapes are interpreted. This module is pure: no I/O, no database, no web framework.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import phonenumbers
import regex

__all__ = [
    "DELETED_SCHEME",
    "INTERNAL_SCHEMES",
    "MAX_LENGTH",
    "PUBLIC_SCHEMES",
    "SCHEMES",
    "URN",
    "URNError",
    "display",
    "identity",
    "looks_like_phone",
    "normalize",
    "parse",
    "parse_normalized",
    "to_string",
    "validate",
]

DELETED_SCHEME = "deleted"

PUBLIC_SCHEMES: frozenset[str] = frozenset(
    {
        "tel",
        "mailto",
        "bsuid",
        "ext",
        "discord",
        "facebook",
        "fcm",
        "freshchat",
        "instagram",
        "jiochat",
        "line",
        "rocketchat",
        "slack",
        "telegram",
        "twitterid",
        "twitter",
        "viber",
        "vk",
        "wechat",
        "webchat",
        "whatsapp",
    }
)
"""Schemes a client may submit."""

INTERNAL_SCHEMES: frozenset[str] = frozenset({DELETED_SCHEME})
"""Schemes only Sauti itself writes (``deleted:<uuid>`` replaces the URNs of a deleted contact)."""

SCHEMES: frozenset[str] = PUBLIC_SCHEMES | INTERNAL_SCHEMES
"""Every scheme :func:`validate` accepts."""

MAX_LENGTH = 255
"""Upper bound on the length of a URN's identity and of its display part (storage column sizes)."""

_SCHEME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9]*")
_UNESCAPE_RE = re.compile(r"%(?:23|25|3[fF])")
_UNESCAPES = {"%23": "#", "%25": "%", "%3F": "?", "%3f": "?"}
_EXCEL_RE = re.compile(r"([0-9])\.([0-9]+)e\+([0-9]{1,2})")
_PHONE_JUNK_RE = re.compile(r"[^0-9a-z]")
_LOOKS_LIKE_PHONE_RE = re.compile(r"\+?[-0-9]{4,}")

_DIGITS_RE = re.compile(r"[0-9]+")
_E164_RE = re.compile(r"\+[0-9]+")
_TWITTER_RE = re.compile(r"[a-zA-Z0-9_]{1,15}")
_SCOPED_ID_RE = re.compile(r"[A-Z]{2}\.[a-zA-Z0-9]{1,128}")
_VIBER_RE = re.compile(r"[a-zA-Z0-9_=+/]{1,24}")
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_FRESHCHAT_RE = re.compile(f"{_UUID}/{_UUID}")
_EMAIL_ATOM = r"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL_LOCAL = rf"{_EMAIL_ATOM}(?:\.{_EMAIL_ATOM})*"
_EMAIL_LABEL = r"[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?"
_EMAIL_TLD = r"(?:\p{L}{2,63}|[xX][nN]--[a-zA-Z0-9-]{1,59})"
_EMAIL_RE = regex.compile(rf"(?P<local>{_EMAIL_LOCAL})@(?:{_EMAIL_LABEL}\.)+{_EMAIL_TLD}")


class URN(NamedTuple):
    """A URN split into its parts, unescaped. ``query`` and ``display`` are ``None`` when absent."""

    scheme: str
    path: str
    query: str | None = None
    display: str | None = None


class URNError(ValueError):
    """A URN that cannot be parsed or is not valid. ``text`` is the offending input as given."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"Invalid URN: {text} ({reason})")
        self.text = text
        self.reason = reason


# --------------------------------------------------------------------------------------------- parsing


def _unescape(component: str) -> str:
    return _UNESCAPE_RE.sub(lambda m: _UNESCAPES[m.group(0)], component)


def _escape(component: str) -> str:
    return component.replace("%", "%25").replace("?", "%3F").replace("#", "%23")


def parse(text: str) -> URN:
    """Split ``scheme:path[?query][#display]`` into a :class:`URN` (syntax only, no normalisation).

    Leading whitespace is ignored and the scheme lower-cased; components are unescaped but otherwise kept
    as given (trailing whitespace included: :func:`normalize` strips the path).
    The scheme is *not* checked against :data:`SCHEMES` (that is :func:`validate`'s job). An empty ``query``
    or ``display`` after its separator counts as absent. Raises :class:`URNError` when there is no
    ``scheme:`` prefix, the scheme is not ``[a-z][a-z0-9]*`` or the path is empty.
    """
    scheme, colon, rest = text.lstrip().partition(":")
    if not colon:
        raise URNError(text, "missing scheme")
    if not _SCHEME_RE.fullmatch(scheme):
        raise URNError(text, "malformed scheme")
    rest, hash_sign, fragment = rest.partition("#")
    path, question_mark, query = rest.partition("?")
    if not path:
        raise URNError(text, "empty path")
    return URN(
        scheme=scheme.lower(),
        path=_unescape(path),
        query=_unescape(query) if question_mark and query else None,
        display=_unescape(fragment) if hash_sign and fragment else None,
    )


def identity(urn: URN) -> str:
    """The ``scheme:path`` string (path escaped) that identifies a contact's URN within a workspace."""
    return f"{urn.scheme}:{_escape(urn.path)}"


def to_string(urn: URN) -> str:
    """The full escaped ``scheme:path[?query][#display]`` form; ``parse(to_string(u)) == u`` for parsed URNs.

    An empty ``query`` or ``display`` is omitted, like ``None``.
    """
    out = identity(urn)
    if urn.query:
        out += "?" + _escape(urn.query)
    if urn.display:
        out += "#" + _escape(urn.display)
    return out


# ---------------------------------------------------------------------------------------- normalisation


def _region(country: str | None) -> str | None:
    """``country`` as a libphonenumber region code; blank means none."""
    if country is None:
        return None
    return country.strip().upper() or None


_PHONES: dict[tuple[str, str | None], phonenumbers.PhoneNumber | None] = {}
_KEEP_PHONES = 4096


def _parse_phone(number: str, country: str | None) -> phonenumbers.PhoneNumber | None:
    """The number parsed by libphonenumber if it is a *possible* number, else ``None``.

    Kept per (number, region), the last few thousand: one inbound message parsed its sender's number four times
    (normalising, the fixed-point check, validating, the engine's display of it), which cost more than one of
    its statements. Callers only read the result (format it, test it), never change it."""
    region = _region(country)
    key = (number, region)
    try:
        return _PHONES[key]
    except KeyError:
        pass
    try:
        parsed: phonenumbers.PhoneNumber | None = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and not phonenumbers.is_possible_number(parsed):
        parsed = None
    _keep(key, parsed)
    return parsed


def _keep(key: tuple[str, str | None], parsed: phonenumbers.PhoneNumber | None) -> None:
    if len(_PHONES) >= _KEEP_PHONES:
        _PHONES.clear()
    _PHONES[key] = parsed


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _fix_excel(number: str) -> str | None:
    """Undo a spreadsheet's scientific notation (``2.50788123123e+11`` → ``250788123123``).

    Returns ``number`` unchanged when it is not in that notation, and ``None`` when it is but digits were
    lost (mantissa digits != exponent + 1): such a number cannot be recovered.
    """
    match = _EXCEL_RE.fullmatch(number)
    if match is None:
        return number
    digits = match.group(1) + match.group(2)
    return digits if len(digits) == int(match.group(3)) + 1 else None


def _normalize_tel(path: str, country: str | None, *, shortcut: bool = True) -> str:
    """``path`` in E.164 when it is a possible number. ``shortcut=False`` always checks the fixed point by
    parsing the E.164 form again (what the shortcut skips; tests compare the two)."""
    number = _fix_excel(path.lower())
    if number is None:
        # Truncated by a spreadsheet: keep it unparsed (its letters make it fail validation).
        return _PHONE_JUNK_RE.sub("", path.lower())
    cleaned = _PHONE_JUNK_RE.sub("", number)
    if path.startswith("+") or (len(cleaned) >= 11 and not cleaned.startswith("0")):
        cleaned = "+" + cleaned
    parsed = _parse_phone(cleaned, country)
    if parsed is None:
        # Kept with its "+": validate() then rejects it like this parse did.
        return cleaned
    e164 = _e164(parsed)
    region = _region(country)
    if shortcut and e164 == cleaned and (region is None or region.isalpha()):
        # Already canonical (what a channel hands over): the digits after its "+" start with a country code, so
        # libphonenumber read it without the region, exactly as the check below would read it again (with
        # none); that reading gives this same E.164, so it is kept as that one (a display of the number reads
        # it) and the parse, the check and the format are not repeated.
        _keep((e164, None), parsed)
        return e164
    # Rarely (a doubled trunk prefix such as "+359 00 ...") re-parsing the E.164 form drops one more "0";
    # settle on the fixed point so that normalising is idempotent.
    for _ in range(3):
        reparsed = _parse_phone(e164, None)
        if reparsed is None or _e164(reparsed) == e164:
            break
        e164 = _e164(reparsed)
    return e164


def _upper_prefix(path: str) -> str:
    return path[:2].upper() + path[2:] if len(path) >= 3 and path[2] == "." else path


def normalize(urn: URN, country: str | None) -> URN:
    """The canonical form of ``urn``, as stored and matched; ``country`` is the default phone region.

    The scheme is lower-cased and the path stripped, then per scheme: ``tel`` becomes E.164 when it is a
    possible number (otherwise its cleaned characters are kept and it will fail :func:`validate`);
    ``twitter`` and ``mailto`` are lower-cased (``twitter`` also loses a leading ``@``); ``twitterid`` keeps
    its path but its display handle is stripped, lower-cased and loses a leading ``@``; ``whatsapp`` and
    ``bsuid`` get an ``xx.`` prefix upper-cased. Never raises; query is left untouched.
    """
    scheme = urn.scheme.lower()
    path = urn.path.strip()
    shown = urn.display
    if scheme == "tel":
        path = _normalize_tel(path, country)
    elif scheme == "twitter":
        path = path.lower().removeprefix("@").strip()
    elif scheme == "twitterid":
        if shown is not None:
            shown = shown.strip().lower().removeprefix("@").strip() or None
    elif scheme == "mailto":
        path = path.lower()
    elif scheme in ("whatsapp", "bsuid"):
        path = _upper_prefix(path)
    return URN(scheme, path, urn.query, shown)


# ------------------------------------------------------------------------------------------- validation


def _is_email(text: str) -> bool:
    match = _EMAIL_RE.fullmatch(text)
    return match is not None and len(match.group("local")) <= 64


def _valid_path(scheme: str, path: str, country: str | None) -> bool:
    if scheme == "tel":
        return _E164_RE.fullmatch(path) is not None and _parse_phone(path, country) is not None
    if scheme == "twitter":
        return _TWITTER_RE.fullmatch(path) is not None
    if scheme in ("twitterid", "telegram", "instagram"):
        return _DIGITS_RE.fullmatch(path) is not None
    if scheme == "mailto":
        return _is_email(path)
    if scheme == "facebook":
        return _DIGITS_RE.fullmatch(path) is not None or (path.startswith("ref:") and len(path) > 4)
    if scheme == "whatsapp":
        return _DIGITS_RE.fullmatch(path) is not None or _SCOPED_ID_RE.fullmatch(path) is not None
    if scheme == "bsuid":
        return _SCOPED_ID_RE.fullmatch(path) is not None
    if scheme == "viber":
        return _VIBER_RE.fullmatch(path) is not None
    if scheme == "freshchat":
        return _FRESHCHAT_RE.fullmatch(path) is not None
    return True


def validate(urn: URN, country: str | None) -> bool:
    """Whether an already-normalised ``urn`` is acceptable.

    The scheme must be in :data:`SCHEMES`, the path non-blank, the identity and display at most
    :data:`MAX_LENGTH` characters, and the path must fit its scheme: ``tel`` a possible phone number in E.164
    form (as :func:`normalize` writes every possible number), ``twitter`` a handle, ``mailto`` an e-mail
    address, ``twitterid``/``telegram``/``instagram`` digits, ``facebook`` digits or ``ref:...``,
    ``whatsapp`` digits or ``XX.id``, ``bsuid`` ``XX.id``, ``viber`` its id alphabet, ``freshchat``
    ``<uuid>/<uuid>``. Any other scheme accepts any path.
    """
    if urn.scheme not in SCHEMES or not urn.path.strip():
        return False
    if len(identity(urn)) > MAX_LENGTH or (urn.display is not None and len(urn.display) > MAX_LENGTH):
        return False
    return _valid_path(urn.scheme, urn.path, country)


def parse_normalized(text: str, country: str | None) -> URN:
    """Parse, normalise and validate ``text``; raises :class:`URNError` if any step fails."""
    urn = normalize(parse(text), country)
    if urn.scheme not in SCHEMES:
        raise URNError(text, f"unknown scheme {urn.scheme!r}")
    if not validate(urn, country):
        raise URNError(text, f"not a valid {urn.scheme} URN")
    return urn


# ---------------------------------------------------------------------------------------------- display


def display(urn: URN, international: bool = False) -> str:
    """The human form of ``urn``.

    A ``tel`` URN, or a ``whatsapp`` URN whose path is all digits, that is a possible phone number is
    formatted in national (or, with ``international``, international) format; otherwise the URN's display
    part if it has one, else its path.
    """
    number: str | None = None
    if urn.scheme == "tel":
        number = urn.path
    elif urn.scheme == "whatsapp" and _DIGITS_RE.fullmatch(urn.path):
        number = "+" + urn.path
    if number is not None:
        parsed = _parse_phone(number, None)
        if parsed is not None:
            fmt = (
                phonenumbers.PhoneNumberFormat.INTERNATIONAL
                if international
                else phonenumbers.PhoneNumberFormat.NATIONAL
            )
            return str(phonenumbers.format_number(parsed, fmt))
    return urn.display or urn.path


def looks_like_phone(text: str) -> bool:
    """Whether ``text`` (taken as is) matches ``^\\+?[-0-9]{4,}$``, i.e. reads as a phone number."""
    return _LOOKS_LIKE_PHONE_RE.fullmatch(text) is not None
