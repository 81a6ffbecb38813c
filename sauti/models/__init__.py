"""Tables only, one module per aggregate. Importing this package registers every table on ``Base.metadata``."""

from sauti.models.contact import (
    Contact,
    ContactField,
    ContactGroup,
    ContactNote,
    ContactURN,
    ContactValue,
    GroupMember,
)
from sauti.models.globals import Global
from sauti.models.workspace import APIToken, Membership, User, Workspace

__all__ = [
    "APIToken",
    "Contact",
    "ContactField",
    "ContactGroup",
    "ContactNote",
    "ContactURN",
    "ContactValue",
    "Global",
    "GroupMember",
    "Membership",
    "User",
    "Workspace",
]
