"""``say_msg``: speak a text (or play its recording) on a voice call (voice).

Fields: ``text`` (template, localizable, required, at most 10000 characters) and ``audio_url`` (localizable,
not a template, at most 8192 characters): a recording of the text that replaces text-to-speech when present.
"""

from __future__ import annotations

from dataclasses import dataclass

from sauti.engine.actions.base import MAX_TEMPLATE, Action, action_uuid, raw_of, register
from sauti.engine.definition.fields import Reader


@register
@dataclass(frozen=True, kw_only=True)
class SayMsg(Action):
    TYPE = "say_msg"
    FLOW_CLASS = "voice"
    LOCALIZABLE = ("text", "audio_url")
    TEMPLATES = ("text",)

    text: str
    audio_url: str = ""

    @classmethod
    def read(cls, r: Reader) -> SayMsg:
        return cls(
            uuid=action_uuid(r),
            raw=raw_of(r),
            text=r.text("text", required=True, max_len=MAX_TEMPLATE),
            audio_url=r.text("audio_url", max_len=8192),
        )
