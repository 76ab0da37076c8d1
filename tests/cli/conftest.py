"""Fixtures: the CLI run in process against a MockServer, client and mock on one virtual clock."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from _cli_helpers import API, SECRETS, InterruptingClock, Run
from click.testing import CliRunner, Result

from mockserver import MockServer, StreamingTransport
from mockserver._config import MockConfig
from mockserver._media import tiny_mp4
from nemokit.cli import Runtime, cli


@pytest.fixture
def clock() -> InterruptingClock:
    return InterruptingClock()


@pytest.fixture
def server(clock: InterruptingClock) -> MockServer:
    return MockServer(MockConfig(silent_rate=0.0, noise_rate=0.0), clock)


@pytest.fixture
def opened() -> list[str]:
    """The links the CLI asked the browser to open."""
    return []


@pytest.fixture
def runtime(server: MockServer, clock: InterruptingClock, opened: list[str]) -> Iterator[Runtime]:
    transport = StreamingTransport(server.app)

    def open_url(url: str) -> bool:
        opened.append(url)
        return True

    yield Runtime(transport=transport, clock=clock, open_url=open_url)
    transport.close()


@pytest.fixture
def state_file(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "state" / "cli-session.json"


@pytest.fixture
def clip(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(tiny_mp4())
    return path


@pytest.fixture
def run(runtime: Runtime, state_file: pathlib.Path) -> Run:
    """``run("say", "hi", input=..., secrets_ok=False)``: invoke ``nemokit`` in process."""

    def invoke(*args: str, input: str | None = None, secrets_ok: bool = False, **kw: Any) -> Result:
        env = {
            "NEMOKIT_STATE_FILE": str(state_file),
            "NEMO_API_URL": API,
            "NEMO_CLIENT_ID": "cli-test-client",
            "NEMO_TOKEN": None,
            "NEMO_TIME_SCALE": None,
            "NEMO_WEB_URL": None,
        }
        result = CliRunner().invoke(
            cli, list(args), obj=kw.get("obj", runtime), env=env, input=input
        )
        # A user error is a sentence and an exit code, never a traceback.
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        if not secrets_ok:
            for secret in SECRETS:
                assert secret not in result.output, result.output
        return result

    return invoke
