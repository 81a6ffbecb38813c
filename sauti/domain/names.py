"""The name rules shared by groups and labels."""

from __future__ import annotations

from sauti.domain.errors import ErrorCollector

MAX_NAME_LENGTH = 64


def check_name(name: str, errors: ErrorCollector, field: str = "name") -> bool:
    """No ``"`` or ``\\``, no leading/trailing whitespace, at most 64 characters (NULs never get this far: the
    request boundary refuses them, see ``kit.text``)."""
    if not name.strip():
        errors.add(field, "blank")
        return False
    if len(name) > MAX_NAME_LENGTH:
        errors.add(field, "too_long", max=MAX_NAME_LENGTH)
        return False
    for ch in ('"', "\\"):
        if ch in name:
            errors.add(field, "name_character", character=ch)
            return False
    if name != name.strip():
        errors.add(field, "name_whitespace")
        return False
    return True


def deleted_name(uuid: str, name: str) -> str:
    """The name a soft-deleted object takes, so its real name is free again."""
    return f"deleted-{uuid}-{name}"[:MAX_NAME_LENGTH]
