"""The kit's commands (mock, record, cassettes verify, conformance), the demo and the help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import click
import pytest
from _cli_helpers import SECRETS
from click.testing import CliRunner

from nemokit import contract
from nemokit.cli import cli
from nemokit.cli._lazy import LazyEntry, lazy_command
from nemokit.cli._mock_cmd import banner, mock_config


def _nemokit(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "NEMOKIT"))}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-c", "from nemokit.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_help_lists_every_command_and_the_exit_codes() -> None:
    done = _nemokit("--help")
    assert done.returncode == 0
    for name in (
        "connect",
        "chat",
        "say",
        "upload",
        "credits",
        "state",
        "export",
        "claim",
        "mock",
        "record",
        "cassettes",
        "conformance",
        "skill",
        "demo",
    ):
        assert f"\n  {name} " in done.stdout
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "130"):
        assert f"\n    {code}" in done.stdout


def test_demo_runs_the_quick_edit_in_a_few_seconds() -> None:
    started = time.perf_counter()
    done = _nemokit("demo")
    assert done.returncode == 0, done.stderr
    assert time.perf_counter() - started < 20
    out = done.stdout
    steps = [
        "✅ Connected and ready",
        "✅ Uploaded: clip.mp4",
        "Nemo: ",
        "⏳ Rendering ~30s",
        "✅ Video ready!",
        'Title: "Urban Dreams"',
        "Credits: ",
    ]
    positions = [out.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "[+01:" in out  # the waits, in virtual time
    assert "Traceback" not in done.stderr
    for secret in SECRETS:
        assert secret not in out + done.stderr


def test_demo_in_process_json_has_a_silent_turn_and_two_exports() -> None:
    result = CliRunner().invoke(cli, ["demo", "--json", "--seed", "3"])
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [o["kind"] for o in objects]
    assert kinds.count("video_ready") == 2
    assert "changes" in kinds
    assert objects[-1]["kind"] == "demo"
    assert objects[-1]["problems"] == 0
    assert objects[-1]["virtual_seconds"] > 60


def test_mock_help_explains_every_option() -> None:
    result = CliRunner().invoke(cli, ["mock", "--help"])
    assert result.exit_code == 0
    for option in (
        "--host",
        "--port",
        "--time-scale",
        "--seed",
        "--dialect",
        "--error-style",
        "--heartbeat",
        "--heartbeat-interval",
        "--silent-rate",
        "--sse-framing",
        "--slow-turn-seconds",
        "--noise-rate",
        "--render-fail-rate",
        "--partial-text",
        "--no-admin",
        "--admin-token",
        "--trust-forwarded",
        "--redact-journal",
    ):
        assert option in result.output
    assert "NEMO_MOCK_ADMIN_TOKEN" in result.output
    assert "Virtual seconds per real second" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--dialect", "xml"],
        ["--silent-rate", "2"],
        ["--port", "0"],
        ["--bogus"],
        ["--sse-framing", "crlf2"],
        ["--slow-turn-seconds", "-1"],
    ],
)
def test_mock_bad_options_are_usage_errors(args: list[str]) -> None:
    assert CliRunner().invoke(cli, ["mock", *args]).exit_code == 2


def test_mock_flags_become_the_mock_config() -> None:
    config = mock_config(
        dialect="simple",
        error_style="http_status",
        heartbeat_form="comment",
        silent_rate=0.5,
        admin=False,
        seed=7,
    )
    assert config.dialect is contract.EventDialect.SIMPLE
    assert config.error_style is contract.ErrorStyle.HTTP_STATUS
    assert config.heartbeat_form is contract.HeartbeatForm.COMMENT
    assert (config.silent_rate, config.admin, config.seed) == (0.5, False, 7)


def test_mock_banner_says_how_to_point_a_client_at_it() -> None:
    lines = banner("127.0.0.1", 8765, 1000, admin=True)
    assert "  export NEMO_API_URL=http://127.0.0.1:8765" in lines
    assert "  export NEMO_TIME_SCALE=1000" in lines
    assert any(line.strip().startswith("curl ") and "anonymous-token" in line for line in lines)
    assert any(line.endswith("http://127.0.0.1:8765/__admin/ui/") for line in lines)
    quiet = banner("127.0.0.1", 8765, 1000, admin=False)
    assert not any("__admin" in line for line in quiet)


def test_a_kit_command_whose_module_is_missing_says_so() -> None:
    command = lazy_command("record", LazyEntry("conformance._no_such_module:cmd", "Record."))
    result = CliRunner().invoke(command, ["--anything"])
    assert result.exit_code == 1
    assert "`nemokit record` is not available yet" in result.output
    assert "Traceback" not in result.output


def test_a_kit_module_without_the_command_says_so() -> None:
    command = lazy_command("verify", LazyEntry("nemokit.contract:verify_command", "Verify."))
    result = CliRunner().invoke(command, [])
    assert result.exit_code == 1
    assert "not a command yet" in result.output


def test_a_present_kit_command_is_the_real_one() -> None:
    command = lazy_command("connect", LazyEntry("nemokit.cli._api:connect", "Connect."))
    assert isinstance(command, click.Command)
    assert command.name == "connect"


@pytest.mark.parametrize(
    "args", [["record", "--help"], ["cassettes", "verify", "--help"], ["conformance", "--help"]]
)
def test_kit_commands_answer_without_a_traceback(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code in (0, 1)
    if result.exit_code == 1:
        assert "not available yet" in result.output
