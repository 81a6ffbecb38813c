"""Body parts shared by the endpoints that send: quick replies and attachments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from sauti.api.rapidpro import body
from sauti.domain.errors import ErrorCollector
from sauti.domain.media import service as media_service
from sauti.models import Workspace

MAX_ATTACHMENTS = 10
MAX_QUICK_REPLIES = 10


class QuickReply(BaseModel):
    type: Literal["text", "form", "url", "location"] = "text"
    text: Annotated[body.Str, Field(max_length=64)] | None = None
    extra: Annotated[body.Str, Field(max_length=1000)] | None = None


def quick_reply_problem(q: QuickReply) -> str | None:
    if q.type == "text" and not q.text:
        return "Quick replies of type 'text' require a 'text' value."
    if q.type in ("form", "url") and not (q.text and q.extra):
        return f"Quick replies of type '{q.type}' require 'text' and 'extra' values."
    if q.type == "location" and q.extra:
        return "Quick replies of type 'location' cannot have an 'extra' value."
    return None


def check_quick_replies(
    replies: Sequence[QuickReply], errors: ErrorCollector, field: str = "quick_replies"
) -> list[dict[str, Any]]:
    """Validate and normalise: stored form always has ``type``; ``text``/``extra`` only when given."""
    out: list[dict[str, Any]] = []
    for i, q in enumerate(replies):
        problem = quick_reply_problem(q)
        if problem:
            errors.add_item(field, i, problem)
            continue
        item: dict[str, Any] = {"type": q.type}
        if q.text is not None:
            item["text"] = q.text
        if q.extra is not None:
            item["extra"] = q.extra
        out.append(item)
    return out


async def resolve_attachments(
    session: AsyncSession, workspace: Workspace, refs: Sequence[str], errors: ErrorCollector, field: str = "attachments"
) -> list[str]:
    """Media UUIDs (or ``type:url`` strings naming one of our media) → ``content/type:url`` attachments."""
    out: list[str] = []
    for ref in refs:
        found = await media_service.resolve(session, workspace, ref)
        if found is None:
            errors.add(field, f"No such object: {ref}")
        else:
            out.append(media_service.attachment(found))
    return out
