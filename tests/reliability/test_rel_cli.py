"""The CLI under hostile input: bad arguments, unreadable files, broken state files, junk
cassettes. Each ends with a sentence and an exit code: no traceback, no token, no hang."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator

import pytest
from _relkit import secrets_in
from click.testing import CliRunner, Result

from mockserver import MockServer, StreamingTransport
from mockserver._config import MockConfig
from nemokit._clock import VirtualClock
from nemokit.cli import Runtime, cli

API = "http://mock.rel.test"


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    clock = VirtualClock()
    server = MockServer(MockConfig(silent_rate=0.0, noise_rate=0.0), clock)
    transport = StreamingTransport(server.app)
    yield Runtime(transport=transport, clock=clock, open_url=lambda url: True)
    transport.close()


def _invoke(runtime: Runtime, state: pathlib.Path, *args: str, stdin: str | None = None) -> Result:
    env = {
        "NEMOKIT_STATE_FILE": str(state),
        "NEMO_API_URL": API,
        "NEMO_CLIENT_ID": "rel-cli",
        "NEMO_TOKEN": None,
        "NEMO_TIME_SCALE": None,
        "NEMO_WEB_URL": None,
    }
    result = CliRunner().invoke(cli, list(args), obj=runtime, env=env, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        result.output,
        repr(result.exception),
    )
    assert "Traceback" not in result.output
    assert secrets_in(result.output) == [], result.output
    return result


_BAD_ARGS: list[list[str]] = [
    ["no-such-command"],
    ["say"],
    ["say", ""],
    ["say", "   "],
    ["upload"],
    ["upload", "/definitely/not/here.mp4"],
    ["upload", "notes.txt"],
    ["upload", "ftp://example.test/a.mp4"],
    ["export", "--time-scale", "0"],
    ["export", "--time-scale", "-1"],
    ["export", "--time-scale", "abc"],
    ["credits", "--api-url", "not a url"],
    ["state", "--unknown-flag"],
    ["say", "\udcff"],
    ["say", "x" * 200_000],
    ["cassettes", "verify", "/no/such/cassette.json"],
]


@pytest.mark.parametrize("args", _BAD_ARGS, ids=lambda a: " ".join(a)[:30])
def test_bad_arguments_end_with_a_sentence(
    runtime: Runtime, tmp_path: pathlib.Path, args: list[str]
) -> None:
    result = _invoke(runtime, tmp_path / "s.json", *args)
    if result.exit_code != 0:
        assert result.output.strip(), "a failure with nothing said"


_STATE_FILES: list[bytes] = [
    b"",
    b"\x00\xff\xfe garbage",
    b"[1, 2, 3]",
    b'{"api_url": 5, "session_id": ["x"]}',
    b'{"token": "nmv_usr_leaked", "session_id": "1"}',
    b"{" * 100_000,
    b'{"session_id": "' + b"9" * 1_000_000 + b'"}',
]


@pytest.mark.parametrize("content", _STATE_FILES, ids=lambda c: repr(c)[:20])
@pytest.mark.parametrize("command", ["credits", "state"])
def test_broken_state_files_are_reset_or_named(
    runtime: Runtime, tmp_path: pathlib.Path, content: bytes, command: str
) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(content)
    _invoke(runtime, state, command)


def test_a_state_file_that_is_a_directory_or_unreadable(
    runtime: Runtime, tmp_path: pathlib.Path
) -> None:
    folder = tmp_path / "dir.json"
    folder.mkdir()
    _invoke(runtime, folder, "credits")
    locked = tmp_path / "locked.json"
    locked.write_text("{}")
    locked.chmod(0)
    try:
        _invoke(runtime, locked, "credits")
    finally:
        if locked.exists():  # the CLI may have reset it
            locked.chmod(0o600)


def test_an_unreadable_upload_file(runtime: Runtime, tmp_path: pathlib.Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 10)
    clip.chmod(0)
    try:
        result = _invoke(runtime, tmp_path / "s.json", "upload", str(clip))
    finally:
        clip.chmod(0o600)
    if os.geteuid() != 0:  # root reads it anyway
        assert result.exit_code != 0


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"[]", b'{"version": 99, "interactions": []}', b"\xff\xfe", b"[" * 100_000],
    ids=["empty", "broken", "array", "version", "utf16", "deep"],
)
def test_junk_cassettes_are_named(runtime: Runtime, tmp_path: pathlib.Path, content: bytes) -> None:
    cassette = tmp_path / "junk.json"
    cassette.write_bytes(content)
    result = _invoke(runtime, tmp_path / "s.json", "cassettes", "verify", str(cassette))
    assert result.exit_code != 0
    assert "junk.json" in result.output
