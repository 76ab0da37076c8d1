"""``nemokit cassettes diff``: two recordings of one flow, through the proxy, from the mock in
two variants; the drift is named per interaction and aspect."""

from __future__ import annotations

import json
import pathlib
import xml.etree.ElementTree as ET

from _inproc import UNKNOWN_SID, record
from click.testing import CliRunner

from nemokit import contract
from nemokit.cli import cli


def test_two_recordings_of_the_same_variant_do_not_differ(tmp_path: pathlib.Path) -> None:
    a, b = record(tmp_path / "a.json"), record(tmp_path / "b.json", seed=9)
    result = CliRunner().invoke(cli, ["cassettes", "diff", str(a), str(b)])
    assert result.exit_code == 0, result.output
    assert "no difference" in result.output


def test_the_http_status_error_style_is_named_as_drift(tmp_path: pathlib.Path) -> None:
    a = record(tmp_path / "default.json")
    b = record(tmp_path / "status.json", error_style="http_status")
    junit = tmp_path / "drift.xml"
    result = CliRunner().invoke(cli, ["cassettes", "diff", str(a), str(b), "--junit", str(junit)])
    assert result.exit_code == 1
    state = f"GET {contract.PATH_STATE.format(sid=UNKNOWN_SID)}"
    assert f"{a} interactions[3] {state}: status: 200 in A, 404 in B" in result.output
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "1"
    assert suite.get("tests") == "4"
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == "status: 200 in A, 404 in B"


def test_the_simple_dialect_is_named_as_event_drift_in_json(tmp_path: pathlib.Path) -> None:
    a = record(tmp_path / "adk.json")
    b = record(tmp_path / "simple.json", dialect="simple")
    result = CliRunner().invoke(cli, ["cassettes", "diff", str(a), str(b), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["identical"] is False
    (row,) = report["differences"]
    assert (row["file"], row["index"], row["request"], row["aspect"]) == (
        str(a),
        2,
        f"POST {contract.PATH_RUN_SSE}",
        "events",
    )
    assert "content:text in A, type:text in B" in row["detail"]


def test_a_shorter_recording_and_a_broken_file_are_named(tmp_path: pathlib.Path) -> None:
    a = record(tmp_path / "a.json")
    data = json.loads(a.read_text())
    data["interactions"] = data["interactions"][:2]
    b = tmp_path / "short.json"
    b.write_text(json.dumps(data))
    result = CliRunner().invoke(cli, ["cassettes", "diff", str(a), str(b)])
    assert result.exit_code == 1
    assert f"{a} interactions[2] POST /run_sse: interactions: 4 in A, 2 in B" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = CliRunner().invoke(cli, ["cassettes", "diff", str(a), str(broken)])
    assert result.exit_code == 1
    assert "not valid JSON" in result.output
    assert "Traceback" not in result.output
