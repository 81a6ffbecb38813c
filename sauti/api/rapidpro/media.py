"""``media.json``: upload a file (multipart form, field ``file``) to attach to messages and broadcasts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.responses import Response

from sauti.api.rapidpro.endpoint import Ctx, Doc, Endpoint, json
from sauti.api.rapidpro.errors import APIError, bad_request
from sauti.domain.errors import Invalid
from sauti.domain.media import service
from sauti.models import Media

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class MediaOut(BaseModel):
    uuid: str = Field(description="the UUID of the medium (string)")
    content_type: str = Field(description="its content type, e.g. image/jpeg")
    url: str = Field(description="where it can be downloaded (string)")
    filename: str = Field(description="its file name, cleaned of unsafe characters")
    size: int = Field(description="its size in bytes (integer)")


endpoint = Endpoint(
    name="media",
    title="Upload Media",
    description=(
        "Upload a file as a `multipart/form-data` body with the file in the field `file`: images (apng, avif, "
        "gif, jpeg, png, webp), audio, video or PDF, up to 25 MB. Use the returned `uuid` in the `attachments` "
        "of messages and broadcasts. Uploaded media are not listed."
    ),
    result=MediaOut,
)


def render(media: Media) -> dict[str, Any]:
    return {
        "uuid": media.uuid,
        "content_type": media.content_type,
        "url": media.url,
        "filename": media.filename,
        "size": media.size,
    }


@endpoint.method(
    "POST",
    Doc(
        summary="Upload a file",
        description="The body is multipart/form-data with one file in the field `file`.",
        media_type="multipart/form-data",
        example="POST /api/v2/media.json (multipart/form-data; file=@photo.jpg)",
    ),
)
async def post(ctx: Ctx) -> Response:
    request = ctx.request
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype and ctype not in FORM_TYPES:
        raise APIError.detail(415, f'Unsupported media type "{ctype}" in request.')
    try:
        form = await request.form(max_files=1)
    except (HTTPException, MultiPartException) as exc:
        raise bad_request(f"Multipart form parse error - {getattr(exc, 'detail', None) or exc}") from exc
    try:
        upload = form.get("file")
        if isinstance(upload, str):
            raise Invalid.field("file", "file_not_a_file")
        if upload is None or not upload.filename:
            raise Invalid.field("file", "file_missing")
        assert isinstance(upload, UploadFile)
        size = upload.size or 0
        if size == 0:
            raise Invalid.field("file", "file_empty")
        # type and size are checked before a byte of the file is read into memory
        service.check(service.normalise_type(upload.content_type, upload.filename), size)
        content = await upload.read()
    finally:
        await form.close()
    settings = request.app.state.settings
    media = await service.create(
        ctx.session,
        ctx.workspace,
        data_dir=Path(settings.data_dir),
        base_url=settings.callback_base,
        filename=upload.filename,
        content_type=upload.content_type,
        content=content,
    )
    return json(render(media), 201)
