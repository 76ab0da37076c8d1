"""Every request of the contract: method, URL, headers and body, and the token only in a header."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable

import httpx
import pytest

from nemokit import _requests as rq
from nemokit import contract
from nemokit._config import Config

TOKEN = "nmv_usr_secret0123456789"
SID = "1234567890123456789"
API = "https://api.nemo.test"
CFG = Config.from_env(
    {}, api_url=API, web_url="https://web.nemo.test", skill_platform="cursor", client_id="cid-1"
)

AUTHENTICATED: dict[str, Callable[[], httpx.Request]] = {
    "session": lambda: rq.create_session(CFG, TOKEN, "en"),
    "claim": lambda: rq.claim_token(CFG, TOKEN, "task_1", SID),
    "run_sse": lambda: rq.run_sse(CFG, TOKEN, SID, "add music"),
    "upload_urls": lambda: rq.upload_urls(CFG, TOKEN, SID, ["https://x.test/a.mp4"]),
    "credits": lambda: rq.credits(CFG, TOKEN),
    "state": lambda: rq.state(CFG, TOKEN, SID),
    "render": lambda: rq.submit_render(CFG, TOKEN, "render_1", SID, {"t": []}),
    "render_status": lambda: rq.render_status(CFG, TOKEN, "render_1"),
    "cancel": lambda: rq.cancel_render(CFG, TOKEN, "render_1"),
    "download": lambda: rq.download(CFG, TOKEN, f"{API}/api/render/proxy/render_1/download"),
}

ROUTES = {
    "session": ("POST", contract.PATH_SESSION),
    "claim": ("POST", contract.PATH_CLAIM_TOKEN),
    "run_sse": ("POST", contract.PATH_RUN_SSE),
    "upload_urls": ("POST", contract.PATH_UPLOAD.format(sid=SID)),
    "credits": ("GET", contract.PATH_CREDITS),
    "state": ("GET", contract.PATH_STATE.format(sid=SID)),
    "render": ("POST", contract.PATH_RENDER),
    "render_status": ("GET", contract.PATH_RENDER_STATUS.format(id="render_1")),
    "cancel": ("POST", contract.PATH_RENDER_CANCEL.format(id="render_1")),
    "download": ("GET", contract.PATH_DOWNLOAD.format(id="render_1")),
}


def body(request: httpx.Request) -> object:
    return json.loads(request.read())


def assert_attribution(request: httpx.Request) -> None:
    assert request.headers[contract.HEADER_SKILL_SOURCE] == contract.DEFAULT_SKILL_SOURCE
    assert request.headers[contract.HEADER_SKILL_VERSION] == CFG.skill_version
    assert request.headers[contract.HEADER_SKILL_PLATFORM] == "cursor"


@pytest.mark.parametrize("name", sorted(AUTHENTICATED))
def test_authenticated_requests(name: str) -> None:
    request = AUTHENTICATED[name]()
    method, path = ROUTES[name]
    assert (request.method, request.url.path) == (method, path)
    assert str(request.url).startswith(API)
    assert request.headers[contract.HEADER_AUTHORIZATION] == f"Bearer {TOKEN}"
    assert contract.HEADER_CLIENT_ID not in request.headers
    assert TOKEN not in str(request.url)
    assert_attribution(request)


def test_anonymous_token_request() -> None:
    request = rq.anonymous_token(CFG, "cid-1")
    assert (request.method, request.url.path) == ("POST", contract.PATH_ANONYMOUS_TOKEN)
    assert request.headers[contract.HEADER_CLIENT_ID] == "cid-1"
    assert contract.HEADER_AUTHORIZATION not in request.headers
    assert request.read() == b""
    assert_attribution(request)


def test_session_body() -> None:
    assert body(rq.create_session(CFG, TOKEN)) == {"task_name": "project"}
    assert body(rq.create_session(CFG, TOKEN, "zh")) == {"task_name": "project", "language": "zh"}


def test_run_sse_body_and_accept() -> None:
    request = rq.run_sse(CFG, TOKEN, SID, "trim the pauses")
    assert body(request) == {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": SID,
        "new_message": {"parts": [{"text": "trim the pauses"}]},
    }
    assert request.headers["Accept"] == "text/event-stream"


def test_render_body() -> None:
    draft = {"t": [{"tt": 0, "sg": [{"id": "sg_1"}]}], "d": 1000}
    assert body(rq.submit_render(CFG, TOKEN, "render_42", SID, draft)) == {
        "id": "render_42",
        "sessionId": SID,
        "draft": draft,
        "output": {"format": "mp4", "quality": "high"},
    }


def test_claim_and_url_upload_bodies() -> None:
    assert body(rq.claim_token(CFG, TOKEN, "task_1", SID)) == {
        "task_id": "task_1",
        "session_id": SID,
    }
    urls = ["https://x.test/a.mp4", "https://x.test/b.png"]
    assert body(rq.upload_urls(CFG, TOKEN, SID, urls)) == {"urls": urls, "source_type": "url"}


def test_ids_in_paths_are_escaped() -> None:
    request = rq.state(CFG, TOKEN, "../../credits")
    assert request.url.raw_path.decode().startswith("/api/state/nemo_agent/me/..%2F..%2Fcredits/")
    status = rq.render_status(CFG, TOKEN, "a/b?c")
    assert status.url.path == "/api/render/proxy/lambda/a/b?c"
    assert b"a%2Fb%3Fc" in status.url.raw_path


def test_multipart_upload_streams_files_lazily(tmp_path: pathlib.Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(bytes(range(256)) * 1024)  # 256 KiB
    image = tmp_path / "still.png"
    image.write_bytes(b"\x89PNG fake")
    files = [rq.LazyFile(video, video.stat().st_size), rq.LazyFile(image, image.stat().st_size)]
    request = rq.upload_files(CFG, TOKEN, SID, files)
    assert all(f.closed for f in files)  # building opened nothing
    assert request.url.path == contract.PATH_UPLOAD.format(sid=SID)
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    chunks = list(request.stream)  # type: ignore[arg-type]
    assert max(len(c) for c in chunks) <= 64 * 1024
    sent = b"".join(chunks)
    assert int(request.headers["Content-Length"]) == len(sent)
    assert sent.count(b'name="files"') == 2
    assert b'filename="clip.mp4"' in sent
    assert b'filename="still.png"' in sent
    assert video.read_bytes() in sent
    assert all(f.closed for f in files)  # closed again at their end
    assert b"".join(request.stream) == sent  # type: ignore[arg-type]  # rewinds for a retry


def test_lazy_file_seek_and_tell_do_not_open(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "a.mp4"
    path.write_bytes(b"0123456789")
    file = rq.LazyFile(path, 10)
    assert file.seek(0, 2) == 10
    assert file.tell() == 10
    assert file.closed
    file.seek(4)
    assert file.read(3) == b"456"
    assert not file.closed
    file.close()
    assert file.read() == b"789"
    assert file.closed


@pytest.mark.parametrize(
    ("url", "authorized", "path"),
    [
        (f"{API}/api/render/proxy/r1/download", True, "/api/render/proxy/r1/download"),
        ("/api/render/proxy/r1/download", True, "/api/render/proxy/r1/download"),
        ("https://cdn.example/out/r1.mp4", False, "/out/r1.mp4"),
        ("http://api.nemo.test/api/x", False, "/api/x"),  # other scheme, other origin
        ("https://api.nemo.test:8443/api/x", False, "/api/x"),
    ],
)
def test_download_sends_the_token_only_to_the_api(url: str, authorized: bool, path: str) -> None:
    request = rq.download(CFG, TOKEN, url)
    assert request.url.path == path
    assert (contract.HEADER_AUTHORIZATION in request.headers) is authorized
    assert request.headers["Accept-Encoding"] == "identity"
    assert TOKEN not in str(request.url)
    assert_attribution(request)
