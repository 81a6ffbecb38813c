"""``play_audio``: play a recording on a voice call (voice).

Field: ``audio_url`` (template, localizable, required, at most 8192 characters).
"""

from __future__ import annotations

from dataclasses import dataclass

from sauti.engine.actions.base import Action, action_uuid, raw_of, register
from sauti.engine.definition.fields import Reader


@register
@dataclass(frozen=True, kw_only=True)
class PlayAudio(Action):
    TYPE = "play_audio"
    FLOW_CLASS = "voice"
    LOCALIZABLE = ("audio_url",)
    TEMPLATES = ("audio_url",)

    audio_url: str

    @classmethod
    def read(cls, r: Reader) -> PlayAudio:
        return cls(uuid=action_uuid(r), raw=raw_of(r), audio_url=r.text("audio_url", required=True, max_len=8192))
