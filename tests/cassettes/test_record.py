"""Recording transports: pass-through untouched, what is kept, streams, cuts, secrets, order."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import pathlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from conformance.cassettes._cassette import (
    BinaryBody,
    JsonBody,
    MultipartBody,
    TextBody,
    load_cassette,
)
from conformance.cassettes._record import (
    KEEP_BINARY_BYTES,
    AsyncRecordingTransport,
    BlockSplitter,
    RecordingTransport,
)
from conformance.cassettes._redact import find_secrets
from nemokit._clock import VirtualClock

TOKEN = "nmv_usr_Zq3kP9xY_secret"
CLAIM = "clm_Hh7-secret"
CLIENT_ID = "6f1c2a9e-1111-4222-8333-944455556666"


class FakeApi:
    """A tiny sync API whose SSE stream is produced lazily and logs when each piece is made."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.produced: list[str] = []
        self.polls = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/token":
            return httpx.Response(
                200, json={"code": 0, "data": {"token": TOKEN, "user_id": "anon_1"}}
            )
        if path == "/claim":
            return httpx.Response(200, json={"code": 0, "data": {"claim_token": CLAIM}})
        if path == "/sse":
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=self.sse()
            )
        if path == "/cut":
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=self.cut()
            )
        if path == "/poll":
            self.polls += 1
            return httpx.Response(200, json={"n": self.polls})
        if path == "/video":
            size = int(request.url.params["size"])
            return httpx.Response(
                200, headers={"content-type": "video/mp4"}, content=b"\x00" * size
            )
        if path == "/gzip":
            body = gzip.compress(json.dumps({"token": TOKEN}).encode())
            headers = {"content-type": "application/json", "content-encoding": "gzip"}
            return httpx.Response(200, headers=headers, content=body)
        return httpx.Response(404, text="no such route")

    def sse(self) -> Iterator[bytes]:
        self.produced.append("first")
        yield b'data: {"n": 1}\r\n\r\n: pi'
        self.clock.sleep(15)
        self.produced.append("second")
        yield b'ng\n\ndata: {"token": "' + TOKEN.encode() + b'"}\n\n'
        self.clock.sleep(5)
        self.produced.append("third")
        yield b"data: tail-without-blank-line"

    def cut(self) -> Iterator[bytes]:
        yield b"data: 1\n\n"
        self.clock.sleep(2)
        raise httpx.RemoteProtocolError("peer closed connection")


def _recording(tmp_path: pathlib.Path) -> tuple[FakeApi, RecordingTransport, httpx.Client]:
    clock = VirtualClock()
    api = FakeApi(clock)
    transport = RecordingTransport(
        httpx.MockTransport(api.handler), tmp_path / "c.json", clock=clock
    )
    return api, transport, httpx.Client(transport=transport, base_url="http://api.test")


def test_json_exchanges_are_recorded_with_secrets_replaced(tmp_path: pathlib.Path) -> None:
    _, transport, client = _recording(tmp_path)
    token = client.post("/token", headers={"X-Client-Id": CLIENT_ID}).json()["data"]["token"]
    assert token == TOKEN  # the client sees the real response, untouched
    client.post("/claim", headers={"Authorization": f"Bearer {token}"}, json={"task_id": "t1"})
    first, second = transport.cassette.interactions
    assert first.request.headers["x-client-id"] == "<CLIENT_ID_1>"
    assert first.response.body == JsonBody(
        {"code": 0, "data": {"token": "<TOKEN_1>", "user_id": "anon_1"}}
    )
    assert second.request.headers["authorization"] == "Bearer <TOKEN_1>"
    assert second.request.body == JsonBody({"task_id": "t1"})
    assert second.response.body == JsonBody({"code": 0, "data": {"claim_token": "<CLAIM_1>"}})
    assert "user-agent" not in second.request.headers  # only the headers that matter


def test_a_stream_passes_through_chunk_by_chunk_while_it_is_recorded(
    tmp_path: pathlib.Path,
) -> None:
    api, transport, client = _recording(tmp_path)
    with client.stream("POST", "/sse") as response:
        chunks = response.iter_raw()
        first = next(chunks)
        assert api.produced == ["first"]  # the client had the first chunk before the rest was made
        rest = list(chunks)
    assert first.startswith(b'data: {"n": 1}')
    assert TOKEN.encode() in b"".join(rest)  # the client got the real bytes
    events = transport.cassette.interactions[0].response.events
    assert events is not None
    assert [(e.t, e.raw) for e in events] == [
        (0.0, 'data: {"n": 1}\r\n\r\n'),
        (15.0, ": ping\n\n"),
        (15.0, 'data: {"token": "<TOKEN_1>"}\n\n'),
        (20.0, "data: tail-without-blank-line"),
    ]
    assert transport.cassette.interactions[0].response.cut is False


def test_a_cut_stream_is_recorded_as_cut_and_the_error_reaches_the_client(
    tmp_path: pathlib.Path,
) -> None:
    _, transport, client = _recording(tmp_path)
    with pytest.raises(httpx.RemoteProtocolError), client.stream("GET", "/cut") as response:
        response.read()
    recorded = transport.cassette.interactions[0].response
    assert recorded.cut is True
    assert [e.raw for e in recorded.events or ()] == ["data: 1\n\n"]


def test_a_client_that_stops_reading_is_recorded_as_such(tmp_path: pathlib.Path) -> None:
    _, transport, client = _recording(tmp_path)
    with client.stream("POST", "/sse") as response:
        next(response.iter_raw())
    recorded = transport.cassette.interactions[0].response
    assert recorded.client_closed is True
    assert recorded.cut is False
    # Exactly what the client received: one block and the start of the next.
    assert [e.raw for e in recorded.events or ()] == ['data: {"n": 1}\r\n\r\n', ": pi"]


def test_binary_bodies_keep_their_bytes_only_when_small(tmp_path: pathlib.Path) -> None:
    _, transport, client = _recording(tmp_path)
    assert len(client.get("/video", params={"size": 10}).content) == 10
    assert (
        len(client.get("/video", params={"size": KEEP_BINARY_BYTES + 1}).content)
        == KEEP_BINARY_BYTES + 1
    )
    small, big = (i.response.body for i in transport.cassette.interactions)
    assert isinstance(small, BinaryBody)
    assert small.data == b"\x00" * 10
    assert isinstance(big, BinaryBody)
    assert big.data is None
    assert big.size == KEEP_BINARY_BYTES + 1
    assert len(big.sha256) == 64


def test_multipart_uploads_are_summarised_part_by_part(tmp_path: pathlib.Path) -> None:
    _, transport, client = _recording(tmp_path)
    client.post("/upload", files={"files": ("clip.mp4", b"abc", "video/mp4")}, data={"kind": "v"})
    request = transport.cassette.interactions[0].request
    assert request.headers["content-type"] == "multipart/form-data"  # boundary dropped
    assert isinstance(request.body, MultipartBody)
    parts = {p.name: p for p in request.body.parts}
    assert parts["files"].filename == "clip.mp4"
    assert parts["files"].content_type == "video/mp4"
    assert parts["files"].size == 3
    assert parts["kind"].size == 1
    assert transport.cassette.interactions[0].response.body == TextBody("no such route")


def test_a_streaming_request_body_is_recorded_even_if_the_server_reads_part(
    tmp_path: pathlib.Path,
) -> None:
    class RefuseAfterOneChunk(httpx.BaseTransport):
        """A server that refuses an upload after its first chunk (MockTransport reads it all)."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            stream = request.stream
            assert isinstance(stream, httpx.SyncByteStream)
            assert next(iter(stream)) == b"ab"
            return httpx.Response(413, json={"code": 4002})

    transport = RecordingTransport(RefuseAfterOneChunk(), tmp_path / "c.json")
    client = httpx.Client(transport=transport)
    client.post("http://api.test/upload", content=iter([b"ab", b"cd", b"ef"]))
    body = transport.cassette.interactions[0].request.body
    assert body == TextBody("abcdef")


def test_gzip_bodies_are_recorded_decoded_and_redacted(tmp_path: pathlib.Path) -> None:
    _, transport, client = _recording(tmp_path)
    assert client.get("/gzip").json() == {"token": TOKEN}
    response = transport.cassette.interactions[0].response
    assert response.body == JsonBody({"token": "<TOKEN_1>"})
    assert "content-encoding" not in response.headers


def test_a_request_that_gets_no_response_is_not_recorded(tmp_path: pathlib.Path) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    transport = RecordingTransport(httpx.MockTransport(down), tmp_path / "c.json")
    with pytest.raises(httpx.ConnectError):
        httpx.Client(transport=transport).get("http://api.test/x")
    assert transport.cassette.interactions == ()


def test_interactions_keep_the_order_of_requests_not_of_responses(tmp_path: pathlib.Path) -> None:
    api, transport, client = _recording(tmp_path)
    with client.stream("POST", "/sse") as slow:
        client.get("/poll")  # sent second, finished first
        slow.read()
    assert [i.request.path for i in transport.cassette.interactions] == ["/sse", "/poll"]
    assert [i.at for i in transport.cassette.interactions] == [0.0, 0.0]
    assert api.polls == 1


def test_secrets_never_reach_the_file_or_the_recorded_values(tmp_path: pathlib.Path) -> None:
    _, transport, client = _recording(tmp_path)
    token = client.post("/token", headers={"X-Client-Id": CLIENT_ID}).json()["data"]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    client.post("/claim", headers=headers, json={"token": token, "url": f"/x?ct={CLAIM}"})
    client.post("/sse", headers=headers).read()
    client.get("/gzip", params={"ct": CLAIM})
    path = transport.save()
    text = path.read_text(encoding="utf-8")
    assert find_secrets(text) == []
    assert CLIENT_ID not in text
    assert find_secrets(repr(transport.cassette)) == []
    assert CLIENT_ID not in repr(transport.cassette)
    assert load_cassette(path) == transport.cassette


def test_recording_the_same_run_twice_gives_the_same_bytes(tmp_path: pathlib.Path) -> None:
    def run(name: str) -> bytes:
        _, transport, client = _recording(tmp_path / name)
        client.post("/token", headers={"X-Client-Id": CLIENT_ID})
        client.post("/sse").read()
        client.get("/video", params={"size": 3})
        return transport.save().read_bytes()

    assert run("a") == run("b")


# --- the async transport, through an in-process Starlette app --------------------------------


async def _token(request: Request) -> Response:
    return JSONResponse({"code": 0, "data": {"token": TOKEN}})


async def _events(request: Request) -> Response:
    async def body() -> AsyncIterator[bytes]:
        yield b"data: one\n\n"
        yield b": ping\n\n"

    return StreamingResponse(body(), media_type="text/event-stream")


_APP = Starlette(
    routes=[Route("/token", _token, methods=["POST"]), Route("/sse", _events, methods=["POST"])]
)


def test_the_async_transport_records_an_asgi_app(tmp_path: pathlib.Path) -> None:
    transport = AsyncRecordingTransport(httpx.ASGITransport(app=_APP), tmp_path / "c.json")

    async def main() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            assert (await client.post("/token")).json()["data"]["token"] == TOKEN
            async with client.stream("POST", "/sse") as response:
                assert [chunk async for chunk in response.aiter_bytes()] != []

    asyncio.run(main())
    token, sse = transport.cassette.interactions
    assert token.response.body == JsonBody({"code": 0, "data": {"token": "<TOKEN_1>"}})
    assert [e.raw for e in sse.response.events or ()] == ["data: one\n\n", ": ping\n\n"]
    assert find_secrets(transport.save().read_text()) == []


# --- the block splitter ------------------------------------------------------------------------

_STREAM = b'data: {"a": 1}\r\n\r\n: ping\n\nevent: x\rdata: y\r\r\ndata: z\r\n\n'
_BLOCKS = [b'data: {"a": 1}\r\n\r\n', b": ping\n\n", b"event: x\rdata: y\r\r\n", b"data: z\r\n\n"]


@given(cuts=st.lists(st.integers(min_value=0, max_value=len(_STREAM)), max_size=8))
def test_blocks_are_the_same_however_the_stream_is_split(cuts: list[int]) -> None:
    splitter = BlockSplitter()
    bounds = [0, *sorted(cuts), len(_STREAM)]
    blocks = [b for a, z in itertools.pairwise(bounds) for b in splitter.feed(_STREAM[a:z])]
    assert blocks == _BLOCKS
    assert splitter.flush() == b""


def test_a_lone_cr_at_a_chunk_end_waits_for_a_possible_lf() -> None:
    splitter = BlockSplitter()
    assert splitter.feed(b"data: a\r\n\r") == []
    assert splitter.feed(b"\ndata: b") == [b"data: a\r\n\r\n"]
    assert splitter.flush() == b"data: b"
