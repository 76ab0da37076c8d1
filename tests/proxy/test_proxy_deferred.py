"""The proxy's short path for plain answers: the recording of a plain exchange is worked out after
the client has its answer (or at save), a small plain answer is read whole without a task
watching the client. What is recorded must be exactly what the recording transport records at
once; a client that leaves still never loses or leaks anything."""

from __future__ import annotations

import asyncio
import json
import pathlib
from collections.abc import MutableMapping
from typing import Any

import httpx
from _inproc import record, session, turn_body

from conformance.cassettes._cassette import Cassette, dumps_cassette, load_cassette
from conformance.cassettes._record import AsyncRecordingTransport, Recorder
from conformance.cassettes._redact import find_secrets
from conformance.cassettes._replay import build_router
from conformance.proxy import ProxyApp
from conformance.proxy._app import SMALL_ANSWER, _small_and_plain
from mockserver import AsyncStreamingTransport, MockServer
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._clock import VirtualClock

UNKNOWN_SID = "1234567890123456789"
_CONFIG = {"seed": 1, "noise_rate": 0.0, "silent_rate": 0.0}


def _record_direct(path: pathlib.Path) -> pathlib.Path:
    """The flow of :func:`_inproc.record`, recorded by the recording transport itself (each
    exchange worked out as it ends: the behaviour the proxy's deferred recording must match)."""
    clock = VirtualClock()
    mock = MockServer(MockConfig().replace(**_CONFIG), clock)
    transport = AsyncRecordingTransport(AsyncStreamingTransport(mock.app), path, clock=clock)

    async def flow() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://mock.test") as client:
            auth, sid = await session(client, "d")
            await client.post(contract.PATH_RUN_SSE, json=turn_body(sid, "hello"), headers=auth)
            await client.get(contract.PATH_STATE.format(sid=UNKNOWN_SID), headers=auth)

    asyncio.run(flow())
    transport.save()
    return path


def test_the_proxy_records_plain_and_sse_answers_exactly_as_the_recording_transport(
    tmp_path: pathlib.Path,
) -> None:
    proxied = record(tmp_path / "proxied.json")  # token, session, SSE turn, refused read
    direct = _record_direct(tmp_path / "direct.json")
    a, b = load_cassette(proxied), load_cassette(direct)
    assert [i.request.path for i in a.interactions] == [
        contract.PATH_ANONYMOUS_TOKEN, contract.PATH_SESSION, contract.PATH_RUN_SSE,
        contract.PATH_STATE.format(sid=UNKNOWN_SID),
    ]  # fmt: skip
    assert a.interactions[2].response.events  # the SSE turn kept its events
    assert a.interactions == b.interactions  # same redaction, numbering, bodies and times
    assert "<TOKEN_1>" in dumps_cassette(a)


class _Upstream(httpx.AsyncBaseTransport):
    """A target answering a token in a small JSON body, with a count of the answers it began."""

    def __init__(self, token: str) -> None:
        self.token, self.answered = token, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.answered += 1
        return httpx.Response(200, json={"code": 0, "message": "ok", "data": {"token": self.token}})


def test_a_deferred_exchange_holds_its_secret_only_until_flushed_and_a_save_finishes_it() -> None:
    token = "nmv_usr_DeferredSecret0123456789"
    recorder = Recorder(clock=VirtualClock())
    recorder.deferred = True
    transport = AsyncRecordingTransport(_Upstream(token), recorder)

    async def exchange() -> None:
        request = httpx.Request("GET", "http://t.test/api/x",
                                headers={"authorization": f"Bearer {token}"})  # fmt: skip
        response = await transport.handle_async_request(request)
        await response.aread()
        await response.aclose()

    asyncio.run(exchange())
    assert "1 to finish" in repr(recorder)
    assert token not in repr(recorder)
    saved = recorder.cassette  # what a save writes: the waiting exchange is finished first
    assert len(saved.interactions) == 1
    assert "0 to finish" in repr(recorder)
    text = dumps_cassette(saved)
    assert find_secrets(text) == []
    interaction = saved.interactions[0]
    assert interaction.request.headers["authorization"] == "Bearer <TOKEN_1>"
    assert interaction.response.body is not None
    assert "<TOKEN_1>" in json.dumps(interaction.to_json())


def test_a_router_with_nothing_to_replay_records_every_request_without_matching() -> None:
    upstream = _Upstream("nmv_usr_RouterLiveOnly0123456789")
    router = build_router(Cassette(), mode="all", real=upstream)

    async def three() -> None:
        transport = httpx.MockTransport(router.async_handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as client:
            for path in ("/a", "/b", "/a"):
                (await client.get(path)).raise_for_status()

    asyncio.run(three())
    assert upstream.answered == 3
    assert (router.stats.requests, router.stats.recorded, router.stats.replayed) == (3, 3, 0)
    assert router.stats.comparisons == 0  # no key looked up
    assert [entry.source for entry in router.log] == ["live"] * 3
    assert [entry.request.path for entry in router.log] == ["/a", "/b", "/a"]
    assert [i.request.path for i in router.cassette.interactions] == ["/a", "/b", "/a"]


# --- a client that leaves -----------------------------------------------------------------------


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
            "query_string": b"", "headers": [(b"host", b"proxy.test"), *headers]}  # fmt: skip


async def _leaving_client(
    app: ProxyApp, method: str, path: str, body: bytes, headers: list[tuple[bytes, bytes]]
) -> list[MutableMapping[str, Any]]:
    """One request whose client is gone as soon as its body is sent; what the proxy sent it."""
    sent: list[MutableMapping[str, Any]] = []
    incoming = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> MutableMapping[str, Any]:
        return incoming.pop() if incoming else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app(_scope(method, path, headers), receive, send)
    return sent


def test_a_client_that_leaves_gets_a_small_plain_answer_recorded_whole_and_a_stream_stopped(
    tmp_path: pathlib.Path,
) -> None:
    clock = VirtualClock()
    mock = MockServer(MockConfig().replace(**_CONFIG), clock)
    upstream = AsyncStreamingTransport(mock.app)
    path = tmp_path / "left.json"
    app = ProxyApp("http://mock.test", cassette=path, mode="all", clock=clock, upstream=upstream)

    async def flow() -> tuple[list[Any], list[Any]]:
        # A client that stays for the token and the session, then two that leave at once.
        transport = AsyncStreamingTransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
            auth, sid = await session(client, "leaver")
        bearer = [(b"authorization", auth["authorization"].encode()),
                  (b"content-type", b"application/json")]  # fmt: skip
        plain = await _leaving_client(app, "GET", contract.PATH_CREDITS, b"", bearer)
        turn = json.dumps(turn_body(sid, "hello")).encode()
        streamed = await _leaving_client(app, "POST", contract.PATH_RUN_SSE, turn, bearer)
        await app.aclose()
        return plain, streamed

    plain, streamed = asyncio.run(flow())
    assert plain[0]["status"] == 200
    assert plain[-1]["more_body"] is False
    answer = json.loads(b"".join(m.get("body", b"") for m in plain[1:]))
    assert answer["code"] == 0  # the small answer went out whole, in one piece
    assert len(plain) == 2
    assert streamed[0]["status"] == 200
    assert b"text/event-stream" in dict(streamed[0]["headers"])[b"content-type"]
    saved = app.save()
    assert saved is not None
    interactions = load_cassette(saved).interactions
    credits, turn_record = interactions[2], interactions[3]
    assert credits.request.path == contract.PATH_CREDITS
    assert credits.response.status == 200
    assert not credits.response.client_closed
    assert credits.response.body is not None
    assert turn_record.request.path == contract.PATH_RUN_SSE
    assert turn_record.response.client_closed  # the stream stopped when its client left
    assert find_secrets(saved.read_text(encoding="utf-8")) == []
    assert app.stats.recorded == 4


def test_answers_over_the_small_size_or_of_unknown_length_take_the_watched_path() -> None:
    def answer(headers: dict[str, str]) -> httpx.Response:
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(b""))

    assert _small_and_plain(answer({"content-length": str(SMALL_ANSWER)}))
    assert not _small_and_plain(answer({"content-length": str(SMALL_ANSWER + 1)}))
    assert not _small_and_plain(answer({}))  # chunked: length unknown
    assert not _small_and_plain(answer({"content-length": "x"}))
    sse = {"content-length": "10", "content-type": "text/event-stream"}
    assert not _small_and_plain(answer(sse))
