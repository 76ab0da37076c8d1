"""``Nemo``: each endpoint through the sync driver, settings, docs, and no token anywhere shown."""

from __future__ import annotations

import json
import pathlib
import pydoc

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

# The scripted API is shared with the Core tests (tests/ is on sys.path under pytest).
from test_core import API, WEB, FakeApi, bare, code

from nemokit import _errors as errors
from nemokit import contract
from nemokit._client import Nemo
from nemokit._clock import SystemClock, VirtualClock
from nemokit._models import Credits, RenderJob, SessionInfo, SessionState, UploadedFile


def client(api: FakeApi, tmp_path: pathlib.Path, **kwargs: object) -> Nemo:
    return Nemo(
        api_url=API,
        web_url=WEB,
        client_id_path=tmp_path / "client_id",
        transport=httpx.MockTransport(api.handle),
        clock=api.clock,
        env={},
        **kwargs,  # type: ignore[arg-type]
    )


def test_every_endpoint(tmp_path: pathlib.Path) -> None:
    api = FakeApi()
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"clip")
    with client(api, tmp_path) as nemo:
        session = nemo.connect("en")
        assert isinstance(session, SessionInfo)
        assert nemo.core.session_id == session.session_id
        assert isinstance(nemo.credits(), Credits)
        assert isinstance(nemo.state(), SessionState)
        (uploaded,) = nemo.upload(clip)
        assert isinstance(uploaded, UploadedFile)
        assert len(nemo.upload(urls=["https://x.test/a.png"])) == 1
        job = nemo.submit_render(nemo.state().draft)
        assert isinstance(job, RenderJob)
        done = nemo.render_status(job.id)
        assert done.output_url is not None
        saved = nemo.download(done.output_url, tmp_path / "out.mp4")
        assert saved.read_bytes() == api.video
        assert nemo.claim_link().startswith(f"{WEB}/workspace/claim?ct=")
        assert nemo.cancel_render(job.id).status is contract.RenderStatus.CANCELLED
        assert nemo.new_session().session_id != session.session_id
        assert nemo.anonymous_token().user_id == "anon_1"
    assert nemo.http.is_closed


def test_rate_limit_waits_on_the_clients_clock(tmp_path: pathlib.Path) -> None:
    api = FakeApi()
    api.on("credits", bare(429))
    with client(api, tmp_path) as nemo:
        nemo.credits()
    assert api.clock.now() >= contract.RATE_LIMIT_WAIT
    assert len(api.calls("credits")) == 2


def test_settings_come_from_the_given_environment(tmp_path: pathlib.Path) -> None:
    api = FakeApi()
    env = {contract.ENV_TOKEN: "nmv_usr_envtoken1", contract.ENV_SKILL_SOURCE: "clawhub"}
    with Nemo(transport=httpx.MockTransport(api.handle), clock=api.clock, env=env) as nemo:
        assert nemo.config.api_url == contract.DEFAULT_API_URL
        nemo.credits()
    (request,) = api.calls("credits")
    assert request.headers[contract.HEADER_AUTHORIZATION] == "Bearer nmv_usr_envtoken1"
    assert request.headers[contract.HEADER_SKILL_PLATFORM] == "clawhub"
    assert nemo.core.token_source == "env"


def test_bad_settings_fail_at_construction() -> None:
    with pytest.raises(errors.ConfigurationError, match=contract.ENV_API_URL):
        Nemo(env={contract.ENV_API_URL: "mega-api"})


def test_the_default_clock_is_real_time() -> None:
    with Nemo(token="nmv_usr_x1", env={}) as nemo:
        assert isinstance(nemo.clock, SystemClock)
        assert nemo.driver.clock is nemo.clock


def test_help_reads_as_documentation() -> None:
    text = pydoc.render_doc(Nemo, renderer=pydoc.plaintext)
    for needle in [
        "synchronous client",
        "NEMO_TOKEN",
        ":param transport:",
        "connect(self, language",
        "open a session",
        "Upload local files",
        "credit balance",
        "Start exporting",
        "output URL",
        "only when complete",
    ]:
        assert needle in text, needle


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=6, max_size=30))
def test_the_token_is_never_shown(suffix: str) -> None:
    token = contract.TOKEN_PREFIX + suffix
    api = FakeApi(clock=VirtualClock())
    api.on("credits", code(1001))
    api.on("state", code(2001), httpx.ConnectError("down"))
    nemo = Nemo(token, api_url=API, transport=httpx.MockTransport(api.handle), clock=api.clock)
    shown = [repr(nemo), str(nemo), repr(nemo.core), repr(nemo.config)]
    for call in (nemo.credits, nemo.state, nemo.state):
        with pytest.raises(errors.NemoError) as caught:
            call()
        error = caught.value
        request = getattr(error, "request", None)
        shown += [str(error), repr(error), str(request.headers if request else "")]
    nemo.close()
    assert all(token not in text for text in shown)
    assert len(api.journal) >= 3


def test_render_ids_come_from_the_given_factory() -> None:
    ids = iter(["render_1", "render_2"])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body["id"])
        data = {"id": body["id"], "status": "pending", "progress": 0}
        return httpx.Response(200, json={"success": True, "data": data})

    with Nemo(
        token="nmv_usr_given",
        transport=httpx.MockTransport(handler),
        clock=VirtualClock(),
        client_id="c",
        env={},
        render_ids=lambda: next(ids),
    ) as nemo:
        nemo.core.session_id = "1" * 19
        job = nemo.submit_render({"t": []})
    assert job.id == "render_1"
    assert seen == ["render_1"]
