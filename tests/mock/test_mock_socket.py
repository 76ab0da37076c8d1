"""/run_sse over a real socket (uvicorn on 127.0.0.1): streaming, cuts, drops, disconnects.

Each test runs on both server stacks the mock may get: pure Python (asyncio, h11) and the fast one
the mock extra installs where it builds (uvloop, httptools). They parse, flush and notice a
client's disconnect in different code, so each is asked.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from mockserver import MockServer
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._clock import ScaledClock

pytestmark = pytest.mark.socket


class Running:
    """A MockServer served by uvicorn in a thread, on a port the OS chose."""

    def __init__(self, server: MockServer, loop: str = "auto", http: str = "auto") -> None:
        self.mock = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(
            server.app, log_level="critical", lifespan="off", loop=loop, http=http
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})

    def __enter__(self) -> Running:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            threading.Event().wait(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


STACKS = [
    pytest.param(("asyncio", "h11"), id="asyncio-h11"),
    pytest.param(("uvloop", "httptools"), id="uvloop-httptools"),
]


@pytest.fixture(params=STACKS)
def running(request: pytest.FixtureRequest) -> Iterator[Running]:
    loop, http = request.param
    for module in {loop, http} - {"asyncio", "h11"}:
        pytest.importorskip(module, reason=f"{module} is not installed on this platform")
    clock = ScaledClock(scale=1000)
    config = MockConfig(silent_rate=0.0, noise_rate=0.0, heartbeat_interval=20.0)
    with Running(MockServer(config, clock), loop, http) as server:
        yield server


def _user(http: httpx.Client) -> tuple[dict[str, str], str]:
    token = http.post(contract.PATH_ANONYMOUS_TOKEN, headers={"X-Client-Id": "sock"}).json()
    headers = {"Authorization": f"Bearer {token['data']['token']}"}
    sid = http.post(contract.PATH_SESSION, headers=headers, json={"task_name": "p"}).json()
    return headers, sid["data"]["session_id"]


def _body(sid: str, text: str) -> dict[str, object]:
    return {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": sid,
        "new_message": {"parts": [{"text": text}]},
    }


def test_events_arrive_as_the_app_sends_them(running: Running) -> None:
    with httpx.Client(base_url=running.url, timeout=30) as http:
        headers, sid = _user(http)
        arrivals: list[float] = []
        with http.stream(
            "POST",
            contract.PATH_RUN_SSE,
            headers=headers,
            json=_body(sid, "generate a video of waves"),
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            for chunk in response.iter_raw():
                if chunk:
                    arrivals.append(time.monotonic())
        # a generation lasts 100-300 virtual s (>= 100 ms here): the first heartbeat (20 s)
        # must come well before the end, not all at once
        assert len(arrivals) > 3
        assert arrivals[-1] - arrivals[0] > 0.05


def test_stream_cut_breaks_the_connection(running: Running) -> None:
    with httpx.Client(base_url=running.url, timeout=30) as http:
        headers, sid = _user(http)
        running.mock.faults.add(path=contract.PATH_RUN_SSE, cut_after=1)
        with (
            pytest.raises(httpx.RemoteProtocolError),
            http.stream(
                "POST", contract.PATH_RUN_SSE, headers=headers, json=_body(sid, "hello there")
            ) as response,
        ):
            for _ in response.iter_raw():
                pass


def test_dropped_connection_breaks_the_body(running: Running) -> None:
    with httpx.Client(base_url=running.url, timeout=30) as http:
        headers, _ = _user(http)
        running.mock.faults.add(path=contract.PATH_CREDITS, drop=True)
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(contract.PATH_CREDITS, headers=headers)
        assert http.get(contract.PATH_CREDITS, headers=headers).json()["code"] == 0


def test_a_disconnect_reaches_the_app_and_the_edit_still_lands(running: Running) -> None:
    with httpx.Client(base_url=running.url, timeout=30) as http:
        headers, sid = _user(http)
        files = {"files": ("street.mp4", b"\x00" * 100, "video/mp4")}
        http.post(contract.PATH_UPLOAD.format(sid=sid), headers=headers, files=files)
        before = http.get(contract.PATH_STATE.format(sid=sid), headers=headers).json()
        running.mock.configure(duration_scale=100.0)  # a long turn: minutes of real time
        with http.stream(
            "POST", contract.PATH_RUN_SSE, headers=headers, json=_body(sid, "add transitions")
        ) as response:
            next(response.iter_raw())
        entry = running.mock.journal.entries(path=contract.PATH_RUN_SSE)[0]
        deadline = time.monotonic() + 5
        while not entry.completed and time.monotonic() < deadline:
            threading.Event().wait(0.01)
        assert entry.completed, "the app never learnt that the client went away"
        assert isinstance(running.mock.clock, ScaledClock)
        running.mock.clock.advance(100 * 60.0)
        after = http.get(contract.PATH_STATE.format(sid=sid), headers=headers).json()
        assert after["data"]["state"]["draft"] != before["data"]["state"]["draft"]
