"""What the proxy's client (aiohttp under an httpx transport) must leave alone: the client's
headers reach the target as sent and nothing is added; answers pass undecoded and unfollowed; no
cookie outlives the request it came with; a body that stops short is noted as cut."""

from __future__ import annotations

import pathlib
import socket

import httpx
import pytest
from _targets import GZIPPED, FaultTarget, recording_proxy

from conformance.cassettes._cassette import JsonBody, load_cassette
from conformance.proxy import proxy_timeout
from conformance.proxy._aiohttp_transport import _key, _timeout
from nemokit import contract

pytestmark = [pytest.mark.socket]


def _raw_get(url: str, path: str, headers: list[tuple[str, str]]) -> bytes:
    """GET with exactly these header lines (no client library adds any); the answer's body."""
    host, port = url.removeprefix("http://").split(":")
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer.split(b"\r\n\r\n", 1)[1]


def _header_lines(head: bytes) -> list[tuple[str, str]]:
    """The echoed request head's header lines, names lowercased, values as sent."""
    lines = head.decode("latin-1").split("\r\n")[1:]
    pairs = [line.split(":", 1) for line in lines if line]
    return [(name.lower(), value.strip()) for name, value in pairs]


def test_the_clients_headers_reach_the_target_unchanged_and_nothing_is_added(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    sent = [
        ("Authorization", "Bearer nmv_usr_NotARealTokenForTheTest1"),
        (contract.HEADER_CLIENT_ID, "client-7"),
        ("X-Skill-Name", "nemo-edit"),
        ("X-Skill-Version", "1.2.3"),
        ("User-Agent", "my-node-client/4.0 (linux)"),
        ("Accept-Encoding", "br"),
    ]
    target_host = target.url.removeprefix("http://")
    _, served = recording_proxy(target.url, tmp_path / "headers.json")
    with served:
        full = _header_lines(_raw_get(served.url, "/echo", sent))
        bare = _header_lines(_raw_get(served.url, "/echo", [("X-Skill-Name", "nemo-edit")]))
    via = ("via", "1.1 nemokit-proxy")
    expected = [(name.lower(), value) for name, value in sent]
    # Connection is hop-by-hop (dropped); Host names the target; Via says a proxy passed.
    assert sorted(full) == sorted([("host", target_host), *expected, via])
    # A client that sends no User-Agent, Accept or Accept-Encoding: none appears on the way.
    assert sorted(bare) == sorted([("host", target_host), ("x-skill-name", "nemo-edit"), via])


def test_a_body_announced_with_expect_100_continue_is_forwarded_at_once(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    _, served = recording_proxy(target.url, tmp_path / "expect.json")
    body = b'{"task_name": "project"}'
    host, port = served.url.removeprefix("http://").split(":")
    head = (f"POST /echo HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
            f"Expect: 100-continue\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()  # fmt: skip
    with served, socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + body)  # the body at once, as a client may (RFC 9110 10.1.1)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    echoed = _header_lines(answer[answer.index(b"POST /echo") :])  # the body: the target's view
    # The proxy met the expectation (its server answered 100); the target gets the body whole.
    assert ("content-length", str(len(body))) in echoed
    assert "expect" not in [name for name, _ in echoed]


def test_a_gzip_answer_passes_as_its_gzip_bytes_and_is_recorded_decoded(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "gzip.json")
    with (
        served,
        httpx.Client(base_url=served.url) as client,
        client.stream("GET", "/gzip") as answer,
    ):
        raw = b"".join(answer.iter_raw())
        encoding = answer.headers["content-encoding"]
    assert (encoding, raw) == ("gzip", GZIPPED)  # not decoded on the way
    saved = app.save()
    assert saved is not None
    body = load_cassette(saved).interactions[0].response.body
    assert isinstance(body, JsonBody)
    assert body.value == {"code": 0, "message": "success", "data": {"zipped": True}}


def test_a_redirect_is_handed_to_the_client_not_followed(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "redirect.json")
    with served, httpx.Client(base_url=served.url) as client:
        answer = client.get("/redirect")
    assert (answer.status_code, answer.headers["location"]) == (302, "/ok")
    saved = app.save()
    assert saved is not None
    assert [i.request.path for i in load_cassette(saved).interactions] == ["/redirect"]


def test_a_cookie_set_for_one_request_never_goes_out_with_another(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    _, served = recording_proxy(target.url, tmp_path / "cookie.json")
    with served:
        with httpx.Client(base_url=served.url) as first:
            assert "sid=secret-of-one-user" in first.get("/cookie").headers["set-cookie"]
        later = _header_lines(_raw_get(served.url, "/echo", []))
    assert [name for name, _ in later if name == "cookie"] == []


def test_a_body_that_stops_before_its_length_is_noted_cut_and_others_are_served(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "short.json")
    with served, httpx.Client(base_url=served.url) as client:
        with pytest.raises(httpx.RemoteProtocolError):  # never a whole-looking answer
            client.get("/short")
        assert client.get("/ok").json()["data"] == {"ok": True}
    saved = app.save()
    assert saved is not None
    short, ok = load_cassette(saved).interactions
    assert (short.request.path, short.response.cut) == ("/short", True)
    assert (ok.request.path, ok.response.cut) == ("/ok", False)
    assert app.failures[0]["kind"] == "cut"


def test_the_wait_for_the_next_bytes_fits_a_whole_turn() -> None:
    timeout = _timeout(_key(proxy_timeout().as_dict()))
    assert timeout.total is None  # a turn's stream may last 15 minutes
    assert timeout.sock_read is not None
    assert timeout.sock_read > contract.TURN_LIMIT
