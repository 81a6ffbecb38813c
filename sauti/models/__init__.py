"""Tables only, one module per aggregate. Importing this package registers every table on ``Base.metadata``."""

from sauti.models.channel import Channel, ChannelLog
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
from sauti.models.message import Broadcast, Label, Media, Message, MessageLabel, Worker
from sauti.models.workspace import APIToken, Membership, User, Workspace

__all__ = [
    "APIToken",
    "Broadcast",
    "Channel",
    "ChannelLog",
    "Contact",
    "ContactField",
    "ContactGroup",
    "ContactNote",
    "ContactURN",
    "ContactValue",
    "Global",
    "GroupMember",
    "Label",
    "Media",
    "Membership",
    "Message",
    "MessageLabel",
    "User",
    "Worker",
    "Workspace",
]
