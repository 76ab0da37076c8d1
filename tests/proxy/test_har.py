"""HAR 1.2: a recording exported and imported again has no drift; a browser's HAR is redacted
and its event streams become events; a bad HAR gets an error naming the entry and the field."""

from __future__ import annotations

import base64
import json
import pathlib
from typing import Any

import pytest
from _inproc import record
from click.testing import CliRunner

from conformance.cassettes._cassette import BinaryBody, JsonBody, load_cassette
from conformance.cassettes._redact import find_secrets
from conformance.cassettes._verify import event_kinds
from nemokit import contract
from nemokit.cli import cli

TOKEN = "nmv_usr_FromTheBrowser_42"
SSE_TEXT = (
    'data: {"content": {"parts": [{"text": "hi"}], "role": "model"}}\r\n\r\n'
    ": ping\r\n\r\n"
    'data: {"error": "boom"}\r\n\r\n'
)


def _entry(method: str, url: str, status: int, mime: str, text: str, **more: Any) -> Any:
    return {
        "startedDateTime": more.pop("started", "2026-12-04T10:00:00.000Z"),
        "time": 12.5,
        "request": {
            "method": method, "url": url, "httpVersion": "HTTP/2", "cookies": [],
            "headers": [{"name": ":authority", "value": "api.test"},
                        {"name": "authorization", "value": f"Bearer {TOKEN}"},
                        {"name": "x-client-id", "value": "browser-7"}],
            "queryString": [], "headersSize": -1, "bodySize": -1, **more,
        },
        "response": {
            "status": status, "statusText": "", "httpVersion": "HTTP/2", "cookies": [],
            "headers": [{"name": "content-type", "value": mime}],
            "content": {"size": len(text), "mimeType": mime, "text": text},
            "redirectURL": "", "headersSize": -1, "bodySize": -1,
        },
        "cache": {}, "timings": {"send": 0, "wait": 10, "receive": 2.5},
    }  # fmt: skip


def _browser_har() -> dict[str, Any]:
    token_body = json.dumps({"code": 0, "data": {"token": TOKEN, "user_id": "anon_1"}})
    turn = {"mimeType": "application/json", "text": json.dumps({"session_id": "1"})}
    entries = [
        _entry("POST", "https://api.test" + contract.PATH_ANONYMOUS_TOKEN, 200,
               "application/json", token_body),
        _entry("POST", "https://api.test/run_sse", 200, "text/event-stream", SSE_TEXT,
               postData=turn, started="2026-12-04T10:00:01.500Z"),
        _entry("GET", "https://api.test/favicon.ico", 0, "", ""),  # blocked: never answered
        _entry("GET", "https://api.test/video.mp4", 200, "video/mp4", ""),
    ]  # fmt: skip
    entries[3]["response"]["content"].update(text=base64.b64encode(b"\0\1mp4").decode(),
                                             encoding="base64")  # fmt: skip
    return {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
                    "pages": [], "entries": entries}}  # fmt: skip


def test_a_browser_har_becomes_a_redacted_cassette_with_events(tmp_path: pathlib.Path) -> None:
    har = tmp_path / "session.har"
    har.write_text(json.dumps(_browser_har()), encoding="utf-8")
    result = CliRunner().invoke(cli, ["cassettes", "import", str(har)])
    assert result.exit_code == 0, result.output
    assert "3 interactions (1 unanswered entries left out)" in result.output
    path = tmp_path / "session.json"
    text = path.read_text(encoding="utf-8")
    assert find_secrets(text) == []
    token, turn, video = load_cassette(path).interactions
    assert token.request.headers["authorization"] == "Bearer <TOKEN_1>"
    assert isinstance(token.response.body, JsonBody)
    assert token.response.body.value["data"]["token"] == "<TOKEN_1>"
    assert turn.at == 1.5
    assert turn.request.headers["content-type"] == "application/json"
    assert turn.response.events is not None
    assert event_kinds([e.raw for e in turn.response.events]) == [
        "content:text",
        "heartbeat",
        "error",
    ]
    assert isinstance(video.response.body, BinaryBody)
    assert video.response.body.data == b"\0\1mp4"


def test_export_then_import_gives_the_same_recording(tmp_path: pathlib.Path) -> None:
    original = record(tmp_path / "flow.json")
    runner = CliRunner()
    exported = runner.invoke(cli, ["cassettes", "export", str(original), "--har"])
    assert exported.exit_code == 0, exported.output
    har = json.loads((tmp_path / "flow.har").read_text(encoding="utf-8"))
    assert har["log"]["version"] == "1.2"
    assert [e["request"]["method"] for e in har["log"]["entries"]] == [
        "POST",
        "POST",
        "POST",
        "GET",
    ]
    back = tmp_path / "back.json"
    imported = runner.invoke(
        cli, ["cassettes", "import", str(tmp_path / "flow.har"), "-o", str(back)]
    )
    assert imported.exit_code == 0, imported.output
    diff = runner.invoke(cli, ["cassettes", "diff", str(original), str(back)])
    assert diff.exit_code == 0, diff.output
    before, after = load_cassette(original), load_cassette(back)
    assert [i.request for i in after.interactions] == [i.request for i in before.interactions]
    assert [i.at for i in after.interactions] == [i.at for i in before.interactions]


def _broken(mutate: Any) -> dict[str, Any]:
    har = _browser_har()
    mutate(har)
    return har


@pytest.mark.parametrize(
    ("har", "message"),
    [
        ("{\n  oops", "at line 2, column 3: not valid JSON"),
        (
            _broken(lambda h: h["log"].update(version="1.0")),
            "at log.version: HAR '1.0' is not read",
        ),
        (
            _broken(lambda h: h["log"]["entries"][1].pop("request")),
            "at log.entries[1].request: missing",
        ),
        (
            _broken(lambda h: h["log"]["entries"][0]["request"].update(url=7)),
            "at log.entries[0].request.url: expected a string, found int",
        ),
        (
            _broken(lambda h: h["log"]["entries"][0]["request"].update(url="file:///etc/passwd")),
            "at log.entries[0].request.url: not an http(s) URL",
        ),
        (
            _broken(lambda h: h["log"]["entries"][3]["response"]["content"].update(text="@@")),
            "at log.entries[3].response.content.text: not valid base64",
        ),
        (
            _broken(
                lambda h: h["log"]["entries"][0]["request"]["headers"].append(
                    {"name": "x-bad", "value": "a\nb"}
                )
            ),
            "at log.entries[0].request.headers[3].value: a header value with control",
        ),
        ("[]", "at (top level): expected an object"),
    ],
    ids=["json", "version", "no request", "url type", "scheme", "base64", "header", "top"],
)
def test_a_bad_har_is_named_by_entry_and_field(
    tmp_path: pathlib.Path, har: Any, message: str
) -> None:
    path = tmp_path / "bad.har"
    path.write_text(har if isinstance(har, str) else json.dumps(har), encoding="utf-8")
    result = CliRunner().invoke(cli, ["cassettes", "import", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "bad.json").exists()
    assert TOKEN not in result.output
