"""{{ placeholders }} in a text, rendered for one recipient: ``{{contact.first_name}}``, ``{{ user.email }}``...

The names are the recipient's and sender's attributes (``contact.first_name``, ``contact.last_name``,
``contact.name``, ``contact.business_name``, ``contact.phone``, ``user.first_name``, ``user.last_name``,
``user.email``, ``account.name``). A known name without a value renders as nothing; DECISION: an unknown name is
left as written, so a text that merely contains braces is never mangled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sauti.models import Contact, User, Workspace

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]+(?:\.[A-Za-z_]+)*)\s*\}\}")
NAMES = (
    "contact.first_name",
    "contact.last_name",
    "contact.name",
    "contact.business_name",
    "contact.phone",
    "user.first_name",
    "user.last_name",
    "user.email",
    "account.name",
)


def has_placeholders(text: str) -> bool:
    return PLACEHOLDER.search(text) is not None


def values_for(
    contact: Contact | None, phone: str | None, user: User | None, workspace: Workspace
) -> dict[str, str | None]:
    """What each name stands for, for one recipient (``phone``: its number in E.164) and sender."""
    return {
        "contact.first_name": contact.first_name if contact else None,
        "contact.last_name": contact.last_name if contact else None,
        "contact.name": contact.name if contact else None,
        "contact.business_name": contact.business_name if contact else None,
        "contact.phone": phone,
        "user.first_name": user.first_name if user else None,
        "user.last_name": user.last_name if user else None,
        "user.email": user.email if user else None,
        "account.name": workspace.name,
    }


def render(text: str, values: Mapping[str, str | None]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        if name not in values:
            return match.group(0)
        return values[name] or ""

    return PLACEHOLDER.sub(replace, text)
