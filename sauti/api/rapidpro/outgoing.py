"""Body parts shared by the endpoints that send: the wire shape of quick replies (their rules are the domain's,
in ``domain/messages/content.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from sauti.api.rapidpro import body
from sauti.domain.messages.content import MAX_ATTACHMENTS, MAX_QUICK_REPLIES, QuickReply

__all__ = ["MAX_ATTACHMENTS", "MAX_QUICK_REPLIES", "QuickReplyBody", "quick_replies"]


class QuickReplyBody(BaseModel):
    type: Literal["text", "form", "url", "location"] = "text"
    text: Annotated[body.Str, Field(max_length=64)] | None = None
    extra: Annotated[body.Str, Field(max_length=1000)] | None = None


def quick_replies(parsed: Sequence[QuickReplyBody]) -> list[QuickReply]:
    return [QuickReply(type=q.type, text=q.text, extra=q.extra) for q in parsed]
