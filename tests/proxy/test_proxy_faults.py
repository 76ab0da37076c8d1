"""The proxy in front of targets that misbehave: a clear 502 or a cleanly ended stream, the cut
noted in the cassette, other clients still served, and never a token on disk."""

from __future__ import annotations

import pathlib

import httpx
import pytest
from _targets import BIG, FLAKY_SEEN, TOKEN, FaultTarget, closed_port_url, recording_proxy

from conformance.cassettes._cassette import BinaryBody, load_cassette
from conformance.cassettes._redact import find_secrets
from conformance.proxy._lane import _Lane

pytestmark = [pytest.mark.socket]


def test_garbage_and_bad_header_bytes_get_a_502_and_others_are_still_served(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "faults.json")
    with served, httpx.Client(base_url=served.url) as client:
        for path in ("/garbage", "/bad-header"):
            answer = client.get(path)
            assert answer.status_code == 502
            assert answer.json()["code"] == 502
            assert "no usable answer" in answer.json()["message"]
            assert answer.json()["data"] is None
        assert client.get("/ok").json()["data"] == {"ok": True}
    assert app.stats.failed == 2
    assert app.stats.recorded == 1
    saved = app.save()
    assert saved is not None
    cassette = load_cassette(saved)
    assert [i.request.path for i in cassette.interactions] == ["/ok"]  # no made-up answers
    failures = cassette.extra["proxy"]["failures"]
    assert [f["request"] for f in failures] == ["GET /garbage", "GET /bad-header"]
    assert all(f["kind"] == "no answer" for f in failures)


def test_a_target_that_is_down_gets_a_502_naming_the_connection(tmp_path: pathlib.Path) -> None:
    app, served = recording_proxy(closed_port_url(), tmp_path / "down.json")
    with served, httpx.Client(base_url=served.url) as client:
        answer = client.post("/api/auth/anonymous-token", headers={"x-client-id": "a"})
        again = client.get("/api/credits/balance/simple")
    assert answer.status_code == again.status_code == 502
    assert "ConnectError" in answer.json()["message"]
    assert app.stats.summary().startswith("0 recorded, 0 replayed, 0 missed (2 failed")


def test_a_stream_cut_by_the_target_ends_cleanly_and_is_recorded_as_cut(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "cut.json")
    with served, httpx.Client(base_url=served.url) as client:
        with client.stream("POST", "/cut", json={"x": 1}) as stream:
            body = b"".join(stream.iter_bytes())  # a clean end: no exception here
        assert client.get("/ok").status_code == 200
    assert body == b'data: {"type": "text", "content": "one"}\n\n: ping\n\n'
    saved = app.save()
    assert saved is not None
    cut = load_cassette(saved).interactions[0].response
    assert cut.cut
    assert cut.events is not None
    assert len(cut.events) == 2
    assert app.failures[0]["kind"] == "cut"


@pytest.mark.slow
def test_a_100_mb_body_streams_through_while_others_are_served(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "big.json")
    with (
        served,
        httpx.Client(base_url=served.url) as client,
        httpx.Client() as other,
        client.stream("GET", "/big") as stream,
    ):
        chunks = stream.iter_raw()
        size = len(next(chunks))
        assert other.get(served.url + "/ok").status_code == 200  # mid-download
        size += sum(len(chunk) for chunk in chunks)
    assert size == BIG
    saved = app.save()
    assert saved is not None
    body = load_cassette(saved).interactions[0].response.body
    assert isinstance(body, BinaryBody)
    assert body.size == BIG
    assert body.data is None


def test_an_answer_declared_over_the_limit_is_refused(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "limit.json", max_body=1024 * 1024)
    with served, httpx.Client(base_url=served.url) as client:
        answer = client.get("/big")
    assert answer.status_code == 502
    assert "too big" in answer.json()["message"]
    assert app.failures[0]["kind"] == "too big"


def test_no_token_reaches_the_cassette_or_the_failure_notes(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "token.json")
    bearer = {"authorization": f"Bearer {TOKEN}"}
    with served, httpx.Client(base_url=served.url, headers=bearer) as client:
        assert client.get("/token").json()["data"]["token"] == TOKEN  # the client gets it
        assert client.get(f"/garbage?t={TOKEN}").status_code == 502
    saved = app.save()
    assert saved is not None
    text = saved.read_text(encoding="utf-8")
    assert find_secrets(text) == []
    assert "<TOKEN_1>" in text


def test_a_broken_connection_is_retried_once_for_a_get_and_never_for_a_post(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    FLAKY_SEEN.clear()
    app, served = recording_proxy(target.url, tmp_path / "flaky.json")
    with served, httpx.Client(base_url=served.url) as client:
        assert client.get("/flaky").json()["data"] == {"flaky": True}  # dropped, then answered
        posted = client.post("/flaky", json={"message": "start a turn"})  # dropped: a 502
    assert FLAKY_SEEN == {"GET": 2, "POST": 1}  # the POST reached the target once, never again
    assert posted.status_code == 502
    assert app.stats.recorded == 1
    assert app.stats.failed == 1
    lane = _Lane.of(app)  # both went by the fast lane (a POST with a small JSON body does)
    assert lane is not None
    assert lane.carried == 2


def test_a_client_that_leaves_mid_large_plain_answer_stops_the_download_and_is_noted(
    target: FaultTarget, tmp_path: pathlib.Path
) -> None:
    app, served = recording_proxy(target.url, tmp_path / "left.json")
    with served, httpx.Client(base_url=served.url) as client:
        with client.stream("GET", "/big") as stream:
            first = next(stream.iter_raw())  # the answer is over SMALL_ANSWER: handed on as read
        assert first
        assert client.get("/ok").json()["data"] == {"ok": True}  # the proxy still serves
    saved = app.save()
    assert saved is not None
    left, ok = load_cassette(saved).interactions
    assert left.request.path == "/big"
    assert left.response.client_closed  # the proxy stopped reading when its client left
    assert isinstance(left.response.body, BinaryBody)
    assert left.response.body.size < BIG
    assert ok.request.path == "/ok"
