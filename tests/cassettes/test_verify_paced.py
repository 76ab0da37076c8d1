"""verify against a served mock: the recording's pauses kept, so an identical server is quiet."""

from __future__ import annotations

import contextlib
import pathlib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest
from _loopback import free_port

from conformance.cassettes._cassette import Interaction, RecordedRequest, RecordedResponse, load_cassette
from conformance.drivers._live_mock import LiveMock
from conformance.cassettes._verify import verify_cassette
from conformance.cassettes._verify_target import Target, recorded_config

CASSETTES = pathlib.Path(__file__).resolve().parents[2] / "cassettes"
FILES = sorted(CASSETTES.glob("*.json"))


COMMAND = [sys.executable, "-c", "from nemokit.cli import main; main()"]


@contextlib.contextmanager
def _served(scale: float, tmp: pathlib.Path) -> Iterator[str]:
    """``nemokit mock --time-scale SCALE`` in its own process, on a free loopback port."""
    port = free_port()
    with (tmp / f"mock-{scale:g}.log").open("wb") as sink:
        argv = [*COMMAND, "mock", "--port", str(port), "--time-scale", f"{scale:g}"]
        proc = subprocess.Popen(argv, stdout=sink, stderr=sink)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                for _ in range(300):  # the process imports, then listens (a few seconds at most)
                    with contextlib.suppress(httpx.TransportError):
                        client.get("/__admin/clock")
                        break
                    assert proc.poll() is None, (tmp / f"mock-{scale:g}.log").read_text()
                    threading.Event().wait(0.05)  # polling a real process for its start
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(10)


@pytest.fixture(scope="module")
def pooled() -> Iterator[httpx.HTTPTransport]:
    transport = httpx.HTTPTransport()
    yield transport
    transport.close()


@pytest.mark.socket
@pytest.mark.parametrize("scale", [1000.0, 10000.0])
def test_every_committed_cassette_verifies_clean_against_nemokit_mock(
    scale: float, pooled: httpx.HTTPTransport, tmp_path: pathlib.Path
) -> None:
    # One default `nemokit mock` on loopback: verify sets it up like each recording's (settings,
    # seed, faults) and drives its clock to each request's recorded time.
    with _served(scale, tmp_path) as url:
        found = {
            path.stem: [str(d) for d in verify_cassette(
                load_cassette(path), source=path.name, against=url, transport=pooled
            )]
            for path in FILES
        }  # fmt: skip
        clock = httpx.get(f"{url}/__admin/clock").json()
    assert {name: diffs for name, diffs in found.items() if diffs} == {}
    assert clock["scale"] == scale  # given back


@pytest.mark.socket
def test_a_mock_left_as_it_is_shows_the_other_configuration(
    pooled: httpx.HTTPTransport,
) -> None:
    # --keep-config: the default mock has no fault, so the recorded 429 is a difference: the
    # reason verify sets a mock up like the recording's.
    cassette = load_cassette(CASSETTES / "error_429.json")
    with LiveMock(scale=10000.0) as live:
        found = verify_cassette(cassette, against=live.url, transport=pooled, configure=False)
    assert (found[0].aspect, found[0].detail) == ("status", "429 recorded, 200 live")


def _interaction(at: float, *, stream: bool = False) -> Interaction:
    events = () if stream else None
    return Interaction(RecordedRequest("GET", "/x"), RecordedResponse(200, events=events), at=at)


def _no_admin(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"code": 404})


def test_a_server_without_admin_is_waited_for_by_the_recorded_pauses_scaled() -> None:
    real, waits = [0.0], []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        real[0] += seconds

    with httpx.Client(transport=httpx.MockTransport(_no_admin), base_url="http://x") as client:
        target = Target.discover(client, time_scale=100.0, sleep=sleep)
        target.monotonic = lambda: real[0]
        assert (target.scale, target.admin, target.drive) == (100.0, False, False)
        target.before(_interaction(10.0))  # the first request: the origin
        target.before(_interaction(40.0))  # 30 s later: 0.3 s real
        real[0] += 0.5  # a slow answer: the next request is late
        target.before(_interaction(70.0))  # sent at once, and the pauses kept from here
        target.before(_interaction(71.0))
    assert waits == pytest.approx([0.3, 0.01])


def test_a_mock_clock_is_driven_to_each_recorded_time() -> None:
    calls: list[tuple[str, str]] = []
    now = [500.0]

    def mock(request: httpx.Request) -> httpx.Response:
        body = request.content.decode()
        calls.append((request.url.path, body))
        if request.url.path == "/__admin/clock/advance":
            now[0] += float(body.split(":")[1].strip(" }"))
        return httpx.Response(200, json={"now": now[0], "kind": "ScaledClock", "scale": 1000.0})

    with httpx.Client(transport=httpx.MockTransport(mock), base_url="http://x") as client:
        target = Target.discover(client, sleep=lambda _: pytest.fail("a driven clock never waits"))
        target.monotonic = lambda: 0.0  # no real time passes in this test
        assert (target.scale, target.drive) == (1000.0, True)
        target.before(_interaction(0.0))
        target.before(_interaction(30.0, stream=True), next_at=45.0)
        target.opened()  # the stream is moved on to where the next request came
        target.after(_interaction(30.0, stream=True))
        target.before(_interaction(45.0))
        target.close()
    paths = [path for path, _ in calls]
    assert paths == [
        "/__admin/clock",  # discover
        "/__admin/clock/scale",  # real time between requests
        "/__admin/clock/advance",  # to 30 s
        "/__admin/clock/advance",  # the stream: to 45 s
        "/__admin/clock/scale",  # the mock's own scale given back
    ]
    assert now[0] == pytest.approx(545.0)


def test_the_recorded_config_is_the_whole_config_without_the_admin_switch() -> None:
    cassette = load_cassette(CASSETTES / "wire_adk_cr_comment.json")
    config = recorded_config(cassette)
    assert config["sse_framing"] == "cr"
    assert config["heartbeat_form"] == "comment"
    assert config["seed"] == cassette.seed
    assert config["silent_rate"] == 0.0  # the default mock's 0.3 does not leak in
    assert "admin" not in config
