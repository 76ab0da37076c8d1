"""The CLI's parts on their own: the session file, the observing transport, the output."""

from __future__ import annotations

import json
import pathlib
import stat

import click
import httpx
import pytest
from click.testing import CliRunner

from nemokit._views import Problem, Reply, VideoReady
from nemokit.cli._output import Output, kind_of
from nemokit.cli._session_file import SavedSession, SessionFile, StateFileError
from nemokit.cli._transport import ObservedTransport

TOKEN = "nmv_usr_secret123"


def test_session_file_round_trip_is_private(tmp_path: pathlib.Path) -> None:
    file = SessionFile(tmp_path / "deep" / "s.json")
    saved = SavedSession(api_url="http://x", session_id="1", token=TOKEN, render_id="render_1")
    file.save(saved)
    assert file.load() == saved
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o600
    assert TOKEN not in repr(saved)


def test_no_session_file_is_an_empty_session(tmp_path: pathlib.Path) -> None:
    assert SessionFile(tmp_path / "none.json").load() == SavedSession()


@pytest.mark.parametrize(
    "content",
    ["{oops", "[]", '{"version": 99}', '{"version": 1, "token": 5}', "\udcff"],
)
def test_a_bad_session_file_is_named_and_reset(tmp_path: pathlib.Path, content: str) -> None:
    path = tmp_path / "s.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(StateFileError, match="it was reset") as caught:
        SessionFile(path).load()
    assert str(path) in str(caught.value)
    assert not path.exists()


def test_an_unwritable_session_file_is_a_sentence(tmp_path: pathlib.Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StateFileError, match="cannot write the session file"):
        SessionFile(blocker / "s.json").save(SavedSession(session_id="1"))


def test_upload_bytes_are_counted_as_the_transport_reads_them(tmp_path: pathlib.Path) -> None:
    seen: list[tuple[int, int]] = []
    received = bytearray()

    def handler(request: httpx.Request) -> httpx.Response:
        for chunk in request.stream:  # type: ignore[union-attr]
            received.extend(chunk)
        return httpx.Response(200)

    transport = ObservedTransport(httpx.MockTransport(handler), lambda s, t: seen.append((s, t)))
    big = tmp_path / "big.mp4"
    big.write_bytes(b"x" * 300_000)
    with httpx.Client(transport=transport) as http, big.open("rb") as handle:
        http.post("http://api.test/upload", files={"files": ("big.mp4", handle)})
    assert seen
    sent, total = seen[-1]
    assert sent == total == len(received)
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)
    assert not transport.unreachable


def test_json_bodies_are_not_counted() -> None:
    seen: list[tuple[int, int]] = []
    transport = ObservedTransport(
        httpx.MockTransport(lambda r: httpx.Response(200)), lambda s, t: seen.append((s, t))
    )
    with httpx.Client(transport=transport) as http:
        http.post("http://api.test/x", json={"a": 1})
    assert seen == []


def test_a_refused_connection_is_noted() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    transport = ObservedTransport(httpx.MockTransport(refuse))
    with httpx.Client(transport=transport) as http, pytest.raises(httpx.ConnectError):
        http.get("http://api.test/")
    assert transport.unreachable


def test_kinds() -> None:
    assert kind_of(Reply("x")) == "reply"
    assert kind_of(VideoReady("x")) == "video_ready"
    assert kind_of(Problem("x")) == "problem"


def _printed(json_mode: bool, *views: object) -> str:
    def show() -> None:
        out = Output(json_mode)
        for view in views:
            out.view(view)  # type: ignore[arg-type]

    result = CliRunner().invoke(click.Command("x", callback=show), [])
    return result.output


def test_tokens_never_reach_the_terminal() -> None:
    views = (
        Reply(f"your token is {TOKEN}"),
        Problem(f"Bearer {TOKEN} refused"),
        VideoReady("✅", url="http://x/v.mp4", project_url="http://web/claim?ct=clm_abc"),
    )
    for json_mode in (False, True):
        printed = _printed(json_mode, *views)
        assert "nmv_usr_" not in printed
        assert "clm_" not in printed
        assert "nemokit claim" in printed


def test_json_mode_is_one_object_per_line() -> None:
    printed = _printed(True, Reply("a"), Problem("b", code=2001, link="http://r"))
    objects = [json.loads(line) for line in printed.splitlines()]
    assert objects[0] == {"kind": "reply", "text": "a"}
    assert objects[1]["code"] == 2001
    assert objects[1]["link"] == "http://r"
