"""Use cases for uploaded media: checking and storing an upload, finding a file to serve, and resolving the
references that message and broadcast bodies use for attachments.

A medium lives at ``<data dir>/media/<workspace id>/<uuid[:4]>/<uuid>/<filename>`` and is served, publicly, at
the same path under ``/media/`` of the server's public URL. Its URL names its UUID, which is what lets a
``content/type:url`` attachment string be traced back to it.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from sauti.domain.errors import Invalid
from sauti.domain.scope import scoped
from sauti.kit import clock
from sauti.kit.text import has_nul
from sauti.models import Media, Workspace

MAX_UPLOAD_SIZE = 25 * 1024 * 1024
MAX_FILENAME_LENGTH = 255
ALLOWED_TYPES = frozenset(
    {"image/apng", "image/avif", "image/gif", "image/jpeg", "image/png", "image/webp", "application/pdf"}
)
ALLOWED_FAMILIES = ("audio/", "video/")
# what we store some declared types as (.m4a files are declared under several names)
M4A_TYPE = "audio/mp4"
FOLDER = "media"  # under the data directory, and the first segment of every media URL path

_UNSAFE = re.compile(r"[^\w\-\[\]() ]")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def normalise_type(declared: str | None, filename: str | None) -> str:
    """The declared content type without parameters, lower-cased; ``.m4a`` files are ``audio/mp4``."""
    ctype = (declared or "").split(";")[0].strip().lower()
    if filename and filename.lower().endswith(".m4a") and ctype.startswith("audio/"):
        return M4A_TYPE
    return ctype


def allowed(content_type: str) -> bool:
    return content_type in ALLOWED_TYPES or (
        content_type.startswith(ALLOWED_FAMILIES) and len(content_type.split("/", 1)[1]) > 0
    )


def check(content_type: str, size: int) -> None:
    """400 under ``file`` for a type we do not take or a file over 25 MiB."""
    if not allowed(content_type):
        raise Invalid.field("file", "file_type")
    if size > MAX_UPLOAD_SIZE:
        raise Invalid.field("file", "file_too_big", limit_mb=MAX_UPLOAD_SIZE / 1048576)


def clean_filename(filename: str | None, content_type: str) -> str:
    """A safe file name: no directories; only word characters, ``-``, ``[``, ``]``, ``(``, ``)`` and spaces
    in the stem (``file`` if nothing is left); the extension kept when alphanumeric, else guessed from the
    content type (``bin`` when there is no guess); at most 255 characters."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    if not ext.isalnum():
        guessed = mimetypes.guess_extension(content_type, strict=False)
        ext = guessed[1:] if guessed else "bin"
    stem = _UNSAFE.sub("", stem).strip() or "file"
    stem = stem[: MAX_FILENAME_LENGTH - len(ext) - 1].strip() or "file"
    return f"{stem}.{ext}"


def relative_path(workspace_id: int, media_uuid: str, filename: str) -> str:
    """Where a medium lives, relative to the data directory (always with ``/``)."""
    return f"{FOLDER}/{workspace_id}/{media_uuid[:4]}/{media_uuid}/{filename}"


def public_url(path: str, base_url: str) -> str:
    """The absolute public URL of a stored file (its file name percent-encoded)."""
    folder, _, name = path.rpartition("/")
    return f"{base_url.rstrip('/')}/{folder}/{quote(name)}"


def url(media: Media) -> str:
    return media.url


def attachment(media: Media) -> str:
    """The ``content/type:url`` form messages and broadcasts carry."""
    return f"{media.content_type}:{media.url}"


def _write(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


async def create(
    session: AsyncSession,
    workspace: Workspace,
    *,
    data_dir: Path,
    base_url: str,
    filename: str | None,
    content_type: str | None,
    content: bytes,
    checked: bool = True,
) -> Media:
    """Check and store an upload, and record it. The file is written before the row is flushed; a failed
    transaction can leave an orphan file behind but never a row without its file."""
    ctype = normalise_type(content_type, filename)
    if checked:  # uploads are checked; media a contact sent us are kept whatever their type
        check(ctype, len(content))
    media_uuid = clock.new_uuid()
    name = clean_filename(filename, ctype)
    rel = relative_path(workspace.id, media_uuid, name)
    await asyncio.to_thread(_write, Path(data_dir) / rel, content)
    media = Media(
        uuid=media_uuid,
        workspace_id=workspace.id,
        content_type=ctype,
        filename=name,
        size=len(content),
        path=rel,
        url=public_url(rel, base_url),
        created_on=clock.now(),
    )
    session.add(media)
    await session.flush()
    return media


def _candidates(ref: str) -> list[str]:
    ref = ref.strip()
    try:
        return [str(uuidlib.UUID(ref))]
    except ValueError:
        _, colon, address = ref.partition(":")
        return [m.lower() for m in _UUID.findall(address)] if colon else []


async def resolve_many(session: AsyncSession, workspace: Workspace, refs: Sequence[str]) -> dict[str, Media]:
    """Media of this workspace named by their UUID, or by a ``content/type:url`` string whose URL contains
    the UUID (what a client copies from a message it received or a medium it uploaded), in one query.
    References that name none are absent from the result."""
    wanted = {ref: _candidates(ref) for ref in refs}
    every = sorted({c for cs in wanted.values() for c in cs})
    if not every:
        return {}
    rows = await session.execute(scoped(Media, workspace).where(Media.uuid.in_(every)))
    found = {m.uuid: m for m in rows.scalars()}
    out: dict[str, Media] = {}
    for ref, candidates in wanted.items():
        media = next((found[c] for c in candidates if c in found), None)
        if media is not None:
            out[ref] = media
    return out


@dataclass(frozen=True)
class StoredFile:
    path: Path
    content_type: str


async def find_file(session: AsyncSession, data_dir: Path, path: str) -> StoredFile | None:
    """The file behind a public media path (``<workspace id>/<uuid[:4]>/<uuid>/<filename>``), or ``None``.

    Only paths recorded for an upload are served, and only when the file is still where it was put: nothing
    outside the media folder can be reached, whatever the path says.
    """
    if has_nul(path):
        return None
    parts = PurePosixPath(path).parts
    if len(parts) != 4 or not parts[0].isdigit() or len(parts[0]) > 18:  # ids are 64-bit
        return None
    workspace_id, prefix, media_uuid, _ = parts
    if prefix != media_uuid[:4]:
        return None
    media: Media | None = (
        await session.execute(scoped(Media, int(workspace_id)).where(Media.uuid == media_uuid))
    ).scalar_one_or_none()
    if media is None or media.path != f"{FOLDER}/{path}":
        return None
    root = (Path(data_dir) / FOLDER).resolve()
    target = (Path(data_dir) / media.path).resolve()
    if not target.is_relative_to(root) or not await asyncio.to_thread(target.is_file):
        return None
    return StoredFile(path=target, content_type=media.content_type)
