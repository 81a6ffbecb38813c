"""media.json: uploads, the files served back under /media/, and media references in message bodies."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from sauti.api import media_files
from sauti.domain.media import service
from sauti.models import Media, Message
from tests.api.rapidpro.helpers import count, create_contact, row
from tests.conftest import Tenant

pytestmark = pytest.mark.usefixtures("app")
URL = "/api/v2/media.json"
JPEG = b"\xff\xd8\xff\xe0" + b"pretend this is a photo" * 300
NOT_A_FILE = "The submitted data was not a file. Check the encoding type on the form."
BASE = "http://127.0.0.1:8000"  # the test settings' public URL (callback_base)


@pytest.fixture(autouse=True)
def serving(app: Any) -> None:
    """The file route, as app.py mounts it (mounted here too, once, so these tests do not depend on it)."""
    if not any(getattr(r, "path", None) == "/media/{path:path}" for r in app.router.routes):
        media_files.mount(app)


def data_dir(app: Any) -> Path:
    return Path(app.state.settings.data_dir)


def files_on_disk(app: Any) -> int:
    """Files under the media folder (the data directory outlives each test, so compare before and after)."""
    return sum(1 for p in (data_dir(app) / "media").rglob("*") if p.is_file())


async def upload(client: httpx.AsyncClient, name: str, content: bytes, ctype: str) -> httpx.Response:
    return await client.post(URL, files={"file": (name, content, ctype)})


async def test_upload_and_download(app: Any, client: httpx.AsyncClient, tenant: Tenant, db: Any) -> None:
    resp = await upload(client, "steve marten.jpg", JPEG, "image/jpeg")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    uuid = body["uuid"]
    ws = tenant.workspace.id
    assert body == {
        "uuid": uuid,
        "content_type": "image/jpeg",
        "url": f"{BASE}/media/{ws}/{uuid[:4]}/{uuid}/steve%20marten.jpg",
        "filename": "steve marten.jpg",
        "size": len(JPEG),
    }
    stored = await row(db, Media, Media.uuid == uuid)
    assert (stored.workspace_id, stored.content_type, stored.filename, stored.size) == (
        ws,
        "image/jpeg",
        "steve marten.jpg",
        len(JPEG),
    )
    assert stored.path == f"media/{ws}/{uuid[:4]}/{uuid}/steve marten.jpg"
    assert (data_dir(app) / stored.path).read_bytes() == JPEG
    # the URL serves the file, with its type, to anyone holding it
    anon = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    async with anon:
        got = await anon.get(body["url"])
        assert got.status_code == 200 and got.content == JPEG
        assert got.headers["content-type"] == "image/jpeg"
        assert got.headers["x-content-type-options"] == "nosniff"
        head = await anon.head(body["url"])
        assert head.status_code == 200 and head.headers["content-length"] == str(len(JPEG))


@pytest.mark.parametrize(
    ("name", "ctype", "stored_type", "filename"),
    [
        ("photo.png", "image/png", "image/png", "photo.png"),
        ("anim.gif", "image/gif", "image/gif", "anim.gif"),
        ("pic.webp", "image/webp", "image/webp", "pic.webp"),
        ("pic.avif", "image/avif", "image/avif", "pic.avif"),
        ("pic.apng", "image/apng", "image/apng", "pic.apng"),
        ("doc.pdf", "application/pdf", "application/pdf", "doc.pdf"),
        ("song.ogg", "audio/ogg", "audio/ogg", "song.ogg"),
        ("clip.mp4", "video/mp4", "video/mp4", "clip.mp4"),
        ("voice.m4a", "audio/x-m4a", "audio/mp4", "voice.m4a"),
        ("shot.JPG", "IMAGE/JPEG; name=shot", "image/jpeg", "shot.JPG"),
        ("../../etc/pass wd.jpg", "image/jpeg", "image/jpeg", "pass wd.jpg"),
        ("C:\\Users\\me\\photo.jpg", "image/jpeg", "image/jpeg", "photo.jpg"),
        ("we<ir>d:na*me?!.png", "image/png", "image/png", "weirdname.png"),
        ("keep [this] (and-that)_ok.png", "image/png", "image/png", "keep [this] (and-that)_ok.png"),
        ("  spaced  .png", "image/png", "image/png", "spaced.png"),
        ("café.jpg", "image/jpeg", "image/jpeg", "café.jpg"),
        ("!!!.jpg", "image/jpeg", "image/jpeg", "file.jpg"),
        ("noext", "image/png", "image/png", "noext.png"),
        ("odd.t@r", "application/pdf", "application/pdf", "odd.pdf"),
        ("sound", "audio/x-no-such-thing", "audio/x-no-such-thing", "sound.bin"),
        ("x" * 300 + ".jpg", "image/jpeg", "image/jpeg", "x" * 251 + ".jpg"),
    ],
)
async def test_types_and_filenames(
    app: Any, client: httpx.AsyncClient, db: Any, name: str, ctype: str, stored_type: str, filename: str
) -> None:
    resp = await upload(client, name, b"some bytes", ctype)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["content_type"], body["filename"]) == (stored_type, filename)
    stored = await row(db, Media, Media.uuid == body["uuid"])
    assert stored.filename == filename and stored.path.endswith(f"/{body['uuid']}/{filename}")
    assert (data_dir(app) / stored.path).read_bytes() == b"some bytes"
    assert body["url"].rsplit("/", 1)[1] == quote(filename)


@pytest.mark.parametrize(
    ("files", "data", "errors"),
    [
        ({"file": ("page.html", b"<html>", "text/html")}, None, {"file": ["Unsupported file type."]}),
        ({"file": ("x.svg", b"<svg/>", "image/svg+xml")}, None, {"file": ["Unsupported file type."]}),
        ({"file": ("x.bin", b"\x00\x01", "application/octet-stream")}, None, {"file": ["Unsupported file type."]}),
        ({"file": ("x.jpg", b"", "image/jpeg")}, None, {"file": ["The submitted file is empty."]}),
        ({"other": ("x.jpg", JPEG, "image/jpeg")}, None, {"file": ["No file was submitted."]}),
        (None, {"file": "not a file"}, {"file": [NOT_A_FILE]}),
        (None, {"something": "else"}, {"file": ["No file was submitted."]}),
    ],
)  # fmt: skip
async def test_upload_errors(
    app: Any, client: httpx.AsyncClient, db: Any, files: Any, data: Any, errors: dict[str, Any]
) -> None:
    before = files_on_disk(app)
    resp = await client.post(URL, files=files, data=data)
    assert resp.status_code == 400
    assert resp.json() == errors
    assert await count(db, Media) == 0
    assert files_on_disk(app) == before


async def test_size_limit(app: Any, client: httpx.AsyncClient, db: Any) -> None:
    before = files_on_disk(app)
    resp = await upload(client, "big.mp4", b"\x00" * (25 * 1024 * 1024 + 1), "video/mp4")
    assert resp.status_code == 400
    assert resp.json() == {"file": ["Limit for file uploads is 25.0 MB."]}
    assert await count(db, Media) == 0 and files_on_disk(app) == before


async def test_bodies_that_are_not_forms(client: httpx.AsyncClient, db: Any) -> None:
    resp = await client.post(URL)
    assert resp.status_code == 400 and resp.json() == {"file": ["No file was submitted."]}
    resp = await client.post(URL, json={"file": "x"})
    assert resp.status_code == 415 and resp.json() == {
        "detail": 'Unsupported media type "application/json" in request.'
    }
    resp = await client.post(URL, content=b"garbage", headers={"content-type": "multipart/form-data; boundary=zz"})
    assert resp.status_code == 400 and resp.json()["detail"].startswith("Multipart form parse error - ")
    two = {"file": [("a.jpg", JPEG, "image/jpeg"), ("b.jpg", JPEG, "image/jpeg")]}
    resp = await client.post(URL, files=[("file", f) for f in two["file"]])
    assert resp.status_code == 400 and resp.json()["detail"].startswith("Multipart form parse error - ")
    for method in ("GET", "DELETE"):
        resp = await client.request(method, URL)
        assert resp.status_code == 405 and resp.json() == {"detail": f'Method "{method}" not allowed.'}
    assert await count(db, Media) == 0


async def test_serving_never_leaves_the_media_folder(app: Any, client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = (await upload(client, "a.jpg", JPEG, "image/jpeg")).json()
    uuid, ws = body["uuid"], tenant.workspace.id
    root = data_dir(app)
    (root / "secret.txt").write_text("the database password")
    stray = root / "media" / str(ws) / uuid[:4] / uuid / "stray.jpg"  # a file no upload recorded
    stray.write_bytes(JPEG)
    anon = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    async with anon:
        assert (await anon.get(f"/media/{ws}/{uuid[:4]}/{uuid}/a.jpg")).status_code == 200
        for path in (
            f"/media/{ws}/{uuid[:4]}/{uuid}/..%2F..%2F..%2F..%2Fsecret.txt",
            "/media/..%2Fsecret.txt",
            "/media/%2E%2E/secret.txt",
            "/media/%2Fetc%2Fpasswd",
            "/media//etc/passwd",
            f"/media/{ws}/{uuid[:4]}/{uuid}/stray.jpg",
            f"/media/{ws + 1}/{uuid[:4]}/{uuid}/a.jpg",  # the right file under another workspace's id
            f"/media/{ws}/zzzz/{uuid}/a.jpg",
            f"/media/{ws}/{uuid[:4]}/{uuid}",
            f"/media/{'9' * 40}/{uuid[:4]}/{uuid}/a.jpg",
            "/media/",
        ):
            resp = await anon.get(path)
            assert resp.status_code == 404, path
            assert "password" not in resp.text
        # a file deleted from disk is simply gone
        (root / "media" / str(ws) / uuid[:4] / uuid / "a.jpg").unlink()
        assert (await anon.get(f"/media/{ws}/{uuid[:4]}/{uuid}/a.jpg")).status_code == 404


async def test_resolve_and_attachment(client: httpx.AsyncClient, tenant: Tenant, other: Tenant, db: Any) -> None:
    body = (await upload(client, "a b.jpg", JPEG, "image/jpeg")).json()
    expected = f"image/jpeg:{body['url']}"

    class One:
        """One reference at a time through the bulk resolver."""

        @staticmethod
        async def resolve(session: Any, workspace: Any, ref: str) -> Any:
            return (await service.resolve_many(session, workspace, [ref])).get(ref)

        attachment = staticmethod(service.attachment)

    async with db() as session:
        many = await service.resolve_many(session, tenant.workspace, [body["uuid"], "nope", expected])
        assert set(many) == {body["uuid"], expected} and many[body["uuid"]].id == many[expected].id
    async with db() as session:
        by_uuid = await One.resolve(session, tenant.workspace, body["uuid"])
        assert by_uuid is not None and by_uuid.uuid == body["uuid"]
        assert One.attachment(by_uuid) == expected
        for ref in (expected, f"image/jpeg:https://cdn.example.com/copy/{body['uuid']}/a.jpg", body["uuid"].upper()):
            found = await One.resolve(session, tenant.workspace, ref)
            assert found is not None and found.id == by_uuid.id, ref
        for ref in (
            "nope",
            "image/jpeg:https://example.com/photo.jpg",
            "https://example.com/x.jpg",
            "image/jpeg:https://example.com/2b2b2b2b-7b44-4fd0-9d5f-3f8e1d7d0a11.jpg",
            "",
        ):
            assert await One.resolve(session, tenant.workspace, ref) is None, ref
        # another workspace's media are not found, by UUID or by URL
        assert await One.resolve(session, other.workspace, body["uuid"]) is None
        assert await One.resolve(session, other.workspace, expected) is None


async def test_attach_to_a_message(client: httpx.AsyncClient, db: Any) -> None:
    """What the upload is for: messages.json takes the UUID and sends the content-type:url attachment."""
    body = (await upload(client, "steve marten.jpg", JPEG, "image/jpeg")).json()
    joe = await create_contact(client, name="Joe", urns=["tel:+250788123123"])
    resp = await client.post(
        "/api/v2/messages.json", json={"contact": joe["uuid"], "text": "Look", "attachments": [body["uuid"]]}
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["attachments"] == [{"content_type": "image/jpeg", "url": body["url"]}]
    stored = await row(db, Message, Message.uuid == resp.json()["uuid"])
    assert stored.attachments == [f"image/jpeg:{body['url']}"]
