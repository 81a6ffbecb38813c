"""What an outgoing message carries besides text, and the rules for it: quick replies and attachments.

Shared by every door that sends (single messages, broadcasts, and later flows and the TextUs dialect), so the
rules are written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import ErrorCollector
from sauti.domain.media import service as media_service
from sauti.models import Workspace

MAX_ATTACHMENTS = 10
MAX_QUICK_REPLIES = 10
QUICK_REPLY_TYPES = ("text", "form", "url", "location")


@dataclass(frozen=True)
class QuickReply:
    type: str = "text"
    text: str | None = None
    extra: str | None = None

    def stored(self) -> dict[str, Any]:
        """The stored (and rendered) form: always ``type``; ``text`` and ``extra`` only when given."""
        out: dict[str, Any] = {"type": self.type}
        if self.text is not None:
            out["text"] = self.text
        if self.extra is not None:
            out["extra"] = self.extra
        return out


def quick_reply_problem(q: QuickReply) -> str | None:
    """The code of what is wrong with one quick reply, or ``None``."""
    if q.type == "text" and not q.text:
        return "quick_reply_text"
    if q.type in ("form", "url") and not (q.text and q.extra):
        return "quick_reply_text_extra"
    if q.type == "location" and q.extra:
        return "quick_reply_location_extra"
    return None


def check_quick_replies(
    replies: Sequence[QuickReply], errors: ErrorCollector, field: str = "quick_replies"
) -> list[dict[str, Any]]:
    """The stored form of each valid quick reply; each invalid one is a problem at its index."""
    out: list[dict[str, Any]] = []
    for i, q in enumerate(replies):
        code = quick_reply_problem(q)
        if code == "quick_reply_text_extra":
            errors.add(field, code, i, type=q.type)
        elif code is not None:
            errors.add(field, code, i)
        else:
            out.append(q.stored())
    return out


async def resolve_attachments(
    session: AsyncSession,
    workspace: Workspace,
    refs: Sequence[str],
    errors: ErrorCollector,
    field: str = "attachments",
) -> list[str]:
    """Media UUIDs (or ``type:url`` strings naming one of our media) as ``content/type:url`` attachments, in
    one query; a reference that names none of the workspace's media is a problem."""
    found = await media_service.resolve_many(session, workspace, refs)
    out: list[str] = []
    for ref in refs:
        media = found.get(ref)
        if media is None:
            errors.add(field, "no_such_object", ref=ref)
        else:
            out.append(media_service.attachment(media))
    return out
