"""Uploads: multipart read as it streams, the type and size limits, URLs, odd file names."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
from _mockapi import Api

from mockserver.http._upload import sanitize_filename
from nemokit import contract

BOUNDARY = "nemoboundary"
MB = 1024 * 1024


class Counting:
    """An endless-ish multipart body of one file; counts the bytes it handed out."""

    def __init__(self, filename: str, size: int, chunk: int = MB) -> None:
        self.filename, self.size, self.chunk, self.produced = filename, size, chunk, 0

    async def body(self) -> AsyncIterator[bytes]:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{self.filename}"\r\nContent-Type: video/mp4\r\n\r\n'
        ).encode()
        self.produced += len(head)
        yield head
        block = b"\x00" * self.chunk
        sent = 0
        while sent < self.size:
            self.produced += len(block)
            sent += len(block)
            yield block
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.produced += len(tail)
        yield tail


def _multipart_headers() -> dict[str, str]:
    return {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def test_upload_describes_each_file_and_records_it_in_the_state() -> None:
    api = Api()
    token, sid = api.user()
    video = b"\x00\x00\x00\x18ftypisom" + b"\x01" * 5000
    response = api.upload(token, sid, ("clip.mp4", video), ("song.mp3", b"ID3" + b"\x00" * 10))
    body = response.json()
    assert body["code"] == 0
    assert body["data"]["session_state_applied"] is True
    files = body["data"]["files"]
    assert [f["filename"] for f in files] == ["clip.mp4", "song.mp3"]
    assert [f["file_type"] for f in files] == ["video", "audio"]
    assert files[0]["hash"] == hashlib.sha256(video).hexdigest()
    assert files[0]["cdn_url"].startswith("http://mock.test/")
    for key in ("duration", "width", "height", "fps"):
        assert key in files[0]
    infos = api.state(token, sid).json()["data"]["state"]["video_infos"]
    assert [i["filename"] for i in infos] == ["clip.mp4", "song.mp3"]


def test_unsupported_type_is_4001_as_soon_as_the_part_headers_arrive() -> None:
    api = Api()
    token, sid = api.user()
    body = Counting("notes.exe", 50 * MB)
    response = api.post(
        contract.PATH_UPLOAD.format(sid=sid),
        token=token,
        headers=_multipart_headers(),
        stream=body.body,
    )
    assert response.json()["code"] == contract.Code.UNSUPPORTED_FILE_TYPE
    assert "mp4" in response.json()["message"]
    assert body.produced < 3 * MB


def test_600_mb_file_is_4002_without_reading_it_all() -> None:
    api = Api()
    token, sid = api.user()
    body = Counting("big.mp4", 600 * MB)
    response = api.post(
        contract.PATH_UPLOAD.format(sid=sid),
        token=token,
        headers=_multipart_headers(),
        stream=body.body,
    )
    assert response.json()["code"] == contract.Code.FILE_TOO_LARGE
    assert contract.MAX_UPLOAD_BYTES < body.produced < contract.MAX_UPLOAD_BYTES + 3 * MB
    assert api.state(token, sid).json()["data"]["state"]["video_infos"] == []


def test_declared_content_length_over_the_limit_is_4002_without_reading() -> None:
    api = Api(error_style="http_status")
    token, sid = api.user()
    body = Counting("big.mp4", 600 * MB)
    headers = {**_multipart_headers(), "Content-Length": str(600 * MB)}
    response = api.post(
        contract.PATH_UPLOAD.format(sid=sid), token=token, headers=headers, stream=body.body
    )
    assert response.status_code == 413
    assert response.json()["code"] == contract.Code.FILE_TOO_LARGE
    assert body.produced == 0


def test_4001_in_http_status_style_is_415() -> None:
    api = Api(error_style="http_status")
    token, sid = api.user()
    response = api.upload(token, sid, ("doc.pdf", b"%PDF"))
    assert response.status_code == 415
    assert response.json()["code"] == 4001


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.mp4", "passwd.mp4"),
        ("/abs/path/clip.mov", "clip.mov"),
        ("C:\\Users\\me\\clip.mp4", "clip.mp4"),
        ("c\x00lip.mp4", "clip.mp4"),
        ("..", "upload"),
        ("dir/", "dir"),
    ],
)
def test_file_names_are_reduced_to_a_base_name(raw: str, clean: str) -> None:
    assert sanitize_filename(raw) == clean


def test_path_tricks_in_a_multipart_filename_are_sanitised() -> None:
    api = Api()
    token, sid = api.user()
    response = api.upload(token, sid, ("../../secret/clip.mp4", b"abc"))
    assert response.json()["data"]["files"][0]["filename"] == "clip.mp4"


def test_a_file_name_longer_than_255_characters_is_refused_clearly() -> None:
    api = Api()
    token, sid = api.user()
    response = api.upload(token, sid, ("a" * 300 + ".mp4", b"abc"))
    body = response.json()
    assert body["code"] == 400
    assert "file name too long" in body["message"]
    assert "255" in body["message"]
    assert len(body["message"]) < 200
    ok = api.upload(token, sid, ("a" * 251 + ".mp4", b"abc"))
    assert ok.json()["code"] == 0


def test_url_upload_is_accepted_as_json() -> None:
    api = Api()
    token, sid = api.user()
    response = api.post(
        contract.PATH_UPLOAD.format(sid=sid),
        token=token,
        json={"urls": ["https://example.com/media/intro.mov"], "source_type": "url"},
    )
    files = response.json()["data"]["files"]
    assert [(f["filename"], f["file_type"]) for f in files] == [("intro.mov", "video")]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"urls": ["https://example.com/a.txt"]}, 4001),
        ({"urls": ["ftp://example.com/a.mp4"]}, 400),
        ({"urls": "https://example.com/a.mp4"}, 400),
        ({"urls": []}, 400),
        ({"source_type": "url"}, 400),
    ],
)
def test_bad_url_uploads(body: dict[str, object], code: int) -> None:
    api = Api()
    token, sid = api.user()
    response = api.post(contract.PATH_UPLOAD.format(sid=sid), token=token, json=body)
    assert response.json()["code"] == code


def test_upload_variant_names_the_list_uploaded_files_with_url() -> None:
    api = Api(upload_list="uploaded_files")
    token, sid = api.user()
    data = api.upload(token, sid, ("a.png", b"\x89PNG")).json()["data"]
    assert data["uploaded_files"][0]["url"].startswith("http://mock.test/")
    assert "files" not in data


@pytest.mark.parametrize(
    ("headers", "content", "status"),
    [
        ({"Content-Type": "text/plain"}, b"hello", 415),
        ({"Content-Type": "multipart/form-data"}, b"x", 400),
        ({"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}, b"garbage", 400),
    ],
)
def test_bad_upload_bodies_are_clear_errors(
    headers: dict[str, str], content: bytes, status: int
) -> None:
    api = Api()
    token, sid = api.user()
    response = api.post(
        contract.PATH_UPLOAD.format(sid=sid), token=token, headers=headers, content=content
    )
    assert response.status_code == status
    assert response.json()["message"]


def test_multipart_without_a_files_part_is_400() -> None:
    api = Api()
    token, sid = api.user()
    response = api.post(
        contract.PATH_UPLOAD.format(sid=sid), token=token, data={"other": "x"}, files={"x": b""}
    )
    assert response.status_code == 400
    assert "'files'" in response.json()["message"]


def test_the_journal_summarises_multipart_parts() -> None:
    api = Api()
    token, sid = api.user()
    api.upload(token, sid, ("a.mp4", b"12345"))
    entry = api.server.journal.entries(path=contract.PATH_UPLOAD.format(sid=sid))[0]
    assert entry.body_kind == "multipart"
    assert entry.body["parts"] == [
        {
            "name": "files",
            "filename": "a.mp4",
            "content_type": "application/octet-stream",
            "size": 5,
        }
    ]
