"""Keys generated from names, shared by contact fields and globals."""

from __future__ import annotations

import re

RESERVED_FIELD_KEYS = frozenset({"has", "is", "fields", "urns", "created_on", "last_seen_on"})
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_KEY_LENGTH = 36


def key_from_name(name: str) -> str:
    """Lower-case; each run of characters outside ``[a-z0-9]`` becomes one ``_``; no leading/trailing ``_``.

    "Nick name" gives ``nick_name``, "Age" gives ``age`` and "2cool" gives ``2cool`` (which is then invalid).
    """
    spaced = re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
    return re.sub(r"[^a-z0-9]+", "_", spaced)


def is_valid_key(key: str, reserved: frozenset[str] = frozenset()) -> bool:
    return bool(KEY_RE.match(key)) and len(key) <= MAX_KEY_LENGTH and key not in reserved
