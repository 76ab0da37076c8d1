"""The export workflow against a small stateful fake of the API, in virtual time.

``FakeAPI`` is an ``httpx.MockTransport`` handler that speaks the contract's wire format and
journals every request with the virtual time it arrived, so "polled every 30 s, at most 10 times"
is arithmetic on the journal. ``test_conversation`` reuses it.
"""

from __future__ import annotations

import copy
import itertools
import json
import pathlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from nemokit import contract
from nemokit._client import Nemo
from nemokit._clock import VirtualClock
from nemokit._export import ExportPolicy, ExportResult, export
from nemokit._views import Problem, Progress, VideoReady, View

API = "https://api.nemo.test"
WEB = "https://web.nemo.test"
TOKEN = "nmv_usr_secret-test-token-0123456789"  # the user's own (registered) token
ANON_TOKEN = "nmv_usr_anonymous-token-9876543210"
CLAIM = "clm_claimtoken123"
SESSION_ID = "1234567890123456789"
VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42fake-video"

READY_DRAFT: dict[str, Any] = {
    "t": [
        {
            "tt": 0,
            "name": "Video",
            "sg": [{"id": "sg_1", "start": 0, "duration": 10000, "source": "city timelapse"}],
        },
        {
            "tt": 1,
            "name": "BGM",
            "sg": [
                {"id": "sg_2", "start": 0, "duration": 10000, "source": "Lo-fi", "volume": 0.35}
            ],
        },
    ],
    "d": 10000,
    "m": {"title": "Urban Dreams", "width": 1920, "height": 1080},
}
EMPTY_DRAFT: dict[str, Any] = {"t": [{"tt": 0, "sg": []}], "d": 0, "m": {}}


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that streams (``content=bytes`` would be read at once and cannot be streamed)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        yield self.body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body


def envelope(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"code": 0, "message": "success", "data": data})


def business_error(code: int, message: str) -> httpx.Response:
    return httpx.Response(200, json={"code": code, "message": message, "data": None})


@dataclass
class Render:
    id: str
    started: float
    status: str | None = None  # a forced status ("failed", "cancelled")


@dataclass
class FakeAPI:
    """The contract's endpoints, enough of them for exports and conversations."""

    clock: VirtualClock
    draft: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(READY_DRAFT))
    render_seconds: float = 75.0
    render_status: str | None = None  # force every render to end this way
    #: What the agent streams for a message: a list of SSE event payloads (ADK dialect).
    agent: Callable[[str], list[dict[str, Any]]] | None = None
    #: Path → responses served (in order) before the normal behaviour, e.g. an error.
    faults: dict[str, list[httpx.Response]] = field(default_factory=dict)
    journal: list[tuple[float, httpx.Request]] = field(default_factory=list)
    renders: dict[str, Render] = field(default_factory=dict)
    credits: tuple[int, int] = (87, 13)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def client(self, **kwargs: Any) -> Nemo:
        kwargs.setdefault("token", TOKEN)
        kwargs.setdefault("client_id", "test-client")
        kwargs.setdefault("env", {})  # hermetic: no NEMO_* from the machine running the tests
        return Nemo(
            api_url=API, web_url=WEB, transport=self.transport(), clock=self.clock, **kwargs
        )

    # --- journal queries --------------------------------------------------------------------

    def calls(self, method: str, prefix: str) -> list[tuple[float, httpx.Request]]:
        return [
            (t, r) for t, r in self.journal if r.method == method and r.url.path.startswith(prefix)
        ]

    def submits(self) -> list[tuple[float, httpx.Request]]:
        return [
            (t, r)
            for t, r in self.calls("POST", contract.PATH_RENDER)
            if r.url.path == contract.PATH_RENDER
        ]

    def polls(self) -> list[float]:
        return [t for t, _ in self.calls("GET", contract.PATH_RENDER + "/")]

    def turns(self) -> list[str]:
        return [
            json.loads(r.content)["new_message"]["parts"][0]["text"]
            for _, r in self.calls("POST", contract.PATH_RUN_SSE)
        ]

    # --- the endpoints ----------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.journal.append((self.clock.now(), request))
        path = request.url.path
        queued = self.faults.get(path)
        if queued:
            return queued.pop(0)
        if path == contract.PATH_ANONYMOUS_TOKEN:
            return envelope(
                {
                    "token": ANON_TOKEN,
                    "user_id": "anon_42",
                    "expires_at": "2026-01-08T00:00:00Z",
                    "credits": 100,
                }
            )
        if path == contract.PATH_SESSION:
            anonymous = request.headers.get("authorization") == f"Bearer {ANON_TOKEN}"
            user = "anon_42" if anonymous else "user_7"
            return envelope({"task_id": "task_1", "session_id": SESSION_ID, "user_id": user})
        if path == contract.PATH_CLAIM_TOKEN:
            return envelope({"claim_token": CLAIM, "expires_in": contract.CLAIM_TOKEN_TTL})
        if path == contract.PATH_STATE.format(sid=SESSION_ID):
            state = {"draft": self.draft, "video_infos": [], "canvas_config": {}}
            return envelope({"session_id": SESSION_ID, "task_id": "task_1", "state": state})
        if path == contract.PATH_CREDITS:
            available, frozen = self.credits
            return envelope({"available": available, "frozen": frozen, "total": available + frozen})
        if path == contract.PATH_UPLOAD.format(sid=SESSION_ID):
            return self._upload(request)
        if path == contract.PATH_RUN_SSE:
            return self._turn(request)
        if path == contract.PATH_RENDER and request.method == "POST":
            return self._submit(request)
        if path.startswith(contract.PATH_RENDER + "/"):
            return self._status(path.rsplit("/", 1)[-1])
        if path.endswith("/download"):
            return httpx.Response(
                200, stream=Body(VIDEO_BYTES), headers={"content-type": "video/mp4"}
            )
        return httpx.Response(404, json={"code": 404, "message": f"no route {path}", "data": None})

    def _submit(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        job = self.renders.setdefault(body["id"], Render(body["id"], self.clock.now()))
        return httpx.Response(
            200, json={"success": True, "data": {"id": job.id, "status": "pending", "progress": 0}}
        )

    def _status(self, render_id: str) -> httpx.Response:
        job = self.renders.get(render_id)
        if job is None:
            return httpx.Response(404, json={"success": False, "error": "render not found"})
        elapsed = self.clock.now() - job.started
        done = elapsed >= self.render_seconds
        status = (self.render_status or "completed") if done else "processing"
        progress = 100 if done else int(100 * elapsed / self.render_seconds)
        url = f"{API}/api/render/proxy/{job.id}/download" if status == "completed" else None
        return httpx.Response(
            200,
            json={
                "success": True,
                "taskId": job.id,
                "status": status,
                "progress": progress,
                "output": {"url": url, "duration": 10, "size": len(VIDEO_BYTES)},
                "data": {"id": job.id, "status": status, "progress": progress, "outputUrl": url},
            },
        )

    def _upload(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("content-type", "").startswith("application/json"):
            urls = json.loads(request.content)["urls"]
            names = [u.rsplit("/", 1)[-1] for u in urls]
        else:
            names = [
                part.split(b'filename="', 1)[1].split(b'"', 1)[0].decode()
                for part in request.content.split(b"\r\n\r\n")[0:-1]
                if b'filename="' in part
            ]
        files = [
            {
                "filename": n,
                "file_type": contract.file_type_of(n) or "video",
                "cdn_url": f"https://cdn.nemo.test/{n}",
                "duration": 12.0,
            }
            for n in names
        ]
        self.draft["t"][0]["sg"].append({"id": "sg_up", "start": 0, "duration": 12000})
        return envelope({"files": files, "session_state_applied": True})

    def _turn(self, request: httpx.Request) -> httpx.Response:
        message = json.loads(request.content)["new_message"]["parts"][0]["text"]
        events = self.agent(message) if self.agent else [adk_text(f"Done: {message}.")]
        body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
        return httpx.Response(200, stream=Body(body), headers={"content-type": "text/event-stream"})


def adk_text(text: str) -> dict[str, Any]:
    return {"content": {"parts": [{"text": text}], "role": "model"}, "author": "nemo_agent"}


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def api(clock: VirtualClock) -> FakeAPI:
    return FakeAPI(clock)


@pytest.fixture
def nemo(api: FakeAPI) -> Iterator[Nemo]:
    with api.client() as client:
        yield client


def run(nemo: Nemo, **kwargs: Any) -> tuple[ExportResult, list[View]]:
    """Connect, then drive one export; its result and every view it showed."""
    nemo.driver.run(nemo.core.ensure_session())
    views: list[View] = []
    result = nemo.driver.run(export(nemo.core, **kwargs), views.append)
    return result, views


# --- the happy path ---------------------------------------------------------------------------


def test_export_renders_polls_and_reports_the_video(api: FakeAPI, nemo: Nemo) -> None:
    result, views = run(nemo)

    assert result.outcome == "completed"
    assert result.url == f"{API}/api/render/proxy/{result.render_id}/download"
    assert result.project_url == f"{WEB}/workspace/claim?ct={CLAIM}"
    assert len(api.submits()) == 1
    sent = json.loads(api.submits()[0][1].content)
    assert sent["sessionId"] == SESSION_ID
    assert sent["draft"] == READY_DRAFT
    assert views[0] == Progress("⏳ Rendering ~30s", stage="rendering")
    assert views[-1] == VideoReady(
        "✅ Video ready!", url=result.url, path=None, project_url=result.project_url
    )
    assert [v for v in views if isinstance(v, Problem)] == []


def test_progress_is_shown_when_it_changes(api: FakeAPI, nemo: Nemo) -> None:
    _, views = run(nemo)

    percents = [v.percent for v in views if isinstance(v, Progress) and v.percent is not None]
    # 75 s render polled at 30 s and 60 s: 40 % then 80 %, then completed at 90 s.
    assert percents == [40, 80]
    assert [v.text for v in views if isinstance(v, Progress)][1:] == ["⏳ 40%", "⏳ 80%"]
    assert all(v.stage == "rendering" for v in views if isinstance(v, Progress))


def test_polls_are_thirty_virtual_seconds_apart(api: FakeAPI, nemo: Nemo) -> None:
    run(nemo)

    submitted = api.submits()[0][0]
    times = [submitted, *api.polls()]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(api.polls()) == 3
    assert all(gap >= contract.RENDER_POLL_INTERVAL for gap in gaps)


def test_unchanged_progress_is_not_repeated(api: FakeAPI, nemo: Nemo) -> None:
    api.render_seconds = 10_000  # progress rounds to the same percent for several polls
    _, views = run(nemo, policy=ExportPolicy(max_polls=4))

    percents = [v.percent for v in views if isinstance(v, Progress) and v.percent is not None]
    assert len(percents) == len(set(percents))


def test_download_saves_the_video(api: FakeAPI, nemo: Nemo, tmp_path: pathlib.Path) -> None:
    dest = tmp_path / "out.mp4"
    result, views = run(nemo, dest=dest)

    assert result.outcome == "completed"
    assert result.path is not None
    assert pathlib.Path(result.path).read_bytes() == VIDEO_BYTES
    assert isinstance(views[-1], VideoReady)
    assert views[-1].path == result.path


def test_on_submitted_gets_the_render_id_before_polling(api: FakeAPI, nemo: Nemo) -> None:
    seen: list[tuple[str, int]] = []
    result, _ = run(nemo, on_submitted=lambda rid: seen.append((rid, len(api.polls()))))

    assert seen == [(result.render_id, 0)]
    assert result.render_id in api.renders


def test_a_missing_project_link_does_not_fail_the_export(api: FakeAPI, nemo: Nemo) -> None:
    api.faults[contract.PATH_CLAIM_TOKEN] = [httpx.Response(500, text="boom")] * 3
    result, views = run(nemo)

    assert result.outcome == "completed"
    assert result.project_url is None
    assert isinstance(views[-1], VideoReady)
    assert views[-1].project_url is None


# --- when it does not work --------------------------------------------------------------------


def test_an_empty_draft_sends_no_render_request(api: FakeAPI, nemo: Nemo) -> None:
    api.draft = copy.deepcopy(EMPTY_DRAFT)
    result, views = run(nemo)

    assert result == ExportResult("not_ready")
    assert api.submits() == []
    assert api.polls() == []
    assert len(views) == 1
    assert isinstance(views[0], Problem)
    assert views[0].text.startswith("Nothing to export yet: upload a clip or ask for an edit first")


@pytest.mark.parametrize("status", ["failed", "cancelled"])
def test_a_failed_render_is_a_problem(api: FakeAPI, nemo: Nemo, status: str) -> None:
    api.render_status = status
    result, views = run(nemo)

    assert result.outcome == "failed"
    assert result.render_id is not None
    problem = views[-1]
    assert isinstance(problem, Problem)
    assert result.render_id in problem.text
    assert problem.retryable
    assert not any(isinstance(v, VideoReady) for v in views)
    assert len(api.submits()) == 1  # never re-submitted on its own


def test_ten_polls_without_completion_time_out_with_the_render_id(api: FakeAPI, nemo: Nemo) -> None:
    api.render_seconds = 100_000
    result, views = run(nemo)

    assert result.outcome == "timed_out"
    assert result.render_id is not None
    assert len(api.polls()) == contract.MAX_RENDER_POLLS
    problem = views[-1]
    assert isinstance(problem, Problem)
    assert "still rendering" in problem.text
    assert result.render_id in problem.text


def test_resume_polls_the_job_without_submitting(api: FakeAPI, nemo: Nemo) -> None:
    first, _ = run(nemo, policy=ExportPolicy(max_polls=1))
    assert first.outcome == "timed_out"
    assert first.render_id is not None

    resumed, views = run(nemo, render_id=first.render_id)

    assert resumed.outcome == "completed"
    assert resumed.render_id == first.render_id
    assert len(api.submits()) == 1
    assert isinstance(views[-1], VideoReady)


def test_resume_of_a_finished_job_polls_once_at_once(api: FakeAPI, nemo: Nemo) -> None:
    first, _ = run(nemo, policy=ExportPolicy(max_polls=1))
    assert first.render_id is not None
    api.clock.advance(1000)
    before = api.clock.now()
    polls = len(api.polls())

    result, _ = run(nemo, render_id=first.render_id)

    assert result.outcome == "completed"
    assert len(api.polls()) == polls + 1
    assert api.polls()[-1] == before


def test_plan_limit_is_reported_and_never_retried(api: FakeAPI, nemo: Nemo) -> None:
    api.faults[contract.PATH_RENDER] = [
        httpx.Response(402, json={"success": False, "error": "free plan export blocked"})
    ]
    result, views = run(nemo)

    assert result.outcome == "blocked"
    assert len(api.submits()) == 1
    problem = views[-1]
    assert isinstance(problem, Problem)
    assert problem.code == 402
    assert "plan" in problem.text
    assert "not a credit" in problem.text


def test_a_lost_connection_while_polling_keeps_the_render_id(api: FakeAPI, nemo: Nemo) -> None:
    ids: list[str] = []

    def drop_polls(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.startswith(contract.PATH_RENDER + "/"):
            raise httpx.ConnectError("network down", request=request)
        return api.handle(request)

    with Nemo(
        token=TOKEN,
        api_url=API,
        transport=httpx.MockTransport(drop_polls),
        clock=api.clock,
        client_id="test-client",
        env={},
    ) as client:
        result, views = run(client, on_submitted=ids.append)

    assert result.outcome == "error"
    assert result.render_id == ids[0]
    assert isinstance(views[-1], Problem)
    assert views[-1].retryable


def test_no_view_contains_a_token(api: FakeAPI, nemo: Nemo) -> None:
    _, views = run(nemo)
    assert views
    for view in views:
        assert TOKEN not in repr(view)
        assert CLAIM not in view.text  # the claim token only travels inside the project link


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_polls"):
        ExportPolicy(max_polls=0)
    with pytest.raises(ValueError, match="poll_interval"):
        ExportPolicy(poll_interval=-1)
