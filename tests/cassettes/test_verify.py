"""verify: recorded reality against a live server, and drift found and named."""

from __future__ import annotations

import json
import pathlib
import threading
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from conformance.cassettes._cassette import load_cassette
from nemokit.cli._verify_cmd import verify_command
from conformance.cassettes._verify import event_kinds, json_shape, shape_differences, verify_cassette

CASSETTES = pathlib.Path(__file__).resolve().parents[2] / "cassettes"


@pytest.mark.parametrize("name", ["quick_edit", "stalled_stream", "stream_cut", "error_402"])
def test_committed_cassettes_match_the_embedded_mock(name: str) -> None:
    assert verify_cassette(load_cassette(CASSETTES / f"{name}.json")) == []


def test_another_dialect_is_found_and_named() -> None:
    found = verify_cassette(
        load_cassette(CASSETTES / "quick_edit.json"), mock={"dialect": "simple"}
    )
    assert [d.aspect for d in found] == ["events"]
    assert found[0].request == "POST /run_sse"
    assert "content:functionCall recorded, type:tool_call live" in found[0].detail


def test_another_error_style_is_found_as_a_status() -> None:
    found = verify_cassette(
        load_cassette(CASSETTES / "error_4002.json"), mock={"error_style": "http_status"}
    )
    assert [(d.aspect, d.detail) for d in found] == [("status", "200 recorded, 413 live")]


def test_an_edited_response_shape_is_found(tmp_path: pathlib.Path) -> None:
    data = json.loads((CASSETTES / "quick_edit.json").read_text(encoding="utf-8"))
    session = data["interactions"][1]["response"]["body"]["json"]["data"]
    session["sessionId"] = session.pop("task_id")  # a hand edit: renamed key
    session["user_id"] = 7  # and another type
    copy = tmp_path / "drifted.json"
    copy.write_text(json.dumps(data), encoding="utf-8")
    found = verify_cassette(load_cassette(copy), source=str(copy))
    details = {(d.index, d.aspect, d.detail) for d in found}
    assert details == {
        (1, "shape", "data.sessionId: missing live (string recorded)"),
        (1, "shape", "data.task_id: only live (string)"),
        (1, "shape", "data.user_id: number recorded, string live"),
    }
    assert str(copy) in str(found[0])


def test_cli_exits_non_zero_on_drift_and_zero_when_clean(tmp_path: pathlib.Path) -> None:
    clean = CliRunner().invoke(verify_command, [str(CASSETTES / "error_400.json")])
    assert clean.exit_code == 0, clean.output
    assert "error_400.json: 2 interactions, ok" in clean.output
    drift = CliRunner().invoke(
        verify_command, [str(CASSETTES / "silent_turn.json"), "--mock", "dialect=simple"]
    )
    assert drift.exit_code == 1
    assert "POST /run_sse: events:" in drift.output
    assert "1 of 1 cassette(s) differ" in drift.output


def test_cli_names_a_bad_cassette_and_a_missing_path(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "interactions": [', encoding="utf-8")
    result = CliRunner().invoke(verify_command, [str(bad)])
    assert result.exit_code == 1
    assert "bad.json at line 1" in result.output
    missing = CliRunner().invoke(verify_command, [str(tmp_path / "nope.json")])
    assert missing.exit_code == 2
    assert "no such file" in missing.output


@pytest.fixture
def remote_mock() -> Iterator[str]:
    """The mock on a free loopback port (a 'remote' server for --against)."""
    import uvicorn

    from mockserver import MockServer
    from mockserver._config import MockConfig

    cassette = load_cassette(CASSETTES / "error_4001.json")
    app = MockServer(MockConfig().replace(seed=cassette.seed or 0, **cassette.extra["mock"])).app
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


def test_against_a_remote_server_tokens_are_fresh(remote_mock: str) -> None:
    found = verify_cassette(load_cassette(CASSETTES / "error_4001.json"), against=remote_mock)
    assert found == []  # a placeholder token sent would have been refused with 1001


def test_shapes_and_event_kinds() -> None:
    assert json_shape({"a": [1, 2.5], "b": None, "c": True}) == {
        "a": ["number"],
        "b": "null",
        "c": "boolean",
    }
    assert shape_differences({"a": "string"}, {"a": ["number"]}) == [
        "a: string recorded, array live"
    ]
    blocks = [": ping\n\n", "data:\n\n", 'data: {"type": "heartbeat"}\n\n', 'data: {"error": "x"}']
    assert event_kinds(blocks) == ["heartbeat", "error"]
