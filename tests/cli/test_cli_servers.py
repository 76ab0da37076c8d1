"""``nemokit mock`` on each HTTP server it can run on (``--server granian`` and ``uvicorn``).

The two differ where the mock leans on its server: a turn's stream must reach the client while
the turn works, a fault that breaks a connection must break it, Ctrl-C with a stream open must
stop the mock, and an ``X-Forwarded-For`` header from a loopback client must not pick the
address the per-IP token limit counts (the mock decides that, by ``--trust-forwarded``).

Each test runs the real command in a subprocess on a free loopback port, at a time scale of
1000 (what the mock does is asked through its journal, never by timing it).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import httpx
import pytest
from _loopback import free_port, listening

from nemokit import contract
from nemokit.cli._servers import _OpenResponses

SERVERS = [
    pytest.param("uvicorn", id="uvicorn"),
    pytest.param(
        "granian",
        id="granian",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("granian") is None, reason="granian is not installed"
        ),
    ),
]
START_TIMEOUT = 20.0


@dataclass
class Mock:
    url: str
    process: subprocess.Popen[bytes]
    out: IO[bytes]
    err: IO[bytes]

    def stdout(self) -> str:
        self.out.seek(0)
        return self.out.read().decode(errors="replace")

    def stderr(self) -> str:
        self.err.seek(0)
        return self.err.read().decode(errors="replace")


@contextlib.contextmanager
def nemokit_mock(server: str, *flags: str) -> Iterator[Mock]:
    """``nemokit mock --server SERVER`` on a free port; its output goes to files (a pipe nobody
    reads could fill up and block it)."""
    port = free_port()
    command = [sys.executable, "-c", "from nemokit.cli import main; main()", "mock",
               "--server", server, "--port", str(port), "--time-scale", "1000", *flags]  # fmt: skip
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err)
        mock = Mock(f"http://127.0.0.1:{port}", process, out, err)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not listening(port):
                if process.poll() is not None:
                    pytest.fail(f"nemokit mock exited with {process.returncode}: {mock.stderr()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"nemokit mock did not listen within {START_TIMEOUT:g} s")
                threading.Event().wait(0.05)
            yield mock
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)


def _token(client: httpx.Client, client_id: str = "servers-test", **headers: str) -> httpx.Response:
    return client.post(
        contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: client_id, **headers}
    )


def _session(client: httpx.Client) -> tuple[dict[str, str], str]:
    token = _token(client).json()["data"]["token"]
    auth = {contract.HEADER_AUTHORIZATION: f"Bearer {token}"}
    answer = client.post(contract.PATH_SESSION, headers=auth, json={"task_name": "servers"})
    return auth, answer.json()["data"]["session_id"]


def _first_turn(client: httpx.Client) -> contextlib.AbstractContextManager[httpx.Response]:
    """A new session's first turn, its event stream open (use it in a ``with``)."""
    auth, sid = _session(client)
    body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
            "new_message": {"parts": [{"text": "add a title hi"}]}, "streaming": True}  # fmt: skip
    headers = {**auth, "Accept": "text/event-stream"}
    return client.stream("POST", contract.PATH_RUN_SSE, headers=headers, json=body)


def _turn_entries(client: httpx.Client) -> list[dict[str, Any]]:
    found = client.get("/__admin/requests", params={"path": contract.PATH_RUN_SSE})
    entries: list[dict[str, Any]] = found.json()["requests"]
    return entries


@pytest.mark.parametrize("server", SERVERS)
def test_the_start_up_line_names_the_server_and_ctrl_c_stops_it(server: str) -> None:
    with nemokit_mock(server) as mock:
        mock.process.send_signal(signal.SIGINT)
        assert mock.process.wait(15) == 0
        out = mock.stdout()
    assert f"Serving on {server} " in out
    assert out.rstrip().endswith("Mock stopped.")


@pytest.mark.parametrize("server", SERVERS)
def test_a_turn_streams_while_it_works(server: str) -> None:
    # A 20-minute turn with a heartbeat every 20 virtual seconds: 1.2 s of real time.
    with (
        nemokit_mock(server, "--slow-turn-seconds", "1200") as mock,
        httpx.Client(base_url=mock.url, timeout=30) as client,
    ):
        with _first_turn(client) as stream:
            chunks = stream.iter_raw()
            first = next(chunks)
            # The first chunk is here while the turn still works: nothing was held back.
            (entry,) = _turn_entries(client)
            assert entry["completed"] is False
            rest = b"".join(chunks)
        (entry,) = _turn_entries(client)
    assert first.strip()
    # (whether it is marked completed yet races the client reading the stream's last bytes)
    assert (entry["status"], entry["error"]) == (200, None)
    assert b'"text"' in rest  # the reply came at the end of the same stream


@pytest.mark.parametrize("server", SERVERS)
def test_a_drop_fault_breaks_the_connection_and_the_mock_goes_on(server: str) -> None:
    with nemokit_mock(server) as mock:
        with httpx.Client(base_url=mock.url, timeout=30) as client:
            auth, _ = _session(client)
            rule = {"method": "GET", "path": contract.PATH_CREDITS, "drop": True}
            assert client.post("/__admin/faults", json=rule).status_code == 201
            with pytest.raises(httpx.RemoteProtocolError):
                client.get(contract.PATH_CREDITS, headers=auth)
            assert client.get(contract.PATH_CREDITS, headers=auth).json()["code"] == 0
        logged = mock.stdout() + mock.stderr()
    assert "Traceback" not in logged, logged[-2000:]


@pytest.mark.parametrize("server", SERVERS)
def test_forwarded_for_from_loopback_does_not_pick_the_address(server: str) -> None:
    with nemokit_mock(server) as mock, httpx.Client(base_url=mock.url, timeout=30) as client:
        answers = [_token(client, f"client-{i}", **{"X-Forwarded-For": f"198.51.100.{i}"})
                   for i in range(11)]  # fmt: skip
    assert [a.status_code for a in answers] == [200] * 10 + [429]


@pytest.mark.parametrize("server", SERVERS)
def test_ctrl_c_with_a_turn_streaming_stops_the_mock(server: str) -> None:
    # A turn of 15 virtual minutes at scale 1000 would hold the stream for 0.9 s; 1e6 virtual
    # seconds hold it for the whole test, so only the stop can end it.
    with nemokit_mock(server, "--slow-turn-seconds", "1000000") as mock:
        with (
            httpx.Client(base_url=mock.url, timeout=30) as client,
            _first_turn(client) as stream,
        ):
            chunks = stream.iter_raw()
            assert next(chunks).strip()
            mock.process.send_signal(signal.SIGINT)
            with contextlib.suppress(httpx.HTTPError):
                for _ in chunks:  # the stream ends (cleanly or cut) once the mock stops
                    pass
        assert mock.process.wait(15) == 0
        out, errors = mock.stdout(), mock.stderr()
    assert out.rstrip().endswith("Mock stopped.")
    assert "Traceback" not in out + errors, (out + errors)[-2000:]


# --- choosing the server and reading its log lines (no server started) --------------------------


def test_auto_takes_granian_where_installed_and_uvicorn_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nemokit.cli import _servers

    monkeypatch.setattr(_servers, "_installed", lambda module: True)
    assert _servers.pick_server("auto") == "granian"
    monkeypatch.setattr(_servers, "_installed", lambda module: module != "granian")
    assert _servers.pick_server("auto") == "uvicorn"
    with pytest.raises(ValueError, match=r"granian is not installed: pip install granian"):
        _servers.pick_server("granian")
    assert _servers.pick_server("uvicorn") == "uvicorn"


def test_a_logged_traceback_is_known_by_its_exception_name() -> None:
    import logging

    from nemokit.cli._servers import raised

    def record(message: str, exc: BaseException | None = None) -> logging.LogRecord:
        info = (type(exc), exc, None) if exc is not None else None
        return logging.LogRecord("x", logging.ERROR, __file__, 1, message, None, info)

    granian = (
        "Application callable raised an exception\nTraceback (most recent call last):\n"
        '  File "x.py", line 1, in f\nmockserver.state._faults.DroppedConnection: on purpose'
    )
    assert raised(record(granian)) == "DroppedConnection"
    assert raised(record("Exception in ASGI application", KeyError("k"))) == "KeyError"
    assert raised(record("a line that names no exception")) is None
    assert raised(record("Traceback (most recent call last):\n  ... 3 frames hidden ...")) is None


def test_a_stop_finds_the_tasks_inside_the_app_and_only_those() -> None:
    class App:
        def __init__(self, gate: asyncio.Event) -> None:
            self.gate = gate

        async def __call__(self, scope: object, receive: object, send: object) -> None:
            await self.gate.wait()

    async def main() -> None:
        gate = asyncio.Event()
        app = App(gate)

        async def served() -> None:  # as granian's watcher awaits the app
            await app(None, None, None)

        async def elsewhere() -> None:
            await gate.wait()

        inside, outside = asyncio.create_task(served()), asyncio.create_task(elsewhere())
        await asyncio.sleep(0)
        assert _OpenResponses(app).tasks() == [inside]
        gate.set()
        await asyncio.gather(inside, outside)
        assert _OpenResponses(app).tasks() == []

    asyncio.run(main())
