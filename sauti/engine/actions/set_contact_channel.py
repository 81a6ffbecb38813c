"""``set_contact_channel``: make a channel the preferred one of the contact's URNs (online).

Field: ``channel`` (a channel reference, or null/absent to clear the affinity).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.actions.refs import ChannelRef, Dependency
from sauti.engine.definition.fields import Reader


@register
@dataclass(frozen=True, kw_only=True)
class SetContactChannel(Action):
    TYPE = "set_contact_channel"
    FLOW_CLASS = "online"

    channel: ChannelRef | None = None

    @classmethod
    def read(cls, r: Reader) -> SetContactChannel:
        channel = r.child("channel")
        return cls(uuid=action_uuid(r), raw=raw_of(r), channel=ChannelRef.read(channel) if channel else None)

    def dependencies(self) -> Iterator[Dependency]:
        if self.channel is not None:
            yield self.channel.dependency()
