"""``AsyncNemo``: the same Core flows driven with ``await`` (the rules hold on either driver)."""

from __future__ import annotations

import asyncio
import json
import pathlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

# The scripted API is shared with the Core tests (tests/ is on sys.path under pytest).
from test_core import API, WEB, Chunks, FakeApi, bare, code

from nemokit import _errors as errors
from nemokit import contract
from nemokit._async_client import AsyncNemo
from nemokit._clock import SystemClock
from nemokit._flow import Close, Flow

T = TypeVar("T")


def run(api: FakeApi, tmp_path: pathlib.Path, body: Callable[[AsyncNemo], Awaitable[T]]) -> T:
    async def main() -> T:
        async with AsyncNemo(
            api_url=API,
            web_url=WEB,
            client_id_path=tmp_path / "client_id",
            transport=httpx.MockTransport(api.handle),
            clock=api.clock,
            env={},
        ) as nemo:
            result = await body(nemo)
        assert nemo.http.is_closed
        return result

    return asyncio.run(main())


def test_every_endpoint(tmp_path: pathlib.Path) -> None:
    api = FakeApi()
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"clip")

    async def body(nemo: AsyncNemo) -> None:
        session = await nemo.connect()
        assert (await nemo.credits()).total == 100
        assert (await nemo.state()).session_id == session.session_id
        assert len(await nemo.upload(clip, urls=["https://x.test/a.png"])) == 2
        job = await nemo.submit_render({"t": []})
        done = await nemo.render_status(job.id)
        assert done.output_url is not None
        saved = await nemo.download(done.output_url, tmp_path / "out.mp4")
        assert saved.read_bytes() == api.video
        assert (await nemo.claim_link()).startswith(f"{WEB}/workspace/claim?ct=")
        assert (await nemo.cancel_render(job.id)).status is contract.RenderStatus.CANCELLED
        assert (await nemo.new_session()).session_id != session.session_id
        assert (await nemo.anonymous_token()).credits == 100

    run(api, tmp_path, body)


def test_429_is_retried_once_in_virtual_time(tmp_path: pathlib.Path) -> None:
    api = FakeApi()
    api.on("credits", bare(429, **{"Retry-After": "61"}), bare(429), bare(429))

    async def body(nemo: AsyncNemo) -> None:
        with pytest.raises(errors.RateLimited):
            await nemo.credits()

    run(api, tmp_path, body)
    first, second = api.times("credits")
    assert second - first >= 61


def test_1001_renews_an_anonymous_token(tmp_path: pathlib.Path) -> None:
    api = FakeApi()
    api.on("state", code(1001, 401))

    async def body(nemo: AsyncNemo) -> Any:
        return await nemo.state()

    run(api, tmp_path, body)
    first, second = api.calls("token")
    assert first.headers[contract.HEADER_CLIENT_ID] == second.headers[contract.HEADER_CLIENT_ID]
    assert len(api.calls("state")) == 2


def test_a_failed_render_submission_gets_a_new_id(tmp_path: pathlib.Path) -> None:
    api = FakeApi()
    api.on("render", httpx.ReadTimeout("slow"))

    async def body(nemo: AsyncNemo) -> Any:
        return await nemo.submit_render({"t": []}, render_id="render_1")

    job = run(api, tmp_path, body)
    ids = [json.loads(r.content)["id"] for r in api.calls("render")]
    assert ids[0] == "render_1"
    assert ids[1] != "render_1"
    assert job.id == ids[1]


def test_a_broken_download_leaves_nothing(tmp_path: pathlib.Path) -> None:
    api = FakeApi()
    api.on("download", lambda r: httpx.Response(200, stream=Chunks([b"x" * 1000], fail=True)))

    async def body(nemo: AsyncNemo) -> None:
        with pytest.raises(errors.NemoConnectionError):
            await nemo.download("/api/render/proxy/r/download", tmp_path / "out.mp4")

    run(api, tmp_path, body)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["client_id"]


def test_1002_before_the_stream_is_retried_on_a_new_session(tmp_path: pathlib.Path) -> None:
    api = FakeApi()
    api.on("turn", code(1002))

    async def body(nemo: AsyncNemo) -> httpx.Response:
        def flow() -> Flow[httpx.Response]:
            response = yield from nemo.core.open_turn("hello")
            yield Close(response)
            return response

        return await nemo.driver.run(flow())

    response = run(api, tmp_path, body)
    assert response.headers["Content-Type"] == "text/event-stream"
    first, second = (json.loads(r.content)["session_id"] for r in api.calls("turn"))
    assert first != second
    assert len(api.calls("session")) == 2


def test_repr_and_defaults() -> None:
    async def main() -> None:
        async with AsyncNemo("nmv_usr_secret42", env={}) as nemo:
            assert "nmv_usr_secret42" not in repr(nemo)
            assert isinstance(nemo.clock, SystemClock)

    asyncio.run(main())
