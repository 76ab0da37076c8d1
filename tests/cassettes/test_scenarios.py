"""The named scenarios: deterministic recordings that show each contract branch."""

from __future__ import annotations

import json
import pathlib

import pytest
from click.testing import CliRunner

from conformance.cassettes._cassette import Cassette, dumps_cassette, load_cassette
from nemokit.cli._record_cmd import record_command
from conformance.cassettes._redact import find_secrets
from conformance.cassettes._scenarios import SCENARIOS, UserStep, file_bytes, record_scenario
from mockserver._media import tiny_mp4
from nemokit import contract

REQUIRED = {
    "quick_edit", "batch", "iterative", "silent_turn", "generation",
    "error_1001", "error_1002", "error_2001", "error_4001", "error_4002",
    "error_400", "error_402", "error_429", "retry_429", "reauth_1001", "new_session_1002",
    "render_failure_retry", "stream_cut", "stalled_stream",
}  # fmt: skip


def kinds(cassette: Cassette) -> list[str]:
    return [view["kind"] for view in cassette.extra["expected_views"]]


def texts(cassette: Cassette) -> list[str]:
    return [view["text"] for view in cassette.extra["expected_views"]]


def paths(cassette: Cassette) -> list[str]:
    return [f"{i.request.method} {i.request.path}" for i in cassette.interactions]


def test_every_required_scenario_is_defined() -> None:
    assert set(SCENARIOS) >= REQUIRED


@pytest.mark.parametrize("name", ["quick_edit", "stalled_stream", "render_failure_retry"])
def test_recording_twice_gives_the_same_bytes(name: str) -> None:
    first, second = dumps_cassette(record_scenario(name)), dumps_cassette(record_scenario(name))
    assert first == second
    assert find_secrets(first) == []


def test_another_seed_gives_another_recording() -> None:
    assert dumps_cassette(record_scenario("quick_edit", seed=8)) != dumps_cassette(
        record_scenario("quick_edit")
    )


def test_metadata_holds_steps_mock_faults_and_views() -> None:
    cassette = record_scenario("error_4002")
    assert cassette.scenario == "error_4002"
    assert cassette.seed == SCENARIOS["error_4002"].seed
    assert [UserStep.from_json(s) for s in cassette.extra["steps"]] == list(
        SCENARIOS["error_4002"].steps
    )
    assert cassette.extra["faults"] == [dict(f) for f in SCENARIOS["error_4002"].faults]
    assert cassette.extra["mock"]["silent_rate"] == 0.0
    assert kinds(cassette)[-1] == "problem"
    assert "500 MB" in texts(cassette)[-1]


def test_quick_edit_turns_once_renders_once_and_ends_with_the_video() -> None:
    cassette = record_scenario("quick_edit")
    assert paths(cassette).count("POST /run_sse") == 1
    assert paths(cassette).count("POST /api/render/proxy/lambda") == 1
    assert kinds(cassette)[-1] == "video_ready"
    turn = next(i for i in cassette.interactions if i.request.path == "/run_sse")
    assert turn.response.events  # recorded as a stream
    assert "export" not in json.dumps(turn.request.body and turn.request.body.value)  # type: ignore[union-attr]


def test_batch_gives_each_upload_its_own_render() -> None:
    cassette = record_scenario("batch")
    assert paths(cassette).count("POST /api/render/proxy/lambda") == 3
    assert kinds(cassette).count("uploaded") == kinds(cassette).count("video_ready") == 3


def test_generation_shows_post_production_in_two_stages() -> None:
    cassette = record_scenario("generation")
    tracks = [t for k, t in zip(kinds(cassette), texts(cassette), strict=True) if k == "tracks"]
    assert len(tracks) == 3
    assert "BGM" not in tracks[0]
    assert "Title" not in tracks[0]
    assert "BGM" in tracks[1]
    assert "Title" not in tracks[1]
    assert "BGM" in tracks[2]
    assert "Title" in tracks[2]


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("error_1001", "could not be renewed"),
        ("error_1002", "could not be recreated"),
        ("error_2001", "register?bind=anon_"),
        ("error_4001", "Accepted formats"),
        ("error_400", "client id"),
        ("error_402", "HTTP 402"),
        ("error_429", "rate limited"),
        ("stalled_stream", "10 minutes"),
    ],
)
def test_each_error_ends_in_a_problem_saying_what_to_do(name: str, phrase: str) -> None:
    cassette = record_scenario(name)
    assert kinds(cassette)[-1] == "problem"
    assert phrase in texts(cassette)[-1]


def test_a_402_is_never_retried() -> None:
    assert paths(record_scenario("error_402")).count("POST /api/render/proxy/lambda") == 1


def test_retries_happen_once_and_the_turn_is_sent_once() -> None:
    retry = record_scenario("retry_429")
    turns = [i for i in retry.interactions if i.request.path == "/run_sse"]
    assert [t.response.status for t in turns] == [429, 200]
    assert turns[1].at is not None
    assert turns[0].at is not None
    assert turns[1].at - turns[0].at >= 45  # Retry-After beat the 30 s default
    reauth = paths(record_scenario("reauth_1001"))
    assert reauth.count("POST /api/auth/anonymous-token") == 2
    fresh = paths(record_scenario("new_session_1002"))
    assert fresh.count("POST /api/tasks/me/with-session/nemo_agent") == 2
    assert kinds(record_scenario("reauth_1001"))[-1] == "reply"


def test_stream_cut_is_not_resent_and_the_edit_is_found() -> None:
    cassette = record_scenario("stream_cut")
    turns = [i for i in cassette.interactions if i.request.path == "/run_sse"]
    assert len(turns) == 1
    assert turns[0].response.cut
    assert kinds(cassette)[-1] == "changes"


def test_render_failure_then_a_new_render_succeeds() -> None:
    cassette = record_scenario("render_failure_retry")
    assert kinds(cassette)[-4:] == ["problem", "progress", "progress", "video_ready"]
    submits = [i for i in cassette.interactions if i.request.path == contract.PATH_RENDER]
    ids = [i.request.body.value["id"] for i in submits]  # type: ignore[union-attr]
    assert len(set(ids)) == 2


def test_silent_turn_is_summarised_from_the_state() -> None:
    cassette = record_scenario("silent_turn")
    assert kinds(cassette)[-1] == "changes"
    assert "GET /api/state/nemo_agent/me/" in " ".join(paths(cassette))


def test_uploaded_files_are_made_from_their_names() -> None:
    assert file_bytes("a.mp4") == tiny_mp4() == file_bytes("b.MOV")
    assert file_bytes("x.wav")[:4] == b"RIFF"
    assert file_bytes("n.txt") == file_bytes("n.txt") != file_bytes("m.txt")


def test_step_from_json_rejects_junk() -> None:
    with pytest.raises(ValueError, match="op say, upload or wait"):
        UserStep.from_json({"op": "dance"})
    with pytest.raises(ValueError, match="files"):
        UserStep.from_json({"op": "upload", "files": "a.mp4"})


def test_record_command_writes_cassettes(tmp_path: pathlib.Path) -> None:
    result = CliRunner().invoke(record_command, ["error_400", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    cassette = load_cassette(tmp_path / "error_400.json")
    assert cassette.scenario == "error_400"
    assert "error_400.json: 2 interactions" in result.output


def test_record_command_lists_and_refuses_unknown_names(tmp_path: pathlib.Path) -> None:
    listed = CliRunner().invoke(record_command, ["--list"])
    assert listed.exit_code == 0
    assert all(name in listed.output for name in REQUIRED)
    bad = CliRunner().invoke(record_command, ["nope", "--out", str(tmp_path)])
    assert bad.exit_code == 2
    assert "unknown scenario(s) nope" in bad.output
    assert list(tmp_path.iterdir()) == []
    empty = CliRunner().invoke(record_command, [])
    assert empty.exit_code == 2
    assert "--all" in empty.output
