"""Serving uploaded media at ``/media/<workspace id>/<uuid[:4]>/<uuid>/<filename>``.

Media URLs are public, like a storage bucket's: whoever holds one (a provider fetching an attachment, a contact's
phone) can download it, and the random UUID in it is what keeps it unguessable. Only files recorded for an
upload are served, with the content type they were stored with; no path reaches outside the media folder.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from sauti.api import routes as mounting
from sauti.domain.media import service

NOT_FOUND = "Not found."


async def serve(request: Request) -> Response:
    path = request.path_params["path"]
    state = request.app.state
    async with state.sessionmaker() as session:
        stored = await service.find_file(session, Path(state.settings.data_dir), path)
    if stored is None:
        return PlainTextResponse(NOT_FOUND, status_code=404)
    return FileResponse(
        stored.path,
        media_type=stored.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=31536000, immutable"},
    )


def mount(app: FastAPI) -> None:
    mounting.add(mounting.table(app), "/media/{path:path}", serve, methods=["GET", "HEAD"])
