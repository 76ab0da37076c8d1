"""Replay: round trips, the index, ordering, misses, streams at recorded pace, record modes."""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from conformance.cassettes._cassette import (
    BinaryBody,
    Cassette,
    CassetteError,
    Interaction,
    JsonBody,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
    load_cassette,
    save_cassette,
)
from conformance.cassettes._record import AsyncRecordingTransport, RecordingTransport
from conformance.cassettes._redact import find_secrets
from conformance.cassettes._replay import CassetteMiss, RecordMode, build_router
from nemokit._clock import VirtualClock
from nemokit._errors import ConfigurationError

TOKEN = "nmv_usr_Zq3kP9xY_secret"
LIVE_TOKEN = "nmv_usr_another_live_one"
SSE = {"content-type": "text/event-stream"}


# --- an in-process Starlette API to record from ------------------------------------------------


def _app(clock: VirtualClock) -> Starlette:
    polls = {"n": 0}

    async def token(request: Request) -> Response:
        return JSONResponse({"code": 0, "data": {"token": TOKEN, "user_id": "anon_1"}})

    async def status(request: Request) -> Response:
        polls["n"] += 1
        state = ["pending", "processing", "completed"][min(polls["n"], 3) - 1]
        return JSONResponse({"success": True, "data": {"status": state}})

    async def limited(request: Request) -> Response:
        return PlainTextResponse("slow down", status_code=429, headers={"Retry-After": "30"})

    async def video(request: Request) -> Response:
        return Response(b"\x00\x00\x00\x18ftypmp42", media_type="video/mp4")

    async def run_sse(request: Request) -> Response:
        body = await request.json()

        async def events() -> AsyncIterator[bytes]:
            yield b'data: {"type": "text", "content": "' + body["text"].encode() + b'"}\n\n'
            await clock.asleep(20)
            yield b": ping\n\n"
            yield b'data: {"type": "heartbeat"}\n\n'

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(
        routes=[
            Route("/token", token, methods=["POST"]),
            Route("/render/{id}", status),
            Route("/limited", limited),
            Route("/video", video),
            Route("/run_sse", run_sse, methods=["POST"]),
        ]
    )


async def _session(client: httpx.AsyncClient) -> list[Any]:
    """A run of requests; what came back, as comparable values."""
    seen: list[Any] = []
    token = (await client.post("/token")).json()["data"]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        response = await client.get("/render/r1", headers=headers)
        seen.append((response.status_code, response.json()))
    limited = await client.get("/limited")
    seen.append((limited.status_code, limited.headers["retry-after"], limited.text))
    seen.append((await client.get("/video")).content)
    async with client.stream("POST", "/run_sse", headers=headers, json={"text": "hi"}) as stream:
        seen.append([chunk async for chunk in stream.aiter_bytes()])
        seen.append(stream.headers["content-type"])
    return seen


def _sync_session(client: httpx.Client) -> list[Any]:
    seen: list[Any] = []
    token = client.post("/token").json()["data"]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        response = client.get("/render/r1", headers=headers)
        seen.append((response.status_code, response.json()))
    limited = client.get("/limited")
    seen.append((limited.status_code, limited.headers["retry-after"], limited.text))
    seen.append(client.get("/video").content)
    with client.stream("POST", "/run_sse", headers=headers, json={"text": "hi"}) as stream:
        seen.append(list(stream.iter_bytes()))
        seen.append(stream.headers["content-type"])
    return seen


def _record_app(path: pathlib.Path) -> list[Any]:
    clock = VirtualClock()
    transport = AsyncRecordingTransport(httpx.ASGITransport(app=_app(clock)), path, clock=clock)

    async def main() -> list[Any]:
        async with httpx.AsyncClient(transport=transport, base_url="http://live.test") as client:
            return await _session(client)

    seen = asyncio.run(main())
    transport.save()
    return seen


def _joined(seen: list[Any]) -> list[Any]:
    # Chunk boundaries are transport detail: compare a stream by its bytes.
    return [b"".join(item) if isinstance(item, list) else item for item in seen]


def test_a_recorded_run_replays_with_the_same_results_sync_and_async(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "app.json"
    live = _record_app(path)
    assert find_secrets(path.read_text()) == []

    router = build_router(load_cassette(path))
    replay_client = httpx.Client(transport=httpx.MockTransport(router.handler), base_url="http://x")
    replayed = _sync_session(replay_client)
    expected = _joined(live)
    assert _joined(replayed) == expected
    assert router.stats.replayed == 7
    assert router.stats.misses == 0

    async_router = build_router(path)

    async def main() -> list[Any]:
        transport = httpx.MockTransport(async_router.async_handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://y") as client:
            return await _session(client)

    assert _joined(asyncio.run(main())) == expected


def test_placeholders_match_whatever_token_the_live_request_carries() -> None:
    cassette = Cassette(
        interactions=(
            Interaction(
                RecordedRequest(
                    "POST",
                    "/claim",
                    {"ct": ["<CLAIM_1>"]},
                    {"authorization": "Bearer <TOKEN_1>"},
                    JsonBody({"token": "<TOKEN_1>", "task_id": "t1"}),
                ),
                RecordedResponse(200, body=JsonBody({"ok": True})),
            ),
        )
    )
    router = build_router(cassette)
    client = httpx.Client(transport=httpx.MockTransport(router.handler))
    response = client.post(
        "http://any.host/claim",
        params={"ct": "clm_live_claim"},
        headers={"Authorization": f"Bearer {LIVE_TOKEN}"},
        json={"task_id": "t1", "token": LIVE_TOKEN},
    )
    assert response.json() == {"ok": True}
    assert find_secrets(repr(router.log)) == []
    assert router.log[0].request.headers["authorization"] == "Bearer <TOKEN>"


# --- order, repeats and the index --------------------------------------------------------------


def _polls(*states: str) -> Cassette:
    return Cassette(
        interactions=tuple(
            Interaction(
                RecordedRequest("GET", "/render/r1"), RecordedResponse(200, body=JsonBody(s))
            )
            for s in states
        )
    )


def test_repeated_requests_get_their_answers_in_recorded_order_then_miss() -> None:
    router = build_router(_polls("pending", "processing", "completed"))
    client = httpx.Client(transport=httpx.MockTransport(router.handler))
    answers = [client.get("http://h/render/r1").json() for _ in range(3)]
    assert answers == ["pending", "processing", "completed"]
    with pytest.raises(CassetteMiss, match="already played") as caught:
        client.get("http://h/render/r1")
    assert caught.value.nearest == 0
    assert [entry.index for entry in router.log] == [0, 1, 2, None]
    assert [entry.source for entry in router.log] == ["cassette"] * 3 + ["miss"]


def test_with_repeats_allowed_the_last_answer_repeats() -> None:
    router = build_router(_polls("pending", "completed"), allow_playback_repeats=True)
    client = httpx.Client(transport=httpx.MockTransport(router.handler))
    answers = [client.get("http://h/render/r1").json() for _ in range(4)]
    assert answers == ["pending", "completed", "completed", "completed"]


def _big(size: int) -> Cassette:
    return Cassette(
        interactions=tuple(
            Interaction(
                RecordedRequest("POST", f"/p/{i % 97}", {"i": [str(i)]}, body=JsonBody({"n": i})),
                RecordedResponse(200, body=JsonBody(i)),
            )
            for i in range(size)
        )
    )


@pytest.mark.parametrize("size", [100, 10_000])
def test_the_cost_of_a_match_does_not_grow_with_the_cassette(size: int) -> None:
    router = build_router(_big(size))
    client = httpx.Client(transport=httpx.MockTransport(router.handler))
    wanted = [size - 1, 0, size // 2, 7, size - 2]
    for i in wanted:
        response = client.post(f"http://h/p/{i % 97}", params={"i": str(i)}, json={"n": i})
        assert response.json() == i
    # One candidate examined per request, whether the cassette holds 100 or 10,000 interactions.
    assert router.stats.comparisons == len(wanted)
    assert router.stats.requests == len(wanted)


# --- misses ------------------------------------------------------------------------------------


def _cassette_for_misses() -> Cassette:
    def interaction(method: str, path: str, query: dict[str, list[str]], body: Any) -> Interaction:
        return Interaction(
            RecordedRequest(method, path, query, body=JsonBody(body)), RecordedResponse(200)
        )

    return Cassette(
        interactions=(
            interaction("GET", "/api/credits", {}, None),
            interaction(
                "POST", "/api/render", {"v": ["1"]}, {"output": {"quality": "high"}, "id": "r1"}
            ),
            interaction("POST", "/api/upload", {}, {"urls": ["a"]}),
        )
    )


def _miss(**request: Any) -> CassetteMiss:
    router = build_router(_cassette_for_misses())
    client = httpx.Client(transport=httpx.MockTransport(router.handler))
    with pytest.raises(CassetteMiss) as caught:
        client.request(url="http://h" + request.pop("path"), **request)
    assert router.misses == [caught.value]
    return caught.value


def test_a_miss_names_the_nearest_request_and_the_body_key_that_differed() -> None:
    miss = _miss(
        method="POST",
        path="/api/render",
        params={"v": "1"},
        json={"output": {"quality": "low"}, "id": "r1", "token": TOKEN},
    )
    message = str(miss)
    assert "<memory>: no recorded answer for POST /api/render?v=1" in message
    assert "nearest recorded: interactions[1] POST /api/render?v=1" in message
    assert 'body key output.quality: "high" recorded, "low" sent' in message
    assert "body key token only sent" in message
    assert find_secrets(message) == []
    assert (
        httpx.TransportError not in type(miss).__mro__
    )  # a client's network handling can't eat it


def test_a_miss_names_a_differing_query_key_and_prefers_the_same_path() -> None:
    miss = _miss(method="POST", path="/api/render", params={"v": "2"}, json={"urls": ["a"]})
    assert miss.nearest == 1  # same method and path beats the identical body on another path
    assert 'query key \'v\': ["1"] recorded, ["2"] sent' in str(miss)


def test_a_miss_on_another_method_or_path_says_so() -> None:
    miss = _miss(method="DELETE", path="/api/credits")
    assert "method GET recorded, DELETE sent" in str(miss)
    miss = _miss(method="GET", path="/api/credit")
    assert "path /api/credits recorded, /api/credit sent" in str(miss)


def test_a_miss_on_an_empty_cassette_says_it_is_empty() -> None:
    router = build_router(Cassette())
    with pytest.raises(CassetteMiss, match="the cassette holds no interactions"):
        httpx.Client(transport=httpx.MockTransport(router.handler)).get("http://h/x")


# --- streams -----------------------------------------------------------------------------------


def _stream_cassette(*, cut: bool = False) -> Cassette:
    events = (
        StreamEvent(1.0, "data: one\n\n"),
        StreamEvent(21.0, ": ping\n\n"),
        StreamEvent(30.0, "data: two\n\n"),
    )
    response = RecordedResponse(200, SSE, events=events, cut=cut)
    return Cassette(interactions=(Interaction(RecordedRequest("POST", "/run_sse"), response),))


def test_recorded_timing_delivers_each_event_at_its_time_on_the_clock() -> None:
    clock = VirtualClock()
    router = build_router(_stream_cassette(), timing="recorded", clock=clock)
    client = httpx.Client(transport=httpx.MockTransport(router.handler))
    seen = []
    with client.stream("POST", "http://h/run_sse") as response:
        for chunk in response.iter_raw():
            seen.append((clock.now(), chunk))
    # The first event was readable at t=1, long before the last one was due.
    assert seen == [(1.0, b"data: one\n\n"), (21.0, b": ping\n\n"), (30.0, b"data: two\n\n")]


def test_scaled_and_instant_timing() -> None:
    clock = VirtualClock()
    router = build_router(_stream_cassette(), timing=0.5, clock=clock)
    httpx.Client(transport=httpx.MockTransport(router.handler)).post("http://h/run_sse").read()
    assert clock.now() == 15.0
    instant = build_router(_stream_cassette(), clock=clock)
    httpx.Client(transport=httpx.MockTransport(instant.handler)).post("http://h/run_sse").read()
    assert clock.now() == 15.0


def test_async_replay_waits_with_asleep() -> None:
    clock = VirtualClock()
    router = build_router(_stream_cassette(), timing="recorded", clock=clock)

    async def main() -> list[float]:
        times = []
        transport = httpx.MockTransport(router.async_handler)
        async with (
            httpx.AsyncClient(transport=transport) as client,
            client.stream("POST", "http://h/run_sse") as response,
        ):
            async for _ in response.aiter_raw():
                times.append(clock.now())
        return times

    assert asyncio.run(main()) == [1.0, 21.0, 30.0]


def test_a_cut_stream_replays_its_events_then_breaks() -> None:
    router = build_router(_stream_cassette(cut=True))
    client = httpx.Client(transport=httpx.MockTransport(router.handler))
    chunks: list[bytes] = []
    with (
        pytest.raises(httpx.RemoteProtocolError, match="recorded stream was cut"),
        client.stream("POST", "http://h/run_sse") as response,
    ):
        chunks.extend(response.iter_raw())
    assert chunks == [b"data: one\n\n", b": ping\n\n", b"data: two\n\n"]


def test_a_binary_body_too_big_to_keep_replays_empty_and_says_so() -> None:
    response = RecordedResponse(200, {"content-type": "video/mp4"}, BinaryBody(10**8, "ab" * 32))
    router = build_router(
        Cassette(interactions=(Interaction(RecordedRequest("GET", "/v"), response),))
    )
    got = httpx.Client(transport=httpx.MockTransport(router.handler)).get("http://h/v")
    assert got.content == b""
    assert got.headers["x-cassette-body-omitted"] == f"100000000 bytes, sha256 {'ab' * 32}"


# --- record modes ------------------------------------------------------------------------------


class Live:
    """A real transport stand-in that counts what reaches it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return httpx.Response(200, json={"live": request.url.path, "token": TOKEN})

    def sse(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)

        def body() -> Iterator[bytes]:
            yield b"data: live\n\n"

        return httpx.Response(200, headers=SSE, content=body())


def _client(router: Any) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(router.handler), base_url="http://h")


def test_mode_none_replays_only_and_needs_the_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(CassetteError, match="no such cassette"):
        build_router(tmp_path / "absent.json")
    save_cassette(_polls("pending"), tmp_path / "c.json")
    router = build_router(
        tmp_path / "c.json", mode="none", real=httpx.MockTransport(Live().handler)
    )
    with pytest.raises(CassetteMiss):
        _client(router).get("/elsewhere")


def test_mode_once_records_when_there_is_no_file_then_only_replays(tmp_path: pathlib.Path) -> None:
    path, live = tmp_path / "once.json", Live()
    real = httpx.MockTransport(live.handler)
    first = build_router(path, mode=RecordMode.ONCE, real=real)
    assert _client(first).get("/a").json()["live"] == "/a"
    assert first.save() == path
    assert find_secrets(path.read_text()) == []

    second = build_router(path, mode="once", real=real)
    assert _client(second).get("/a").json() == {"live": "/a", "token": "<TOKEN_1>"}
    with pytest.raises(CassetteMiss):
        _client(second).get("/b")
    assert live.paths == ["/a"]
    assert second.save() is None  # nothing recorded, nothing written


def test_mode_new_episodes_replays_hits_and_records_misses(tmp_path: pathlib.Path) -> None:
    path, live = tmp_path / "episodes.json", Live()
    save_cassette(
        Cassette(
            interactions=(
                Interaction(
                    RecordedRequest("GET", "/old", headers={"authorization": "Bearer <TOKEN_1>"}),
                    RecordedResponse(200, body=JsonBody("old")),
                ),
            )
        ),
        path,
    )
    router = build_router(path, mode="new_episodes", real=httpx.MockTransport(live.handler))
    client = _client(router)
    assert client.get("/old").json() == "old"
    assert client.get("/new").json()["token"] == TOKEN
    assert client.get("/old").json()["live"] == "/old"  # used up: goes live, like VCR.py
    assert live.paths == ["/new", "/old"]
    router.save()
    saved = load_cassette(path)
    assert [i.request.path for i in saved.interactions] == ["/old", "/new", "/old"]
    # New secrets continue the numbering instead of reusing <TOKEN_1>.
    assert saved.interactions[1].response.body == JsonBody({"live": "/new", "token": "<TOKEN_2>"})
    assert [e.source for e in router.log] == ["cassette", "live", "live"]


def test_mode_all_never_replays_and_saves_only_this_run(tmp_path: pathlib.Path) -> None:
    path, live = tmp_path / "all.json", Live()
    save_cassette(replace(_polls("stale"), scenario="poll"), path)
    router = build_router(path, mode="ALL", real=httpx.MockTransport(live.sse))
    with _client(router).stream("GET", "/render/r1") as response:
        assert response.read() == b"data: live\n\n"
    router.save()
    saved = load_cassette(path)
    assert live.paths == ["/render/r1"]
    assert saved.scenario == "poll"  # metadata kept, interactions replaced
    assert len(saved.interactions) == 1
    assert [e.raw for e in saved.interactions[0].response.events or ()] == ["data: live\n\n"]


def test_new_episodes_with_an_async_real_transport(tmp_path: pathlib.Path) -> None:
    clock = VirtualClock()
    router = build_router(
        tmp_path / "async.json",
        mode="new_episodes",
        real=httpx.ASGITransport(app=_app(clock)),
        clock=clock,
    )

    async def main() -> Any:
        transport = httpx.MockTransport(router.async_handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://h") as client:
            return (await client.post("/token")).json()

    assert asyncio.run(main())["data"]["token"] == TOKEN
    assert router.save() is not None
    assert find_secrets((tmp_path / "async.json").read_text()) == []


def test_modes_and_timings_are_validated_loudly(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ConfigurationError, match="use one of none, once, new_episodes, all"):
        build_router(Cassette(), mode="sometimes")
    with pytest.raises(ConfigurationError, match="needs a real transport"):
        build_router(tmp_path / "x.json", mode="once")
    with pytest.raises(ConfigurationError, match="unknown timing"):
        build_router(Cassette(), timing="fast")  # type: ignore[arg-type]
    assert RecordMode.parse("New_Episodes") is RecordMode.NEW_EPISODES


# --- against the real mock, when it is importable ----------------------------------------------


def test_a_session_against_the_mock_replays_identically(tmp_path: pathlib.Path) -> None:
    app_module = pytest.importorskip("mockserver.http._app")
    clock = VirtualClock()
    real = httpx.ASGITransport(app=app_module.create_app(clock=clock))
    recording = AsyncRecordingTransport(real, tmp_path / "mock.json", clock=clock)

    async def session(transport: httpx.AsyncBaseTransport) -> list[Any]:
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            auth = await client.post(
                "/api/auth/anonymous-token", headers={"X-Client-Id": "client-0001"}
            )
            headers = {"Authorization": f"Bearer {auth.json()['data']['token']}"}
            credits = await client.get("/api/credits/balance/simple", headers=headers)
            return [auth.status_code, credits.status_code, credits.json()]

    live = asyncio.run(session(recording))
    recording.save()
    assert find_secrets((tmp_path / "mock.json").read_text()) == []
    router = build_router(tmp_path / "mock.json")
    assert asyncio.run(session(httpx.MockTransport(router.async_handler))) == live


def test_recording_transport_and_router_agree_on_sync_streams(tmp_path: pathlib.Path) -> None:
    live = Live()
    recording = RecordingTransport(httpx.MockTransport(live.sse), tmp_path / "s.json")
    with httpx.Client(transport=recording).stream("POST", "http://h/run_sse") as response:
        recorded = list(response.iter_raw())
    router = build_router(recording.cassette)
    with _client(router).stream("POST", "/run_sse") as response:
        assert list(response.iter_raw()) == recorded
