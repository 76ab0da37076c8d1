"""``nemokit proxy`` as a process: SIGTERM with a stream open still writes a whole cassette and the
summary line; usage errors are sentences; nothing secret in what the process prints."""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from _loopback import free_port

from conformance.cassettes._cassette import load_cassette
from conformance.cassettes._redact import find_secrets
from conformance.drivers._live_mock import LiveMock
from mockserver._config import MockConfig
from nemokit import contract

pytestmark = [pytest.mark.socket, pytest.mark.slow]

COMMAND = [sys.executable, "-c", "from nemokit.cli import main; main()"]


@contextlib.contextmanager
def _proxy(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    argv = [*COMMAND, "proxy", "--port", str(port), *args]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"nemokit proxy did not start: {proc.communicate()[0][-500:]}")
            threading.Event().wait(0.05)  # waiting for a real process to listen
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_sigterm_with_a_stream_open_writes_the_cassette_whole(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rec.json"
    config = MockConfig().replace(slow_turn_seconds=600_000, heartbeat_interval=20)
    with LiveMock(config) as mock, _proxy("--target", mock.url, "--record", str(path)) as (url, p):
        with httpx.Client(base_url=url, timeout=30) as client:
            answer = client.post(contract.PATH_ANONYMOUS_TOKEN, headers={"x-client-id": "term"})
            token = answer.json()["data"]["token"]
            auth = {"authorization": f"Bearer {token}"}
            sid = client.post(contract.PATH_SESSION, json={"task_name": "p"}, headers=auth)
            balance = client.get(contract.PATH_CREDITS, headers=auth)  # on the fast lane
            body = {"app_name": "nemo_agent", "user_id": "me",
                    "session_id": sid.json()["data"]["session_id"],
                    "new_message": {"parts": [{"text": "add a title"}]}}  # fmt: skip
            with client.stream("POST", contract.PATH_RUN_SSE, json=body, headers=auth) as sse:
                chunks = sse.iter_raw()
                first = next(chunks)  # the turn is under way (it would last 10 minutes)
                p.send_signal(signal.SIGTERM)
                with contextlib.suppress(httpx.HTTPError):
                    for _ in chunks:
                        pass
        output = p.communicate(timeout=30)[0]
    assert first
    assert balance.json()["code"] == 0
    assert p.returncode == 0, output
    assert f"proxy: 4 recorded, 0 replayed, 0 missed; wrote {path}" in output
    cassette = load_cassette(path)
    paths = [i.request.path for i in cassette.interactions]
    assert paths[-2:] == [contract.PATH_CREDITS, contract.PATH_RUN_SSE]
    stream = cassette.interactions[-1].response
    assert stream.events
    assert stream.client_closed or stream.cut
    assert [f.name for f in tmp_path.iterdir()] == ["rec.json"]  # no temporary file left
    assert token not in output
    assert find_secrets(output + path.read_text(encoding="utf-8")) == []


def test_none_mode_serves_a_cassette_without_a_target_and_counts_misses(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "rec.json"
    with LiveMock() as mock, _proxy("--target", mock.url, "--record", str(path)) as (url, p):
        assert httpx.post(
            url + contract.PATH_ANONYMOUS_TOKEN, headers={"x-client-id": "n"}
        ).is_success
        p.send_signal(signal.SIGINT)
        assert "1 recorded" in p.communicate(timeout=30)[0]
    with _proxy("--record", str(path), "--mode", "none") as (url, p):
        again = httpx.post(url + contract.PATH_ANONYMOUS_TOKEN, headers={"x-client-id": "n"})
        miss = httpx.get(url + contract.PATH_CREDITS)
        p.send_signal(signal.SIGINT)
        output = p.communicate(timeout=30)[0]
    assert again.json()["data"]["token"] == "<TOKEN_1>"  # what the cassette holds
    assert miss.status_code == 404
    assert "proxy: 0 recorded, 1 replayed, 1 missed" in output
    assert "no recorded answer for GET /api/credits/balance/simple" in output  # the log names it
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give --target URL to forward to, or --record FILE --mode none"),
        (("--record", "x.json", "--mode", "all"), "record mode 'all' sends to the target"),
        (("--record", "missing.json", "--mode", "none"), "no such cassette"),
        (("--target", "ftp://x"), "use an http:// or https:// URL"),
    ],
)
def test_usage_errors_are_sentences(
    tmp_path: pathlib.Path, args: tuple[str, ...], message: str
) -> None:
    done = subprocess.run([*COMMAND, "proxy", *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60, check=False, env=dict(os.environ))  # fmt: skip
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
