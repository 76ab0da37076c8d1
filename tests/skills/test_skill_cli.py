"""``nemokit skill check``: the report as text, as the issue's JSON, as JUnit; the exit status."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from _skill_docs import ATTR, AUTH, FRONT, bash
from click.testing import CliRunner

from nemokit.cli import cli

CURRENT = Path(__file__).parent / "documents" / "current.md"
BROKEN = FRONT + bash(
    f'curl -s "$API/api/credits/balance/simple" {AUTH}',
    f'curl -s "$API/api/v2/magic" {AUTH} {ATTR}',
)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["skill", "check", *args])
    return result.exit_code, result.output


def test_a_clean_document_exits_0_with_a_text_report() -> None:
    code, output = _run(str(CURRENT))
    assert code == 0
    assert "resembles guide 1.9" in output
    assert "0 error(s), 0 warning(s)" in output


def test_json_is_exactly_the_documented_shape_and_an_error_exits_1(tmp_path: Path) -> None:
    document = tmp_path / "SKILL.md"
    document.write_text(BROKEN, encoding="utf-8")
    code, output = _run(str(document), "--json")
    assert code == 1
    report = json.loads(output)
    assert set(report) == {"document", "guide", "findings"}
    assert report["document"] == str(document)
    for finding in report["findings"]:
        assert set(finding) == {"line", "severity", "rule", "message"}
        assert finding["severity"] in ("error", "warning", "note")
    assert {"line": 6, "severity": "warning", "rule": "attribution-headers"}.items() <= next(
        f for f in report["findings"] if f["line"] == 6
    ).items()
    assert any(f["line"] == 7 and f["rule"] == "unknown-endpoint" for f in report["findings"])


def test_junit_has_one_testcase_per_call_and_one_for_the_document(tmp_path: Path) -> None:
    document = tmp_path / "SKILL.md"
    document.write_text(BROKEN, encoding="utf-8")
    junit = tmp_path / "out.xml"
    code, _ = _run(str(document), "--junit", str(junit))
    assert code == 1
    suite = ET.parse(junit).getroot()
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "line 6: GET $API/api/credits/balance/simple",
        "line 7: GET $API/api/v2/magic",
        "document",
    ]
    assert suite.get("failures") == "1"
    assert cases[0].find("failure") is None
    assert cases[1].find("failure") is not None


def test_usage_errors_exit_2_with_a_sentence(tmp_path: Path) -> None:
    code, output = _run(str(tmp_path / "missing.md"))
    assert code == 2
    assert "no such file" in output
    binary = tmp_path / "blob.md"
    binary.write_bytes(b"\x7fELF\x00\x01")
    code, output = _run(str(binary))
    assert code == 2
    assert "binary content" in output
    assert "Traceback" not in output
    code, output = _run(str(CURRENT), "--guide", "2.0")
    assert code == 2
    assert "--guide" in output


def test_guide_option_changes_what_counts_as_deprecated(tmp_path: Path) -> None:
    document = tmp_path / "old.md"
    document.write_text(
        FRONT + bash(f'curl -s "$API/api/state/nemo_agent/$USER_ID/$SID/latest" {AUTH} {ATTR}'),
        encoding="utf-8",
    )
    _, now = _run(str(document), "--json")
    _, then = _run(str(document), "--json", "--guide", "0.x")
    rules = lambda out: {f["rule"] for f in json.loads(out)["findings"]}  # noqa: E731
    assert "deprecated-form" in rules(now)
    assert "deprecated-form" not in rules(then)
