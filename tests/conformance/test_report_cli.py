"""The report (table, JUnit XML) and the ``nemokit conformance`` command through CliRunner."""

from __future__ import annotations

import io
import pathlib
import xml.etree.ElementTree as ET

from click.testing import CliRunner
from rich.console import Console

from conformance.drivers._protocol import Step
from conformance.suite._model import Scenario, Violation
from conformance.suite._report import junit_xml, print_table
from conformance.suite._rules import rule_by_id
from conformance.suite._suite import RuleResult, SuiteResult
from nemokit.cli._conformance_cmd import conformance_command

FAILED = RuleResult(
    rule_by_id("R1"),
    "mock",
    "failed",
    3,
    0.5,
    Scenario(steps=(Step("say", "credits"),)),
    (Violation("R1", "#3 GET /api/credits/balance/simple retried 0s after the 429"),),
    replay="nemokit conformance --rule R1 --replay '{}'",
)
SUITE = SuiteResult(
    (
        RuleResult(rule_by_id("H1"), "mock", "passed", 10, 0.1),
        FAILED,
        RuleResult(rule_by_id("S1"), "cassettes", "error", error="boom"),
    )
)


def test_junit_has_a_case_per_rule_and_the_failure_with_its_replay() -> None:
    root = ET.fromstring(junit_xml(SUITE).split("?>", 1)[1])
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"conformance.mock", "conformance.cassettes"}
    mock = suites["conformance.mock"]
    assert (mock.get("tests"), mock.get("failures"), mock.get("errors")) == ("2", "1", "0")
    failure = next(root.iter("failure"))
    assert "retried 0s" in (failure.get("message") or "")
    assert "--rule R1 --replay" in (failure.text or "")
    assert '"say"' in (failure.text or "")
    assert next(root.iter("error")).get("message") == "boom"


def test_table_shows_each_rule_and_the_minimal_scenario() -> None:
    out = io.StringIO()
    print_table(SUITE, Console(file=out, width=200))
    text = out.getvalue()
    for needle in ("H1", "R1", "S1", "passed", "failed", "minimal scenario", "1 passed, 2 failed"):
        assert needle in text


def test_cli_passes_for_the_reference_client_and_writes_junit(tmp_path: pathlib.Path) -> None:
    junit = tmp_path / "out.xml"
    result = CliRunner().invoke(
        conformance_command, ["--rule", "H1", "--rule", "t2", "--junit", str(junit)]
    )
    assert result.exit_code == 0, result.output
    assert "H1" in result.output
    assert "T2" in result.output
    assert ET.parse(junit).getroot().find("testsuite").get("tests") == "2"  # type: ignore[union-attr]


def test_cli_exits_nonzero_on_a_violation_with_the_replay() -> None:
    result = CliRunner().invoke(
        conformance_command,
        ["--client", "tests.conformance._shows_heartbeats:factory", "--rule", "S1"],
    )
    assert result.exit_code == 1, result.output
    assert "failed" in result.output
    assert "--replay" in result.output


def test_cli_replay_runs_one_scenario() -> None:
    scenario = Scenario(steps=(Step("say", "credits"),)).to_json()
    ok = CliRunner().invoke(conformance_command, ["--replay", scenario])
    assert ok.exit_code == 0
    assert "GET /api/credits/balance/simple" in ok.output
    bad = CliRunner().invoke(
        conformance_command,
        [
            "--client",
            "tests.conformance._shows_heartbeats:factory",
            "--rule",
            "S1",
            "--replay",
            scenario,
        ],
    )
    assert bad.exit_code == 1
    assert "VIOLATION S1" in bad.output


def test_cli_bad_input_is_a_clear_error_not_a_traceback() -> None:
    runner = CliRunner()
    for args, word in (
        (["--rule", "Z9"], "no rule"),
        (["--client", "nocolon"], "module:factory"),
        (["--replay", "{"], "JSON"),
        (["--client", "a:b", "--client-cmd", "x"], "either"),
    ):
        result = runner.invoke(conformance_command, args)
        assert result.exit_code == 2, (args, result.output)
        assert word in result.output
        assert "Traceback" not in result.output


def test_cli_lists_rules() -> None:
    result = CliRunner().invoke(conformance_command, ["--list-rules"])
    assert result.exit_code == 0
    assert "X1" in result.output
    assert "Never re-send" in result.output
