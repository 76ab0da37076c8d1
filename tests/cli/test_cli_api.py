"""The API commands run in process against the mock, in virtual time."""

from __future__ import annotations

import json
import os
import pathlib
import stat

import httpx
import pytest
from _cli_helpers import API, Run, json_lines, paths

from mockserver import MockServer
from nemokit import contract
from nemokit.cli import Runtime

UPLOAD = "/api/upload-video/*"


@pytest.fixture
def connected(run: Run) -> None:
    assert run("connect").exit_code == 0


def test_connect_sets_up_and_remembers_the_session_in_a_private_file(
    run: Run, state_file: pathlib.Path, server: MockServer
) -> None:
    result = run("connect")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "Setting things up..."
    assert lines[-1] == "✅ Connected and ready"
    saved = json.loads(state_file.read_text())
    assert saved["api_url"] == API
    assert f"Session: {saved['session_id']}" in result.output
    assert saved["token"].startswith(contract.TOKEN_PREFIX)  # kept in the file, never shown
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert "{" not in result.output  # no raw JSON
    # A second connect reuses the session: no new token, no new session.
    assert run("connect").exit_code == 0
    assert len(paths(server, "POST", contract.PATH_SESSION)) == 1
    assert len(paths(server, "POST", contract.PATH_ANONYMOUS_TOKEN)) == 1


def test_connect_json_ends_with_the_ids(run: Run, state_file: pathlib.Path) -> None:
    objects = json_lines(run("connect", "--json"))
    assert [o["kind"] for o in objects] == ["notice", "notice", "connected"]
    assert objects[-1]["session_id"] == json.loads(state_file.read_text())["session_id"]


def test_connect_new_starts_another_session(run: Run, server: MockServer) -> None:
    run("connect")
    assert run("connect", "--new").exit_code == 0
    assert len(paths(server, "POST", contract.PATH_SESSION)) == 2


def test_connect_replaces_a_session_the_server_forgot(
    run: Run, server: MockServer, state_file: pathlib.Path
) -> None:
    run("connect")
    server.reset()  # a restarted mock: the token and the session are gone (and the journal)
    result = run("connect")
    assert result.exit_code == 0
    assert "starting a new one" in result.output
    assert len(paths(server, "POST", contract.PATH_SESSION)) == 1
    assert run("state").exit_code == 0  # the new session works


@pytest.mark.parametrize(
    "args",
    [
        ("say", "hello"),
        ("upload", "https://example.com/a.mp4"),
        ("credits",),
        ("state",),
        ("export",),
        ("claim",),
    ],
)
def test_commands_need_a_session_first(run: Run, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 1
    assert "run `nemokit connect` first" in result.output


def test_an_unreadable_state_file_is_reset_and_named(run: Run, state_file: pathlib.Path) -> None:
    state_file.parent.mkdir(parents=True)
    state_file.write_text("{not json")
    result = run("credits")
    assert str(state_file) in result.output
    assert "reset" in result.output
    assert result.exit_code == 1  # and then: no session yet
    assert not state_file.exists()
    assert run("connect").exit_code == 0


def test_a_session_for_another_api_is_not_used(run: Run) -> None:
    run("connect")
    result = run("credits", "--api-url", "http://other.mock.test")
    assert result.exit_code == 1
    assert "nemokit connect" in result.output


def test_upload_then_an_edit_then_state(run: Run, connected: None, clip: pathlib.Path) -> None:
    result = run("upload", str(clip))
    assert result.exit_code == 0
    assert "✅ Uploaded: clip.mp4 (video)" in result.output
    assert run("say", "trim the pauses").exit_code == 0
    timeline = run("state")
    assert timeline.exit_code == 0
    assert "1. Video:" in timeline.output


def test_upload_json(run: Run, connected: None, clip: pathlib.Path) -> None:
    objects = json_lines(run("upload", "--json", str(clip)))
    assert objects[-1] == {
        "kind": "uploaded",
        "text": "✅ Uploaded: clip.mp4 (video)",
        "files": ["clip.mp4"],
    }


def test_upload_of_a_missing_file_is_a_usage_error(run: Run, connected: None) -> None:
    result = run("upload", "no/such/clip.mp4")
    assert result.exit_code == 2
    assert "no such file: no/such/clip.mp4" in result.output


def test_upload_of_an_unsupported_type_lists_the_accepted_formats(
    run: Run, connected: None, tmp_path: pathlib.Path, server: MockServer
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    result = run("upload", str(notes))
    assert result.exit_code == 1
    assert "Accepted formats: mp4" in result.output
    assert paths(server, "POST", "/api/upload-video") == []  # checked before sending


@pytest.mark.parametrize(
    ("code", "words"),
    [(4001, "Accepted formats: mp4"), (4002, "Compress or trim it")],
)
def test_upload_refused_by_the_server_is_a_sentence(
    run: Run, connected: None, clip: pathlib.Path, server: MockServer, code: int, words: str
) -> None:
    server.faults.add(method="POST", path=UPLOAD, code=code)
    result = run("upload", str(clip))
    assert result.exit_code == 1
    assert words in result.output


def test_credits_text_and_json(run: Run, connected: None) -> None:
    result = run("credits")
    assert result.exit_code == 0
    assert "Credits: 100 available, 0 held by work in progress, 100 in total." in result.output
    (obj,) = json_lines(run("credits", "--json"))
    assert (obj["kind"], obj["available"], obj["total"]) == ("credits", 100, 100)


def test_state_of_an_empty_project(run: Run, connected: None) -> None:
    result = run("state", "--json")
    assert json_lines(result)[0]["kind"] == "tracks"
    assert json_lines(result)[0]["lines"] == []


def test_say_sends_one_turn_and_shows_the_reply(
    run: Run, connected: None, clip: pathlib.Path, server: MockServer
) -> None:
    run("upload", str(clip))
    result = run("say", "trim the pauses")
    assert result.exit_code == 0
    assert "Nemo: " in result.output
    assert len(paths(server, "POST", contract.PATH_RUN_SSE)) == 1


def test_say_with_attachment_and_json(
    run: Run, connected: None, clip: pathlib.Path, server: MockServer
) -> None:
    objects = json_lines(run("say", "--json", "-a", str(clip), "add transitions"))
    kinds = [o["kind"] for o in objects]
    assert kinds[:2] == ["progress", "uploaded"]
    assert "reply" in kinds


def test_say_routes_credits_without_the_agent(
    run: Run, connected: None, server: MockServer
) -> None:
    result = run("say", "credits")
    assert "Credits: 100 available" in result.output
    assert paths(server, "POST", contract.PATH_RUN_SSE) == []


def test_a_silent_turn_is_summarised(
    run: Run, connected: None, clip: pathlib.Path, server: MockServer
) -> None:
    run("upload", str(clip))
    server.configure(silent_rate=1.0)
    result = run("say", 'add the title "Urban Dreams"')
    assert result.exit_code == 0
    assert "Urban Dreams" in result.output
    assert "Nemo:" not in result.output


def test_out_of_credits_gives_the_registration_link(
    run: Run, connected: None, server: MockServer, state_file: pathlib.Path
) -> None:
    server.faults.add(method="POST", path=contract.PATH_RUN_SSE, code=2001)
    result = run("say", "trim the pauses")
    assert result.exit_code == 1
    user = json.loads(state_file.read_text())["user_id"]
    assert f"/register?bind={user}" in result.output
    assert "out of credits" in result.output


def test_chat_reads_lines_until_quit(run: Run, clip: pathlib.Path, server: MockServer) -> None:
    lines = ["trim the pauses", f"/upload {clip}", "status", "/nope", "/quit", "never sent"]
    result = run("chat", input="\n".join(lines) + "\n")
    assert result.exit_code == 0
    assert "Setting things up..." in result.output  # chat connects by itself
    assert "Nemo: " in result.output
    assert "✅ Uploaded: clip.mp4 (video)" in result.output
    assert "Unknown command /nope" in result.output
    sent = [e.message for e in server.journal.entries(path=contract.PATH_RUN_SSE)]
    assert sent == ["trim the pauses"]


def test_chat_ends_at_end_of_input_and_takes_a_bare_path(
    run: Run, connected: None, clip: pathlib.Path
) -> None:
    result = run("chat", input=f"{clip}\n/upload missing.mp4\n")
    assert result.exit_code == 0
    assert "✅ Uploaded: clip.mp4" in result.output
    assert "No such file: missing.mp4" in result.output


def _ready(run: Run, clip: pathlib.Path) -> None:
    assert run("connect").exit_code == 0
    assert run("upload", str(clip)).exit_code == 0
    assert run("say", "trim the pauses").exit_code == 0


def test_export_shows_progress_and_saves_the_video(
    run: Run, clip: pathlib.Path, tmp_path: pathlib.Path, state_file: pathlib.Path
) -> None:
    _ready(run, clip)
    target = tmp_path / "out.mp4"
    result = run("export", "-o", str(target))
    assert result.exit_code == 0
    out = result.output
    assert out.index("⏳ Rendering ~30s") < out.index("✅ Video ready!")
    assert f"Saved to: {target}" in out
    assert "nemokit claim" in out
    assert target.read_bytes()[4:8] == b"ftyp"
    assert "render_id" not in json.loads(state_file.read_text())


def test_interrupted_export_is_resumed_not_submitted_again(
    run: Run, clip: pathlib.Path, clock: object, server: MockServer, state_file: pathlib.Path
) -> None:
    _ready(run, clip)
    clock.interrupt_at_wait = contract.RENDER_POLL_INTERVAL  # type: ignore[attr-defined]
    interrupted = run("export")
    assert interrupted.exit_code == 130
    assert "Interrupted" in interrupted.output
    pending = json.loads(state_file.read_text())["render_id"]
    resumed = run("export", "--json")
    assert resumed.exit_code == 0
    final = json_lines(resumed)[-1]
    assert (final["outcome"], final["render_id"]) == ("completed", pending)
    assert len(paths(server, "POST", contract.PATH_RENDER)) == 1
    assert f"{contract.PATH_RENDER}/{pending}" in paths(server, "GET", contract.PATH_RENDER)
    assert "render_id" not in json.loads(state_file.read_text())


def test_an_export_said_in_a_message_and_interrupted_is_resumed_too(
    run: Run, clip: pathlib.Path, clock: object, server: MockServer, state_file: pathlib.Path
) -> None:
    _ready(run, clip)
    clock.interrupt_at_wait = contract.RENDER_POLL_INTERVAL  # type: ignore[attr-defined]
    interrupted = run("say", "export")
    assert interrupted.exit_code == 130
    pending = json.loads(state_file.read_text())["render_id"]
    resumed = run("export", "--json")
    assert resumed.exit_code == 0
    assert json_lines(resumed)[-1]["render_id"] == pending
    assert len(paths(server, "POST", contract.PATH_RENDER)) == 1


def test_export_with_nothing_to_export(run: Run, connected: None, server: MockServer) -> None:
    result = run("export")
    assert result.exit_code == 1
    assert "Nothing to export yet" in result.output
    assert paths(server, "POST", contract.PATH_RENDER) == []


def test_a_failed_render_exits_4(run: Run, clip: pathlib.Path, server: MockServer) -> None:
    _ready(run, clip)
    server.configure(render_fail_rate=1.0)
    result = run("export")
    assert result.exit_code == 4
    assert "Try exporting again" in result.output


def test_the_plan_limit_is_a_sentence(run: Run, clip: pathlib.Path, server: MockServer) -> None:
    _ready(run, clip)
    server.faults.add(method="POST", path=contract.PATH_RENDER, status=402)
    result = run("export")
    assert result.exit_code == 1
    assert "plan" in result.output
    assert "not a credit issue" in result.output


def test_export_to_a_missing_folder_is_a_usage_error(run: Run, connected: None) -> None:
    result = run("export", "-o", "no/such/folder/out.mp4")
    assert result.exit_code == 2


def test_claim_opens_the_browser_and_prints_no_token(
    run: Run, connected: None, opened: list[str]
) -> None:
    result = run("claim")
    assert result.exit_code == 0
    assert "Opened your project in the browser" in result.output
    assert opened
    assert "/workspace/claim?ct=clm_" in opened[0]


def test_claim_print_link_is_the_one_opt_in(run: Run, connected: None) -> None:
    result = run("claim", "--print-link", secrets_ok=True)
    assert result.exit_code == 0
    assert "/workspace/claim?ct=clm_" in result.stdout


def test_claim_without_a_browser_says_how_to_get_the_link(
    run: Run, connected: None, runtime: Runtime
) -> None:
    result = run("claim", obj=Runtime(runtime.transport, runtime.clock, lambda url: False))
    assert "--print-link" in result.output


def test_an_unreachable_api_exits_3(run: Run, state_file: pathlib.Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    result = run("connect", obj=Runtime(transport=httpx.MockTransport(refuse)))
    assert result.exit_code == 3
    assert f"Could not reach {API}" in result.output
    assert not state_file.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("connect", "--api-url", "not a url"),
        ("connect", "--time-scale", "0"),
        ("connect", "--bogus"),
        ("upload",),
        ("say",),
    ],
)
def test_bad_arguments_are_usage_errors(run: Run, args: tuple[str, ...]) -> None:
    assert run(*args).exit_code == 2


def test_the_state_file_is_private_even_in_a_shared_folder(
    run: Run, state_file: pathlib.Path
) -> None:
    run("connect")
    assert stat.S_IMODE(os.stat(state_file.parent).st_mode) & 0o077 == 0


def test_an_expired_saved_token_is_renewed_and_kept(
    run: Run, connected: None, server: MockServer, state_file: pathlib.Path
) -> None:
    before = json.loads(state_file.read_text())["token"]
    server.reset()  # the mock forgot the token: 1001, then a new anonymous token, once
    result = run("credits")
    assert result.exit_code == 0
    assert len(paths(server, "POST", contract.PATH_ANONYMOUS_TOKEN)) == 1
    after = json.loads(state_file.read_text())["token"]
    assert after != before
    assert after.startswith(contract.TOKEN_PREFIX)


def test_a_long_turn_shows_still_working(
    run: Run, connected: None, clip: pathlib.Path, server: MockServer
) -> None:
    run("upload", str(clip))
    server.configure(duration_scale=20.0)  # an edit of several virtual minutes
    result = run("say", "trim the pauses")
    assert result.exit_code == 0
    assert result.output.index(contract.STILL_WORKING_TEXT) < result.output.index("Nemo: ")
