"""``request_optin``: ask the contact to opt in to a kind of message, kept so exports import (online).

Field: ``optin`` (required reference ``{uuid, name}``). goflow itself answers it with an "action unsupported"
error when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import OptInRef
from sauti.engine.definition.fields import Reader


@register
@dataclass(frozen=True, kw_only=True)
class RequestOptIn(Action):
    TYPE = "request_optin"
    FLOW_CLASS = "online"

    optin: OptInRef

    @classmethod
    def read(cls, r: Reader) -> RequestOptIn:
        optin = r.child("optin", required=True)
        return cls(uuid=action_uuid(r), raw=raw_of(r), optin=OptInRef.read(optin) if optin else OptInRef("", ""))
