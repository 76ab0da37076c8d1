"""The whole path a newcomer takes: ``nemokit mock`` in one process, the API commands in
another, over loopback with scaled time (``--time-scale 1000`` on both sides)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from importlib.metadata import version

import pytest
import uvicorn
from _cli_helpers import SECRETS
from _loopback import free_port, listening

from mockserver._media import tiny_mp4

pytestmark = [pytest.mark.socket, pytest.mark.slow]

COMMAND = [sys.executable, "-c", "from nemokit.cli import main; main()"]


@contextlib.contextmanager
def _mock(log: pathlib.Path, *extra: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    with log.open("wb") as sink:
        argv = [*COMMAND, "mock", "--port", str(port), "--time-scale", "1000", *extra]
        proc = subprocess.Popen(argv, stdout=sink, stderr=sink)
    try:
        deadline = time.monotonic() + 20
        while not listening(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"nemokit mock did not start: {log.read_text()[-500:]}")
            threading.Event().wait(0.05)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def _nemokit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_from_mock_to_a_finished_export_over_loopback(tmp_path: pathlib.Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(tiny_mp4())
    with _mock(tmp_path / "mock.log") as (url, proc):
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEMO")}
        env.update(
            NEMO_API_URL=url,
            NEMO_TIME_SCALE="1000",
            NEMOKIT_STATE_FILE=str(tmp_path / "session.json"),
            NEMO_CLIENT_ID="loopback-test",
            NO_COLOR="1",
        )
        steps = [
            ("connect",),
            ("upload", str(clip)),
            ("say", "trim the pauses, add transitions"),
            ("state",),
            ("export", "-o", str(tmp_path)),
            ("credits",),
        ]
        outputs = []
        for step in steps:
            done = _nemokit(env, *step)
            assert done.returncode == 0, (step, done.stdout, done.stderr)
            outputs.append(done.stdout + done.stderr)
        assert "✅ Connected and ready" in outputs[0]
        assert "✅ Video ready!" in outputs[4]
        saved = [p for p in tmp_path.iterdir() if p.name.startswith("render_")]
        assert saved
        assert saved[0].read_bytes()[4:8] == b"ftyp"
        for secret in SECRETS:
            assert all(secret not in output for output in outputs)
        proc.send_signal(signal.SIGINT)  # Ctrl-C stops the mock cleanly
        assert proc.wait(10) == 0
    log = (tmp_path / "mock.log").read_text()
    assert "Mock stopped." in log
    assert "Traceback" not in log
    # --server auto takes granian where installed, else uvicorn, whose "auto" picks uvloop and
    # httptools when they are installed: the banner says which.
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    if importlib.util.find_spec("granian"):
        assert f"Serving on granian {version('granian')} (HTTP in Rust), {loop}" in log
    else:
        parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
        assert f"Serving on uvicorn {uvicorn.__version__}, {loop}, {parser}" in log


def test_a_connection_dropped_by_a_fault_is_not_logged_as_a_crash(tmp_path: pathlib.Path) -> None:
    import httpx

    log = tmp_path / "mock.log"
    with _mock(log) as (url, proc):
        rule = {"method": "GET", "path": "/api/credits/balance/simple", "drop": True}
        httpx.post(f"{url}/__admin/faults", json=rule, timeout=10).raise_for_status()
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{url}/api/credits/balance/simple", timeout=10)
        assert httpx.get(f"{url}/__admin/requests", timeout=10).status_code == 200
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    output = log.read_text()
    assert "Mock stopped." in output
    assert "Traceback" not in output
    assert "DroppedConnection" not in output


def test_the_mock_flags_reach_the_running_mock(tmp_path: pathlib.Path) -> None:
    import httpx

    flags = [
        *("--sse-framing", "crlf", "--slow-turn-seconds", "1200", "--noise-rate", "0"),
        *("--render-fail-rate", "0.5", "--dialect", "simple", "--heartbeat", "comment"),
    ]
    with _mock(tmp_path / "mock.log", *flags) as (url, proc):
        config = httpx.get(f"{url}/__admin/config", timeout=10).json()
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    config = config.get("data", config)
    assert config["sse_framing"] == "crlf"
    assert config["slow_turn_seconds"] == 1200
    assert (config["noise_rate"], config["render_fail_rate"]) == (0, 0.5)
    assert (config["dialect"], config["heartbeat_form"]) == ("simple", "comment")
