"""In-process transports stream: chunks arrive as sent, disconnects reach the app, cuts break."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from mockserver import AsyncStreamingTransport, StreamingTransport
from nemokit._clock import VirtualClock

URL = "http://mock"


@dataclass
class Probe:
    """What the app did, seen from the test."""

    clock: VirtualClock = field(default_factory=VirtualClock)
    produced: list[int] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    closed: threading.Event = field(default_factory=threading.Event)
    go_on: threading.Event = field(default_factory=threading.Event)
    waited: list[bool] = field(default_factory=list)
    uploaded: list[int] = field(default_factory=list)
    client_sent: int = 0
    sent_when_read: list[int] = field(default_factory=list)


async def wait_for(event: threading.Event, seconds: float = 5.0) -> bool:
    """Wait for a thread-safe event in a cancellable way (real time: a test's safety net)."""
    for _ in range(int(seconds * 1000)):
        if event.is_set():
            return True
        await asyncio.sleep(0.001)
    return False


def build(probe: Probe) -> Any:
    async def chunks() -> AsyncIterator[bytes]:
        try:
            for number in range(3):
                if number == 1:  # only a client that already has chunk 0 can let us go on
                    probe.waited.append(await wait_for(probe.go_on))
                probe.produced.append(number)
                yield f"chunk {number}\n".encode()
                await probe.clock.asleep(10)
        finally:
            probe.closed.set()

    async def stream(request: Request) -> Response:
        return StreamingResponse(chunks(), media_type="text/event-stream")

    async def cut(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            yield b"first"
            raise RuntimeError("the connection breaks")

        return StreamingResponse(body())

    async def upload(request: Request) -> Response:
        async for chunk in request.stream():
            if chunk:
                probe.uploaded.append(len(chunk))
                probe.sent_when_read.append(probe.client_sent)
        return JSONResponse({"bytes": sum(probe.uploaded), "query": request.url.query})

    app = Starlette(
        routes=[
            Route("/stream", stream),
            Route("/cut", cut),
            Route("/upload", upload, methods=["POST"]),
        ]
    )

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        async def watched() -> Any:
            message = await receive()
            probe.received.append(message["type"])
            return message

        await app(scope, watched, send)

    return recording


async def raising_app(scope: Any, receive: Any, send: Any) -> None:
    raise ValueError("broken before the response")


async def silent_app(scope: Any, receive: Any, send: Any) -> None:
    return None


def body_chunks(probe: Probe, count: int, size: int) -> Iterator[bytes]:
    for _ in range(count):
        probe.client_sent += 1
        yield b"x" * size


# --- async ------------------------------------------------------------------------------------


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout=10))


def test_async_chunks_arrive_as_the_app_sends_them() -> None:
    probe = Probe()

    async def go() -> list[tuple[bytes, list[int], float]]:
        seen = []
        transport = AsyncStreamingTransport(build(probe))
        async with (
            httpx.AsyncClient(transport=transport) as client,
            client.stream("GET", f"{URL}/stream") as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            async for chunk in response.aiter_raw():
                seen.append((chunk, list(probe.produced), probe.clock.now()))
                probe.go_on.set()
        return seen

    seen = run(go())
    assert [c for c, _, _ in seen] == [b"chunk 0\n", b"chunk 1\n", b"chunk 2\n"]
    assert seen[0][1] == [0]  # chunk 0 arrived before chunk 1 was produced
    assert probe.waited == [True]
    assert [t for _, _, t in seen] == [0, 10, 20]  # the app waits for its reader


def test_async_disconnect_reaches_the_app() -> None:
    probe = Probe()

    async def go() -> None:
        transport = AsyncStreamingTransport(build(probe))
        async with (
            httpx.AsyncClient(transport=transport) as client,
            client.stream("GET", f"{URL}/stream") as response,
        ):
            async for _ in response.aiter_raw():
                break

    run(go())
    assert probe.closed.is_set()  # the generator was closed
    assert "http.disconnect" in probe.received
    assert probe.produced == [0]


def test_async_cut_mid_body_is_a_remote_protocol_error() -> None:
    async def go() -> list[bytes]:
        got = []
        transport = AsyncStreamingTransport(build(Probe()))
        async with (
            httpx.AsyncClient(transport=transport) as client,
            client.stream("GET", f"{URL}/cut") as response,
        ):
            assert response.status_code == 200
            chunks = response.aiter_raw()
            got.append(await chunks.__anext__())
            with pytest.raises(httpx.RemoteProtocolError):
                await chunks.__anext__()
        return got

    assert run(go()) == [b"first"]


def test_async_exception_before_the_response_is_raised_or_500() -> None:
    async def go(raise_errors: bool) -> int:
        transport = AsyncStreamingTransport(raising_app, raise_app_exceptions=raise_errors)
        async with httpx.AsyncClient(transport=transport) as client:
            return (await client.get(URL)).status_code

    with pytest.raises(ValueError, match="broken before"):
        run(go(True))
    assert run(go(False)) == 500


def test_async_no_response_at_all_is_a_disconnect() -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=AsyncStreamingTransport(silent_app)) as client:
            await client.get(URL)

    with pytest.raises(httpx.RemoteProtocolError):
        run(go())


def test_async_request_body_streams_to_the_app() -> None:
    probe = Probe()

    async def body() -> AsyncIterator[bytes]:
        for chunk in body_chunks(probe, 5, 65536):
            yield chunk

    async def go() -> Any:
        async with httpx.AsyncClient(transport=AsyncStreamingTransport(build(probe))) as client:
            return (await client.post(f"{URL}/upload?a=1", content=body())).json()

    assert run(go()) == {"bytes": 5 * 65536, "query": "a=1"}
    assert probe.uploaded == [65536] * 5
    # When the app read chunk n the client had produced n chunks, not all five.
    assert probe.sent_when_read == [1, 2, 3, 4, 5]


def test_async_plain_requests_read_whole_bodies() -> None:
    async def go() -> bytes:
        async with httpx.AsyncClient(transport=AsyncStreamingTransport(build(Probe()))) as client:
            probe_app = client
            return (await probe_app.get(f"{URL}/nowhere")).content

    assert run(go()) == b"Not Found"


# --- sync -------------------------------------------------------------------------------------


def test_sync_chunks_arrive_as_the_app_sends_them() -> None:
    probe = Probe()
    seen = []
    transport = StreamingTransport(build(probe))
    with (
        httpx.Client(transport=transport) as client,
        client.stream("GET", f"{URL}/stream") as response,
    ):
        for chunk in response.iter_raw():
            seen.append((chunk, list(probe.produced)))
            probe.go_on.set()
    assert [c for c, _ in seen] == [b"chunk 0\n", b"chunk 1\n", b"chunk 2\n"]
    assert seen[0][1] == [0]
    assert probe.waited == [True]


def test_sync_disconnect_reaches_the_app() -> None:
    probe = Probe()
    with httpx.Client(transport=StreamingTransport(build(probe))) as client:
        with client.stream("GET", f"{URL}/stream") as response:
            next(response.iter_raw())
        assert probe.closed.wait(5)
    assert "http.disconnect" in probe.received


def test_sync_cut_mid_body_is_a_remote_protocol_error() -> None:
    transport = StreamingTransport(build(Probe()))
    with (
        httpx.Client(transport=transport) as client,
        client.stream("GET", f"{URL}/cut") as response,
    ):
        chunks = response.iter_raw()
        assert next(chunks) == b"first"
        with pytest.raises(httpx.RemoteProtocolError):
            next(chunks)


def test_sync_exception_before_the_response_is_raised() -> None:
    with (
        httpx.Client(transport=StreamingTransport(raising_app)) as client,
        pytest.raises(ValueError, match="broken before"),
    ):
        client.get(URL)


def test_sync_upload_and_close() -> None:
    probe = Probe()
    transport = StreamingTransport(build(probe))
    with httpx.Client(transport=transport) as client:
        response = client.post(f"{URL}/upload", content=body_chunks(probe, 3, 1000))
        assert response.json()["bytes"] == 3000
    assert probe.uploaded == [1000] * 3
    transport.close()  # closing twice is harmless


# --- a turn through the transport -------------------------------------------------------------


def test_a_turn_streams_through_in_virtual_time_and_a_cut_breaks_it() -> None:
    from mockserver import plan_turn, play_turn
    from mockserver._config import MockConfig
    from nemokit._sse import SSEDecoder, SSEEvent

    clock = VirtualClock()
    config = MockConfig(silent_rate=0, noise_rate=0)
    media = [{"filename": "a.mp4", "file_type": "video", "duration": 30}]
    turn = plan_turn("add a title", {}, media, seed=2, turn_index=0, config=config)

    async def sse(request: Request) -> Response:
        cut = int(request.query_params["cut"]) if "cut" in request.query_params else None
        frames = play_turn(
            turn, start=0.0, clock=clock, config=config, invocation_id="i", cut_after=cut
        )
        return StreamingResponse(frames, media_type="text/event-stream")

    app = Starlette(routes=[Route("/run_sse", sse, methods=["POST"])])

    async def go(query: str) -> list[float]:
        times, decoder = [], SSEDecoder()
        async with (
            httpx.AsyncClient(transport=AsyncStreamingTransport(app)) as client,
            client.stream("POST", f"{URL}/run_sse{query}") as response,
        ):
            async for chunk in response.aiter_raw():
                events = [e for e in decoder.feed(chunk) if isinstance(e, SSEEvent)]
                times += [clock.now() for e in events if "heartbeat" not in e.data]
        return times

    times = run(go(""))
    assert times == pytest.approx([i.at for i in turn.items])  # each event when it was due
    assert clock.now() == pytest.approx(turn.duration)
    with pytest.raises(httpx.RemoteProtocolError):
        run(go("?cut=1"))
