"""``Core`` flows over a scripted ``httpx.MockTransport`` and a virtual clock: the retry rules,
upload pre-checks and streaming, render resubmission, downloads, and the turn's pre-stream rules.
"""

from __future__ import annotations

import itertools
import json
import os
import pathlib
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from nemokit import _errors as errors
from nemokit import contract
from nemokit._clock import VirtualClock
from nemokit._config import Config
from nemokit._core import Core
from nemokit._flow import Close, Flow, SyncDriver

API = "https://api.nemo.test"
WEB = "https://web.nemo.test"
USER_TOKEN = "nmv_usr_fromtheuser0001"

Reply = Callable[[httpx.Request], httpx.Response] | Exception

ROUTES = [
    ("token", "POST", contract.PATH_ANONYMOUS_TOKEN),
    ("session", "POST", contract.PATH_SESSION),
    ("claim", "POST", contract.PATH_CLAIM_TOKEN),
    ("turn", "POST", contract.PATH_RUN_SSE),
    ("upload", "POST", contract.PATH_UPLOAD),
    ("credits", "GET", contract.PATH_CREDITS),
    ("state", "GET", contract.PATH_STATE),
    ("cancel", "POST", contract.PATH_RENDER_CANCEL),
    ("status", "GET", contract.PATH_RENDER_STATUS),
    ("render", "POST", contract.PATH_RENDER),
    ("download", "GET", contract.PATH_DOWNLOAD),
]
_PATTERNS = [
    (name, method, re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$"))
    for name, method, path in ROUTES
]


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that really streams, optionally failing after its chunks."""

    def __init__(self, chunks: list[bytes], fail: bool = False) -> None:
        self.chunks, self.fail = chunks, fail

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.fail:
            raise httpx.ReadError("connection reset")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.fail:
            raise httpx.ReadError("connection reset")


def ok(data: Any) -> Reply:
    return lambda request: httpx.Response(200, json={"code": 0, "message": "success", "data": data})


def code(value: int, status: int = 200, **headers: str) -> Reply:
    body = {"code": value, "message": f"error {value}", "data": None}
    return lambda request: httpx.Response(status, json=body, headers=headers)


def bare(status: int, **headers: str) -> Reply:
    return lambda request: httpx.Response(status, headers=headers)


@dataclass
class FakeApi:
    """Scripted replies per route (then healthy defaults); records each request and its time."""

    clock: VirtualClock = field(default_factory=VirtualClock)
    script: dict[str, list[Reply]] = field(default_factory=dict)
    journal: list[tuple[str, float, httpx.Request]] = field(default_factory=list)
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    tokens: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    video: bytes = b"\x00\x00\x00\x18ftypmp42" * 5000

    def on(self, route: str, *replies: Reply) -> None:
        self.script.setdefault(route, []).extend(replies)

    def calls(self, route: str) -> list[httpx.Request]:
        return [request for name, _, request in self.journal if name == route]

    def times(self, route: str) -> list[float]:
        return [when for name, when, _ in self.journal if name == route]

    def handle(self, request: httpx.Request) -> httpx.Response:
        name = self.route(request)
        self.journal.append((name, self.clock.now(), request))
        queue = self.script.get(name)
        reply = queue.pop(0) if queue else getattr(self, f"default_{name}")
        if isinstance(reply, Exception):
            raise reply
        return reply(request)

    def route(self, request: httpx.Request) -> str:
        for name, method, pattern in _PATTERNS:
            if request.method == method and pattern.match(request.url.path):
                return name
        raise AssertionError(f"unrouted {request.method} {request.url}")

    def default_token(self, request: httpx.Request) -> httpx.Response:
        n = next(self.tokens)
        return ok(
            {
                "token": f"nmv_usr_tok{n}",
                "user_id": "anon_1",
                "credits": 100,
                "expires_at": "2026-01-08T00:00:00Z",
            }
        )(request)

    def default_session(self, request: httpx.Request) -> httpx.Response:
        sid = str(1000000000000000000 + next(self.counter))
        return ok({"task_id": f"task_{sid[-2:]}", "session_id": sid, "user_id": "anon_1"})(request)

    def default_claim(self, request: httpx.Request) -> httpx.Response:
        return ok({"claim_token": "clm_abc", "expires_in": 604800})(request)

    def default_turn(self, request: httpx.Request) -> httpx.Response:
        event = b'data: {"content": {"parts": [{"text": "ok"}], "role": "model"}}\n\n'
        headers = {"Content-Type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=Chunks([event]))

    def default_upload(self, request: httpx.Request) -> httpx.Response:
        url = f"https://cdn.test/{next(self.counter)}.mp4"
        file = {"filename": "a.mp4", "file_type": "video", "cdn_url": url}
        return ok({"files": [file], "session_state_applied": True})(request)

    def default_credits(self, request: httpx.Request) -> httpx.Response:
        return ok({"available": 90, "frozen": 10, "total": 100})(request)

    def default_state(self, request: httpx.Request) -> httpx.Response:
        sid = request.url.path.split("/")[-2]
        return ok({"session_id": sid, "task_id": "task_1", "state": {"draft": {"t": []}}})(request)

    def default_render(self, request: httpx.Request) -> httpx.Response:
        render_id = json.loads(request.content)["id"]
        data = {"id": render_id, "status": "pending", "progress": 0}
        return httpx.Response(200, json={"success": True, "data": data})

    def default_status(self, request: httpx.Request) -> httpx.Response:
        render_id = request.url.path.rsplit("/", 1)[-1]
        data = {
            "id": render_id,
            "status": "completed",
            "progress": 100,
            "outputUrl": f"{API}/api/render/proxy/{render_id}/download",
        }
        return httpx.Response(200, json={"success": True, "data": data})

    def default_cancel(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200)

    def default_download(self, request: httpx.Request) -> httpx.Response:
        size = 16 * 1024
        chunks = [self.video[i : i + size] for i in range(0, len(self.video), size)]
        return httpx.Response(200, headers={"Content-Type": "video/mp4"}, stream=Chunks(chunks))


@dataclass
class Rig:
    api: FakeApi
    core: Core
    driver: SyncDriver

    def run(self, flow: Flow[Any]) -> Any:
        return self.driver.run(flow)


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


def make_rig(api: FakeApi, tmp_path: pathlib.Path, env: dict[str, str] | None = None) -> Rig:
    config = Config.from_env(
        env or {}, api_url=API, web_url=WEB, client_id_path=tmp_path / "client_id"
    )
    http = httpx.Client(transport=httpx.MockTransport(api.handle))
    return Rig(api, Core(config, api.clock), SyncDriver(http, api.clock))


@pytest.fixture
def rig(api: FakeApi, tmp_path: pathlib.Path) -> Rig:
    return make_rig(api, tmp_path)


@pytest.fixture
def user_rig(api: FakeApi, tmp_path: pathlib.Path) -> Rig:
    return make_rig(api, tmp_path, {contract.ENV_TOKEN: USER_TOKEN})


def bearer(request: httpx.Request) -> str:
    return request.headers[contract.HEADER_AUTHORIZATION].removeprefix("Bearer ")


# --- auth and session -------------------------------------------------------------------------


def test_connect_gets_a_token_then_a_session(rig: Rig, tmp_path: pathlib.Path) -> None:
    info = rig.run(rig.core.ensure_session("en"))
    (token_call,) = rig.api.calls("token")
    (session_call,) = rig.api.calls("session")
    assert (
        token_call.headers[contract.HEADER_CLIENT_ID]
        == (tmp_path / "client_id").read_text().strip()
    )
    assert bearer(session_call) == "nmv_usr_tok1"
    assert json.loads(session_call.content) == {"task_name": "project", "language": "en"}
    assert (rig.core.session_id, rig.core.user_id) == (info.session_id, "anon_1")
    assert rig.core.token_source == "anonymous"
    assert rig.run(rig.core.ensure_session()) == info
    assert len(rig.api.journal) == 2


def test_a_given_token_is_used_as_is(user_rig: Rig, tmp_path: pathlib.Path) -> None:
    user_rig.run(user_rig.core.credits())
    assert user_rig.api.calls("token") == []
    assert bearer(user_rig.api.calls("credits")[0]) == USER_TOKEN
    assert user_rig.core.token_source == "env"
    assert not (tmp_path / "client_id").exists()  # no client id needed, none made


def test_core_repr_hides_the_token(user_rig: Rig) -> None:
    assert USER_TOKEN not in repr(user_rig.core)
    assert "token=<set>" in repr(user_rig.core)


def test_claim_link(rig: Rig) -> None:
    link = rig.run(rig.core.claim_link())
    assert link == f"{WEB}/workspace/claim?ct=clm_abc"
    body = json.loads(rig.api.calls("claim")[0].content)
    assert body == {"task_id": rig.core.task_id, "session_id": rig.core.session_id}


# --- the retry rules --------------------------------------------------------------------------


def test_429_waits_30s_and_retries_once(rig: Rig) -> None:
    rig.api.on("credits", bare(429))
    credits = rig.run(rig.core.credits())
    assert credits.available == 90
    first, second = rig.api.times("credits")
    assert second - first >= contract.RATE_LIMIT_WAIT


def test_429_waits_the_longer_retry_after(rig: Rig) -> None:
    rig.api.on("credits", bare(429, **{"Retry-After": "95"}))
    rig.run(rig.core.credits())
    first, second = rig.api.times("credits")
    assert second - first >= 95


def test_a_second_429_is_reported(rig: Rig) -> None:
    rig.api.on("credits", bare(429), bare(429))
    with pytest.raises(errors.RateLimited):
        rig.run(rig.core.credits())
    assert len(rig.api.calls("credits")) == 2


@pytest.mark.parametrize("reply", [code(1001), code(1001, 401), bare(401)])
def test_1001_renews_an_anonymous_token_with_the_same_client_id(rig: Rig, reply: Reply) -> None:
    rig.run(rig.core.ensure_token())
    rig.api.on("credits", reply)
    assert rig.run(rig.core.credits()).total == 100
    first, second = rig.api.calls("token")
    assert first.headers[contract.HEADER_CLIENT_ID] == second.headers[contract.HEADER_CLIENT_ID]
    assert [bearer(r) for r in rig.api.calls("credits")] == ["nmv_usr_tok1", "nmv_usr_tok2"]


def test_1001_twice_is_reported(rig: Rig) -> None:
    rig.api.on("credits", code(1001), code(1001))
    with pytest.raises(errors.TokenInvalid):
        rig.run(rig.core.credits())
    assert len(rig.api.calls("token")) == 2  # the first token and one renewal


def test_1001_with_the_users_token_is_reported_not_replaced(user_rig: Rig) -> None:
    user_rig.api.on("credits", code(1001))
    with pytest.raises(errors.TokenInvalid) as caught:
        user_rig.run(user_rig.core.credits())
    assert user_rig.api.calls("token") == []
    assert user_rig.core.token_source == "env"
    assert USER_TOKEN not in f"{caught.value} {caught.value!r}"


def test_1002_on_upload_makes_a_new_session_and_retries(rig: Rig, tmp_path: pathlib.Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"clip-bytes")
    rig.run(rig.core.ensure_session())
    old = rig.core.session_id
    rig.api.on("upload", code(1002))
    files = rig.run(rig.core.upload([clip]))
    assert len(files) == 1
    assert rig.core.session_id != old
    first, second = rig.api.calls("upload")
    assert old in first.url.path
    assert rig.core.session_id in second.url.path
    assert second.content.count(b"clip-bytes") == 1  # the file is sent whole again


@pytest.mark.parametrize("reply", [code(1002), code(1002, 404)])
def test_1002_on_state_is_reported(rig: Rig, reply: Reply) -> None:
    rig.run(rig.core.ensure_session())
    rig.api.on("state", reply)
    with pytest.raises(errors.SessionNotFound):
        rig.run(rig.core.state())
    assert len(rig.api.calls("session")) == 1


def test_400_on_the_token_call_makes_a_new_client_id(rig: Rig, tmp_path: pathlib.Path) -> None:
    rig.api.on("token", bare(400))
    rig.run(rig.core.ensure_token())
    first, second = rig.api.calls("token")
    old, new = (r.headers[contract.HEADER_CLIENT_ID] for r in (first, second))
    assert old != new
    assert (tmp_path / "client_id").read_text().strip() == new


def test_402_is_never_retried(rig: Rig) -> None:
    rig.api.on("render", lambda r: httpx.Response(402, json={"success": False, "error": "plan"}))
    with pytest.raises(errors.PlanLimit):
        rig.run(rig.core.submit_render({"t": []}))
    assert len(rig.api.calls("render")) == 1


def test_out_of_credits_carries_the_registration_link(rig: Rig) -> None:
    rig.run(rig.core.ensure_session())
    rig.api.on("state", code(2001, 403))
    with pytest.raises(errors.OutOfCredits) as caught:
        rig.run(rig.core.state())
    assert caught.value.register_url == f"{WEB}/register?bind=anon_1"


def test_no_registration_link_for_a_registered_user(user_rig: Rig) -> None:
    user_rig.api.on(
        "session",
        ok({"task_id": "t", "session_id": "1" * 19, "user_id": "usr_9"}),
    )
    user_rig.api.on("credits", code(2001))
    user_rig.run(user_rig.core.ensure_session())
    with pytest.raises(errors.OutOfCredits) as caught:
        user_rig.run(user_rig.core.credits())
    assert caught.value.register_url is None


def test_transport_errors_become_connection_errors(user_rig: Rig) -> None:
    user_rig.api.on("credits", httpx.ConnectError("refused"))
    with pytest.raises(errors.NemoConnectionError) as caught:
        user_rig.run(user_rig.core.credits())
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert "api.nemo.test" in str(caught.value)
    assert caught.value.request is not None
    assert USER_TOKEN not in str(caught.value.request.headers)


# --- renders ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        bare(503),
        httpx.ConnectError("down"),
        lambda r: httpx.Response(200, json={"success": False, "error": "busy"}),
        lambda r: httpx.Response(200, content=b"<html>gateway</html>"),
    ],
)
def test_a_failed_render_submission_is_retried_once_with_a_new_id(rig: Rig, failure: Reply) -> None:
    rig.api.on("render", failure)
    job = rig.run(rig.core.submit_render({"t": [1]}, render_id="render_1"))
    first, second = (json.loads(r.content) for r in rig.api.calls("render"))
    assert first["id"] == "render_1"
    assert second["id"] != first["id"]
    assert second["id"].startswith("render_")
    assert job.id == second["id"]
    assert second["draft"] == {"t": [1]}
    assert second["sessionId"] == rig.core.session_id


def test_a_render_submission_failing_twice_is_reported(rig: Rig) -> None:
    rig.api.on("render", bare(500), bare(502))
    with pytest.raises(errors.ServerError) as caught:
        rig.run(rig.core.submit_render({}))
    assert caught.value.status_code == 502
    assert len(rig.api.calls("render")) == 2


def test_render_status_and_cancel(rig: Rig) -> None:
    job = rig.run(rig.core.render_status("render_7"))
    assert (job.status, job.progress) == (contract.RenderStatus.COMPLETED, 100.0)
    assert job.output_url == f"{API}/api/render/proxy/render_7/download"
    cancelled = rig.run(rig.core.cancel_render("render_7"))
    assert (cancelled.id, cancelled.status) == ("render_7", contract.RenderStatus.CANCELLED)


# --- uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["notes.txt", "clip.MP4.exe", "noextension"])
def test_unsupported_files_are_refused_before_sending(
    rig: Rig, tmp_path: pathlib.Path, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"x")
    with pytest.raises(errors.LocalUnsupportedFileType) as caught:
        rig.run(rig.core.upload([path]))
    assert caught.value.filename == str(path)
    assert name in str(caught.value)
    assert all(ext in str(caught.value) for ext in contract.ACCEPTED_EXTENSIONS)
    assert rig.api.journal == []


def test_files_over_500_mb_are_refused_before_sending(rig: Rig, tmp_path: pathlib.Path) -> None:
    ok_file, big = tmp_path / "ok.mp4", tmp_path / "big.mov"
    ok_file.write_bytes(b"x")
    with big.open("wb") as handle:
        handle.truncate(contract.MAX_UPLOAD_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(errors.LocalFileTooLarge) as caught:
        rig.run(rig.core.upload([ok_file, big]))
    assert caught.value.filename == str(big)
    assert "500 MB" in str(caught.value)
    assert rig.api.journal == []


@pytest.mark.parametrize(
    ("paths", "urls", "needle"),
    [
        (["missing.mp4"], [], "missing.mp4"),
        ([], ["ftp://x.test/a.mp4"], "ftp://"),
        ([], ["not a url"], "not a url"),
        ([], [], "nothing to upload"),
    ],
)
def test_bad_upload_input_is_named(
    rig: Rig, tmp_path: pathlib.Path, paths: list[str], urls: list[str], needle: str
) -> None:
    with pytest.raises(errors.ConfigurationError, match=re.escape(needle)):
        rig.run(rig.core.upload([tmp_path / p for p in paths], urls))
    assert rig.api.journal == []


def test_upload_files_and_urls(rig: Rig, tmp_path: pathlib.Path) -> None:
    clip, song = tmp_path / "clip.mp4", tmp_path / "song.mp3"
    clip.write_bytes(b"video-bytes")
    song.write_bytes(b"audio-bytes")
    files = rig.run(rig.core.upload([clip, song], ["https://x.test/a.png"]))
    assert len(files) == 2
    multipart, by_url = rig.api.calls("upload")
    assert multipart.content.count(b'name="files"') == 2
    assert b"video-bytes" in multipart.content
    assert b"audio-bytes" in multipart.content
    assert json.loads(by_url.content) == {"urls": ["https://x.test/a.png"], "source_type": "url"}


class CountingTransport(httpx.BaseTransport):
    """Consumes an upload's body chunk by chunk, as a socket would, keeping only sizes."""

    def __init__(self, api: FakeApi) -> None:
        self.api, self.sizes = api, []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/upload-video"):
            self.sizes = [len(chunk) for chunk in request.stream]  # type: ignore[union-attr]
            request._content = b""  # the fake API does not need the body
        return self.api.handle(request)


def test_uploads_stream_from_disk(api: FakeApi, tmp_path: pathlib.Path) -> None:
    clip = tmp_path / "long.mp4"
    clip.write_bytes(b"\x01" * (3 * 1024 * 1024))
    transport = CountingTransport(api)
    config = Config.from_env({}, api_url=API, token=USER_TOKEN)
    core = Core(config, api.clock)
    SyncDriver(httpx.Client(transport=transport), api.clock).run(core.upload([clip]))
    assert sum(transport.sizes) > 3 * 1024 * 1024
    assert max(transport.sizes) <= 64 * 1024


# --- downloads --------------------------------------------------------------------------------


def test_download_streams_to_the_file(rig: Rig, tmp_path: pathlib.Path) -> None:
    dest = tmp_path / "out.mp4"
    url = f"{API}/api/render/proxy/render_1/download"
    assert rig.run(rig.core.download(url, dest)) == dest
    assert dest.read_bytes() == rig.api.video
    assert sorted(p.name for p in tmp_path.iterdir()) == ["client_id", "out.mp4"]
    assert bearer(rig.api.calls("download")[0]) == "nmv_usr_tok1"


def test_a_downloaded_file_gets_the_mode_of_any_new_file(rig: Rig, tmp_path: pathlib.Path) -> None:
    # Written through a private temporary file (mode 0600) and then renamed into place.
    dest = tmp_path / "out.mp4"
    url = f"{API}/api/render/proxy/render_1/download"
    rig.run(rig.core.download(url, dest))
    umask = os.umask(0)
    os.umask(umask)
    assert dest.stat().st_mode & 0o777 == 0o666 & ~umask


def test_download_into_a_folder_names_the_file(rig: Rig, tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    saved = rig.run(rig.core.download("/api/render/proxy/render_9/download", folder))
    assert saved == folder / "render_9.mp4"
    assert saved.read_bytes() == rig.api.video


def test_a_broken_download_leaves_nothing(rig: Rig, tmp_path: pathlib.Path) -> None:
    rig.api.on(
        "download",
        lambda r: httpx.Response(200, stream=Chunks([b"partial" * 100], fail=True)),
    )
    dest = tmp_path / "out.mp4"
    with pytest.raises(errors.NemoConnectionError):
        rig.run(rig.core.download("/api/render/proxy/r/download", dest))
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["client_id"]


def test_a_refused_download_raises_and_writes_nothing(rig: Rig, tmp_path: pathlib.Path) -> None:
    rig.api.on("download", lambda r: httpx.Response(404, content=b"gone"))
    with pytest.raises(errors.APIError) as caught:
        rig.run(rig.core.download("/api/render/proxy/r/download", tmp_path / "o.mp4"))
    assert caught.value.status_code == 404
    assert [p.name for p in tmp_path.iterdir()] == ["client_id"]


def test_a_download_elsewhere_gets_no_token(user_rig: Rig, tmp_path: pathlib.Path) -> None:
    user_rig.api.on("download", user_rig.api.default_download)
    routes = user_rig.api.route
    user_rig.api.route = lambda request: (
        "download" if request.url.host == "cdn.test" else routes(request)
    )  # type: ignore[method-assign]
    user_rig.run(user_rig.core.download("https://cdn.test/x.mp4", tmp_path / "x.mp4"))
    (request,) = user_rig.api.calls("download")
    assert contract.HEADER_AUTHORIZATION not in request.headers


def test_download_to_a_missing_folder_is_refused_first(rig: Rig, tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.ConfigurationError, match="does not exist"):
        rig.run(rig.core.download("/api/render/proxy/r/download", tmp_path / "no" / "o.mp4"))
    assert rig.api.journal == []


# --- the turn's opening -----------------------------------------------------------------------


def open_and_close(rig: Rig, message: str = "add music") -> httpx.Response:
    def flow() -> Flow[httpx.Response]:
        response = yield from rig.core.open_turn(message)
        yield Close(response)
        return response

    return rig.run(flow())


def test_open_turn_returns_the_stream(rig: Rig) -> None:
    response = open_and_close(rig)
    assert response.headers["Content-Type"] == "text/event-stream"
    (request,) = rig.api.calls("turn")
    assert json.loads(request.content)["session_id"] == rig.core.session_id


@pytest.mark.parametrize("reply", [code(1002), code(1002, 404)])
def test_1002_before_the_stream_sends_again_on_a_new_session(rig: Rig, reply: Reply) -> None:
    rig.run(rig.core.ensure_session())
    old = rig.core.session_id
    rig.api.on("turn", reply)
    open_and_close(rig)
    first, second = (json.loads(r.content) for r in rig.api.calls("turn"))
    assert first["session_id"] == old
    assert second["session_id"] == rig.core.session_id != old


def test_429_before_the_stream_waits(rig: Rig) -> None:
    rig.api.on("turn", bare(429, **{"Retry-After": "40"}))
    open_and_close(rig)
    first, second = rig.api.times("turn")
    assert second - first >= 40


def test_1001_before_the_stream_renews_an_anonymous_token(rig: Rig) -> None:
    rig.api.on("turn", code(1001))
    open_and_close(rig)
    assert [bearer(r) for r in rig.api.calls("turn")] == ["nmv_usr_tok1", "nmv_usr_tok2"]


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (code(2001), errors.OutOfCredits),
        (code(2001, 403), errors.OutOfCredits),
        (bare(402), errors.PlanLimit),
        (bare(500), errors.ServerError),
        (ok({}), errors.UnexpectedResponse),  # a JSON success is not a stream
    ],
)
def test_other_refusals_before_the_stream_are_not_retried(
    rig: Rig, reply: Reply, cls: type[errors.NemoError]
) -> None:
    rig.api.on("turn", reply)
    with pytest.raises(cls):
        open_and_close(rig)
    assert len(rig.api.calls("turn")) == 1


def test_an_empty_message_is_refused(rig: Rig) -> None:
    with pytest.raises(errors.ConfigurationError, match="empty"):
        open_and_close(rig, "  ")
    assert rig.api.journal == []


def test_a_saved_anonymous_session_is_restored_with_its_token() -> None:
    from nemokit._models import SavedSession

    saved = SavedSession(token="nmv_usr_saved", user_id="anon_1", session_id="1" * 19, task_id="t")
    assert "nmv_usr_saved" not in repr(saved)
    core = Core(Config.from_env({}, client_id="c"), VirtualClock())
    core.restore(saved)
    assert (core.token_source, core.session_id, core.user_id) == ("anonymous", "1" * 19, "anon_1")
    assert core.saved() == saved


def test_a_users_own_token_wins_over_a_saved_one_and_is_never_saved() -> None:
    from nemokit._models import SavedSession

    core = Core(Config.from_env({}, client_id="c", token="nmv_usr_mine"), VirtualClock())
    core.restore(SavedSession(token="nmv_usr_saved", session_id="2" * 19))
    assert core.token_source == "argument"
    assert core.saved().token is None
    assert core.saved().session_id == "2" * 19
