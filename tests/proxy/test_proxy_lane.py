"""The proxy's fast lane (``conformance.proxy._lane``) against the ASGI path it stands in for:
the same cassette for the same GETs, hop-by-hop headers dropped both ways, connections kept and
reused, clients never mixed, pipelined requests answered in order, faults handed to the ASGI
path's code, streams still streamed, and replays never on the lane."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _inproc import UNKNOWN_SID, turn_body
from _targets import (
    FLOOD_EVENT,
    FLOOD_EVENTS,
    FLOOD_SENT,
    HELD_DONE,
    RELEASE,
    FaultTarget,
    recording_proxy,
)

from conformance.cassettes._cassette import JsonBody, load_cassette
from conformance.drivers._served import ServedApp
from conformance.proxy import ProxyApp
from conformance.proxy._lane import LaneProtocol, _Lane, _Upstream
from mockserver import MockServer
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._clock import VirtualClock

pytestmark = [pytest.mark.socket]


def _carried(app: ProxyApp) -> int:
    lane = _Lane.of(app)
    assert lane is not None
    return lane.carried


def _relayed(app: ProxyApp) -> int:
    lane = _Lane.of(app)
    assert lane is not None
    return lane.relayed


@pytest.fixture
def mock() -> Iterator[ServedApp]:
    """The mock on loopback (virtual time: its answers do not depend on when they are asked)."""
    config = MockConfig().replace(seed=1, noise_rate=0.0, silent_rate=0.0)
    served = ServedApp(MockServer(config, VirtualClock()).app)
    with served:
        yield served


def _token(url: str) -> str:
    answer = httpx.post(url + contract.PATH_ANONYMOUS_TOKEN, headers={"x-client-id": "lane"})
    token: str = answer.json()["data"]["token"]
    return token


@contextlib.contextmanager
def _forwarding(mock: ServedApp) -> Iterator[tuple[ProxyApp, httpx.Client]]:
    """A forwarding-only proxy (nothing recorded) on the lane in front of ``mock``, and a client
    of it with a token of the mock's."""
    app = ProxyApp(mock.url)
    auth = {"authorization": f"Bearer {_token(mock.url)}"}
    with (
        ServedApp(app, http=LaneProtocol) as proxy,
        httpx.Client(base_url=proxy.url, headers=auth) as client,
    ):
        yield app, client


def _record(mock_url: str, path: pathlib.Path, token: str, **served: Any) -> ProxyApp:
    """The same GETs through a recording proxy served with ``served`` settings."""
    app = ProxyApp(mock_url, cassette=path, mode="all", clock=VirtualClock())
    auth = {"authorization": f"Bearer {token}", "x-skill-version": "1.2.3"}
    with (
        ServedApp(app, lifespan="on", **served) as proxy,
        httpx.Client(base_url=proxy.url, headers=auth) as c,
    ):
        assert c.get(contract.PATH_CREDITS).status_code == 200
        assert c.get(contract.PATH_STATE.format(sid=UNKNOWN_SID)).json()["code"] == 1002
        assert c.get(contract.PATH_CREDITS, params={"t": token, "n": "1"}).status_code == 200
        assert c.delete(contract.PATH_STATE.format(sid=UNKNOWN_SID)).status_code == 405
    assert app.save() == path
    return app


def test_the_lane_records_the_same_cassette_as_the_asgi_path(
    mock: ServedApp, tmp_path: pathlib.Path
) -> None:
    token = _token(mock.url)
    lane = _record(mock.url, tmp_path / "lane.json", token, http=LaneProtocol)
    asgi = _record(mock.url, tmp_path / "asgi.json", token, http="httptools")
    assert (_carried(lane), _carried(asgi)) == (4, 0)
    assert lane.stats == asgi.stats
    recorded = [load_cassette(tmp_path / name).interactions for name in ("lane.json", "asgi.json")]
    assert recorded[0] == recorded[1]
    assert len(recorded[0]) == 4
    text = (tmp_path / "lane.json").read_text(encoding="utf-8")
    assert token not in text  # the token in the query and the header was redacted
    assert recorded[0][0].request.headers["x-skill-version"] == "1.2.3"


def _raw(url: str, requests: bytes, answers: int) -> list[bytes]:
    """Send ``requests`` (raw bytes, maybe several) on one connection; the answers' raw texts."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(requests)
        data = b""
        while data.count(b"HTTP/1.1 ") < answers or not _whole(data, answers):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return [b"HTTP/1.1 " + part for part in data.split(b"HTTP/1.1 ")[1:]]


def _whole(data: bytes, answers: int) -> bool:
    last = data.rsplit(b"HTTP/1.1 ", 1)[1]
    head, _, body = last.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def test_hop_by_hop_headers_are_dropped_both_ways_and_the_rest_passes(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "hop.json")
    host = served.url.removeprefix("http://")
    request = (f"GET /echo HTTP/1.1\r\nHost: {host}\r\nConnection: x-drop-me\r\nX-Drop-Me: 1\r\n"
               "TE: trailers\r\nProxy-Authorization: Basic eA==\r\nX-Skill-Source: cli\r\n"
               "X-Client-Id: c-1\r\n\r\n").encode()  # fmt: skip
    with served:
        (echo,) = _raw(served.url, request, 1)
        (hop,) = _raw(served.url, f"GET /hop HTTP/1.1\r\nHost: {host}\r\n\r\n".encode(), 1)
    echoed = echo.partition(b"\r\n\r\n")[2].lower()
    for dropped in (b"x-drop-me", b"te:", b"proxy-authorization", b"connection"):
        assert dropped not in echoed
    assert b"x-skill-source: cli" in echoed
    assert b"x-client-id: c-1" in echoed
    assert b"via: 1.1 nemokit-proxy" in echoed
    head = hop.partition(b"\r\n\r\n")[0].lower()
    for dropped in (b"x-hop", b"keep-alive: timeout", b"proxy-authenticate"):
        assert dropped not in head
    assert b"x-end: kept" in head
    assert b"via: 1.1 nemokit-proxy" in head
    assert _carried(app) == 2


@pytest.mark.parametrize("preserve", [False, True])
def test_the_target_gets_its_own_host_or_the_clients_with_preserve_host(
    target: FaultTarget, tmp_path: pathlib.Path, preserve: bool
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "host.json", preserve_host=preserve)
    request = b"GET /echo HTTP/1.1\r\nHost: proxy.example:8766\r\n\r\n"
    with served:
        (echo,) = _raw(served.url, request, 1)
    hosts = [line for line in echo.partition(b"\r\n\r\n")[2].lower().split(b"\r\n")
             if line.startswith(b"host:")]  # fmt: skip
    expected = b"proxy.example:8766" if preserve else target.url.removeprefix("http://").encode()
    assert hosts == [b"host: " + expected]
    assert _carried(app) == 1


def test_a_small_body_and_an_http_1_0_client_take_the_lane(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "small.json")
    host = served.url.removeprefix("http://")
    body = b'{"a": 1}'
    options = (f"OPTIONS /echo HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()  # fmt: skip
    with served:
        (echo,) = _raw(served.url, options + body, 1)
        (old,) = _raw(served.url, b"GET /ok HTTP/1.0\r\n\r\n", 1)
    assert b"content-length: 8\r\n" in echo.partition(b"\r\n\r\n")[2].lower()
    head, _, answer = old.partition(b"\r\n\r\n")
    assert answer == b'{"code": 0, "message": "success", "data": {"ok": true}}'
    assert b"connection: close" in head.lower()  # an HTTP/1.0 client's connection ends
    recorded = load_cassette(app.save() or tmp_path).interactions
    assert recorded[0].request.method == "OPTIONS"
    assert isinstance(recorded[0].request.body, JsonBody)
    assert recorded[0].request.body.value == {"a": 1}
    assert _carried(app) == 2


def test_a_small_answer_over_a_smaller_max_body_is_refused_on_the_lane(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "tiny.json", max_body=10)
    with served, httpx.Client(base_url=served.url) as client:
        answer = client.get("/ok")
    assert answer.status_code == 502
    assert "too big" in answer.json()["message"]
    assert [f["kind"] for f in app.failures] == ["too big"]
    assert _carried(app) == 1


def test_pipelined_requests_on_one_connection_are_answered_in_order(
    mock: ServedApp, tmp_path: pathlib.Path
) -> None:
    token = _token(mock.url)
    app = ProxyApp(mock.url, cassette=tmp_path / "kept.json", mode="all")
    # Requests that arrive while one is in flight wait for uvicorn's pipeline (the ASGI path, whose
    # aiohttp pool closes with the lifespan).
    with ServedApp(app, http=LaneProtocol, lifespan="on") as proxy:
        host = proxy.url.removeprefix("http://")
        one = (f"GET {{path}} HTTP/1.1\r\nHost: {host}\r\n"
               f"Authorization: Bearer {token}\r\n\r\n")  # fmt: skip
        paths = [contract.PATH_CREDITS, contract.PATH_STATE.format(sid=UNKNOWN_SID),
                 contract.PATH_CREDITS]  # fmt: skip
        answers = _raw(proxy.url, "".join(one.format(path=p) for p in paths).encode(), 3)
    assert [a.split(b" ", 2)[1] for a in answers] == [b"200", b"200", b"200"]
    assert [b'"available"' in a for a in answers] == [True, False, True]
    assert b"not found" in answers[1]
    recorded = load_cassette(app.save() or tmp_path).interactions
    assert [i.request.path for i in recorded] == paths


def test_one_client_keeps_its_connection_and_the_lane_reuses_one_to_the_target(
    mock: ServedApp, tmp_path: pathlib.Path
) -> None:
    with _forwarding(mock) as (app, client):
        seen: set[int] = set()
        for _ in range(5):
            answer = client.get(contract.PATH_CREDITS, extensions={"trace": None})
            assert answer.status_code == 200
            lane = _Lane.of(app)
            assert lane is not None
            seen.update(id(upstream) for upstream in lane.idle)
            assert len(lane.idle) == 1
    assert len(seen) == 1  # one connection to the target, reused
    assert app.stats.forwarded == 5
    assert _carried(app) == 5


def test_concurrent_clients_get_their_own_answers(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "many.json")

    async def client(number: int) -> list[bool]:
        async with httpx.AsyncClient(base_url=served.url) as session:
            mine = []
            for turn in range(3):
                who = f"client-{number}-{turn}"
                answer = await session.get("/echo", headers={"x-client-id": who})
                mine.append(f"x-client-id: {who}\r\n".encode() in answer.content)
            return mine

    async def everyone() -> list[list[bool]]:
        return await asyncio.gather(*(client(n) for n in range(20)))

    with served:
        results = asyncio.run(everyone())
    assert results == [[True] * 3] * 20
    assert _carried(app) == 60
    recorded = load_cassette(app.save() or tmp_path).interactions
    assert len(recorded) == 60


def test_faults_on_the_lane_get_the_asgi_paths_answers_and_notes(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "faults.json", max_body=1024 * 1024)
    with served, httpx.Client(base_url=served.url) as client:
        garbage, bad = client.get("/garbage"), client.get("/bad-header")
        big = client.get("/big")
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/short")  # never a whole-looking answer
        with client.stream("GET", "/cut") as stream:
            cut = b"".join(stream.iter_bytes())  # a clean end
        assert client.get("/ok").json()["data"] == {"ok": True}
    assert [garbage.status_code, bad.status_code, big.status_code] == [502, 502, 502]
    assert "no usable answer" in garbage.json()["message"]
    assert "too big" in big.json()["message"]
    assert cut == b'data: {"type": "text", "content": "one"}\n\n: ping\n\n'
    kinds = [(f["request"], f["kind"]) for f in app.failures]
    assert kinds == [
        ("GET /garbage", "no answer"), ("GET /bad-header", "no answer"), ("GET /big", "too big"),
        ("GET /short", "cut"), ("GET /cut", "cut"),
    ]  # fmt: skip
    assert (_carried(app), _relayed(app)) == (6, 1)  # /cut relayed on the lane itself
    recorded = {
        i.request.path: i.response for i in load_cassette(app.save() or tmp_path).interactions
    }
    assert recorded["/short"].cut
    assert recorded["/cut"].cut
    assert recorded["/cut"].events is not None
    assert len(recorded["/cut"].events) == 2
    assert not recorded["/ok"].cut


def test_a_target_that_is_down_gets_a_502_on_the_lane(tmp_path: pathlib.Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{probe.getsockname()[1]}"
    app, served = recording_proxy(down, tmp_path / "down.json")
    with served, httpx.Client(base_url=served.url) as client:
        answer = client.get(contract.PATH_CREDITS)
    assert answer.status_code == 502
    assert "ConnectError" in answer.json()["message"]
    assert answer.headers["x-nemokit-proxy"] == "1"
    assert app.stats.summary() == "0 recorded, 0 replayed, 0 missed (1 failed at the target)"
    assert _carried(app) == 1


def test_a_stream_on_the_lane_reaches_the_client_while_it_is_still_open(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    RELEASE.clear()
    app, served = recording_proxy(target.url, tmp_path / "held.json")
    with (
        served,
        httpx.Client(base_url=served.url) as client,
        client.stream("GET", "/held") as stream,
    ):
        chunks = stream.iter_raw()
        first = next(chunks)  # the target holds the second event until RELEASE
        RELEASE.set()
        rest = b"".join(chunks)
    assert first == b"data: one\n\n"
    assert rest == b"data: two\n\n"
    assert (_carried(app), _relayed(app)) == (1, 1)
    events = load_cassette(app.save() or tmp_path).interactions[0].response.events
    assert events is not None
    assert [e.raw for e in events] == ["data: one\n\n", "data: two\n\n"]


def test_a_post_goes_out_on_a_new_connection_never_a_pooled_one(mock: ServedApp) -> None:
    """A POST is never sent twice, so it must not go out on a pooled connection the target may
    be closing at that moment (nothing would come back, and the client would get a 502)."""
    with _forwarding(mock) as (app, client):
        lane = _Lane.of(app)
        assert lane is not None
        assert client.get(contract.PATH_CREDITS).status_code == 200
        (pooled,) = lane.idle
        made = client.post(contract.PATH_SESSION, json={"task_name": "project"})
        assert made.status_code == 200
        assert len(lane.idle) == 2  # the POST had a connection of its own
        assert pooled in lane.idle
        assert client.get(contract.PATH_CREDITS).status_code == 200  # a GET reuses one
        assert len(lane.idle) == 2
    assert _carried(app) == 3


def test_a_replaying_proxy_never_takes_the_lane(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "replay.json"
    recorder, served = recording_proxy(target.url, path)
    with served, httpx.Client(base_url=served.url) as client:
        assert client.get("/ok").status_code == 200
    recorder.save()
    app = ProxyApp(cassette=path, mode="none")
    with ServedApp(app, http=LaneProtocol) as proxy, httpx.Client(base_url=proxy.url) as client:
        assert client.get("/ok").json()["data"] == {"ok": True}
        assert client.get("/ok").status_code == 404  # played once, as VCR.py does
    assert _Lane.of(app) is None
    assert app.stats.replayed == 1


def _record_turn(path: pathlib.Path, **served: Any) -> ProxyApp:
    """A session and a turn's stream through a recording proxy served with ``served`` settings,
    in front of a fresh mock (seeded, virtual time: the same answers each time)."""
    config = MockConfig().replace(seed=1, noise_rate=0.0, silent_rate=0.0)
    with ServedApp(MockServer(config, VirtualClock()).app) as mock:
        app = ProxyApp(mock.url, cassette=path, mode="all", clock=VirtualClock())
        token = _token(mock.url)
        auth = {"authorization": f"Bearer {token}"}
        with (
            ServedApp(app, lifespan="on", **served) as proxy,
            httpx.Client(base_url=proxy.url, headers=auth) as c,
        ):
            made = c.post(contract.PATH_SESSION, json={"task_name": "project"})
            sid = made.json()["data"]["session_id"]
            with c.stream("POST", contract.PATH_RUN_SSE, json=turn_body(sid, "hello")) as sse:
                assert sse.headers["content-type"].startswith("text/event-stream")
                assert sse.headers["via"] == "1.1 nemokit-proxy"
                text = b"".join(sse.iter_raw())
            assert b"data: " in text
    assert app.save() == path
    return app


def test_a_stream_relayed_on_the_lane_records_the_same_cassette_as_the_asgi_path(
    tmp_path: pathlib.Path,
) -> None:
    lane = _record_turn(tmp_path / "lane.json", http=LaneProtocol)
    asgi = _record_turn(tmp_path / "asgi.json", http="httptools")
    assert (_carried(lane), _relayed(lane)) == (2, 1)  # the session's POST and the turn
    assert _carried(asgi) == 0
    assert lane.stats == asgi.stats
    recorded = [load_cassette(tmp_path / name).interactions for name in ("lane.json", "asgi.json")]
    assert recorded[0] == recorded[1]
    turn = recorded[0][-1]
    assert turn.request.path == contract.PATH_RUN_SSE
    assert isinstance(turn.request.body, JsonBody)
    assert turn.response.events
    assert not turn.response.cut
    assert not turn.response.client_closed


def _first_chunk_then_leave(url: str) -> bytes:
    """A stream's first chunk; then the client closes its connection."""
    with httpx.Client() as client, client.stream("GET", url) as sse:
        return next(sse.iter_raw())  # the target holds the second event


def test_a_client_that_leaves_mid_stream_stops_the_relay_and_is_recorded_gone(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    RELEASE.clear()
    app, served = recording_proxy(target.url, tmp_path / "left.json")
    try:
        with served:
            first = _first_chunk_then_leave(served.url + "/held")
            # The server's shutdown waits for the proxy to have seen the client go.
        lane = _Lane.of(app)
        assert lane is not None
        assert not lane.busy  # the target's connection was closed, not kept
    finally:
        RELEASE.set()
    assert HELD_DONE.wait(10)  # the target's handler is done writing into the closed connection
    assert first == b"data: one\n\n"
    assert _relayed(app) == 1
    assert app.failures == []
    (interaction,) = load_cassette(app.save() or tmp_path).interactions
    assert interaction.response.client_closed
    assert not interaction.response.cut
    assert [e.raw for e in interaction.response.events or ()] == ["data: one\n\n"]


def test_a_target_cut_mid_stream_ends_the_relayed_body_cleanly(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "cut.json")
    with served:
        host = served.url.removeprefix("http://")
        answer = _chunked(served.url, f"GET /cut HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        assert client_ok(served.url)  # the proxy serves on after the cut
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    lines = head.lower().split(b"\r\n")
    assert b"transfer-encoding: chunked" in lines
    assert b"via: 1.1 nemokit-proxy" in lines
    assert body.endswith(b"\r\n0\r\n\r\n")  # the chunked body ends cleanly where the target died
    assert b"data: {" in body
    assert _relayed(app) == 1
    assert [(f["request"], f["kind"]) for f in app.failures] == [("GET /cut", "cut")]
    recorded = load_cassette(app.save() or tmp_path).interactions
    assert recorded[0].response.cut
    assert len(recorded[0].response.events or ()) == 2


def _chunked(url: str, request: bytes) -> bytes:
    """Send ``request``; the raw answer, read up to the end of its chunked body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while not data.endswith(b"\r\n0\r\n\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def client_ok(url: str) -> bool:
    data: object = httpx.get(url + "/ok").json()["data"]
    return data == {"ok": True}


def test_a_slow_client_pauses_the_relayed_stream_and_then_gets_all_of_it(
    target: FaultTarget, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lane reads no more of the target while a client's buffer is full (uvicorn's write
    marks), so a client that reads slowly never has the whole stream held in the proxy."""
    paused, resumed = threading.Event(), threading.Event()
    pause, resume = _Upstream.pause, _Upstream.resume

    def noted_pause(upstream: _Upstream) -> None:
        pause(upstream)
        paused.set()

    def noted_resume(upstream: _Upstream) -> None:
        resume(upstream)
        resumed.set()

    monkeypatch.setattr(_Upstream, "pause", noted_pause)
    monkeypatch.setattr(_Upstream, "resume", noted_resume)
    total = FLOOD_EVENTS * FLOOD_EVENT
    app, served = recording_proxy(target.url, tmp_path / "slow.json")
    with served:
        host, port = served.url.removeprefix("http://").split(":")
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
            sock.settimeout(30)
            sock.connect((host, int(port)))
            sock.sendall(f"GET /flood HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            data = bytearray(sock.recv(1024))  # the head; now the client reads nothing a while
            assert paused.wait(10)
            assert FLOOD_SENT[0] < total  # the target is held back, not read into the proxy
            assert not resumed.is_set()
            while not data.endswith(b"\r\n0\r\n\r\n"):
                chunk = sock.recv(1024 * 1024)
                assert chunk, "the stream ended early"
                data += chunk  # a bytearray: 32 MB read in small pieces without copying it all
    assert resumed.is_set()
    assert FLOOD_SENT[0] == total
    assert data.startswith(b"HTTP/1.1 200 ")
    assert data.count(b"data: ") == FLOOD_EVENTS  # every event, whole and in order
    assert _relayed(app) == 1
    assert app.failures == []
