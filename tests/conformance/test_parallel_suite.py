"""``run_suite(..., workers=N)`` and ``nemokit conformance --workers``: rules checked in worker
processes give the results a serial run gives, in rule order; a worker that dies or hangs is an
error for its rule, never lost and never passed.

Each worker is a spawned Python process (about a second to start), so these tests use a few
rules of the in-process client on the ``mock`` backend, where a rule takes a fraction of that.
"""

from __future__ import annotations

import json
import pathlib
import pickle
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from conformance.drivers._adapter import nemokit_factory
from conformance.drivers._driver import DriverFactory, driver_factory
from conformance.suite._parallel import SLOW_FIRST, check_in_workers, worker_count
from conformance.suite._report import suite_json, write_junit
from conformance.suite._rules import rule_by_id
from conformance.suite._suite import RuleResult, SuiteResult, run_suite
from nemokit.cli._conformance_cmd import conformance_command
from tests.conformance._shows_heartbeats import factory as shows_heartbeats
from tests.conformance._worker_clients import CrashOnce, crash_always, unpicklable

pytestmark = pytest.mark.slow  # worker processes take about a second each to start

#: Rules given out of SLOW_FIRST's order (so the workers finish them out of the given order).
RULES = ["H1", "S10", "T2", "S1"]


def _same(result: RuleResult) -> tuple[object, ...]:
    """Everything a result says except how long it took."""
    return (
        result.rule.id, result.backend, result.status, result.examples, result.scenario,
        result.violations, result.error, result.replay, result.coverage, result.reason,
    )  # fmt: skip


def _without_seconds(suite: SuiteResult) -> object:
    data = json.loads(suite_json(suite))
    for row in data["results"]:
        del row["seconds"]
    return data


def test_parallel_results_and_reports_equal_the_serial_ones(tmp_path: pathlib.Path) -> None:
    # shows_heartbeats breaks S1, so a failure (minimal scenario, replay) is compared too.
    serial = run_suite(shows_heartbeats, rules=RULES, client="c:f")
    parallel = run_suite(shows_heartbeats, rules=RULES, client="c:f", workers=2)
    assert [r.rule.id for r in parallel.results] == RULES  # rule order, not finishing order
    assert [_same(r) for r in parallel.results] == [_same(r) for r in serial.results]
    assert {r.status for r in parallel.results} == {"passed", "failed"}
    assert parallel.result("S1").replay is not None
    assert _without_seconds(parallel) == _without_seconds(serial)
    names = [
        [case.get("name") for case in ET.parse(write_junit(suite, tmp_path / f"{n}.xml")).iter(
            "testcase")]
        for n, suite in (("serial", serial), ("parallel", parallel))
    ]  # fmt: skip
    assert names[0] == names[1]


LAZY = textwrap.dedent(
    """
    import json, sys
    for line in sys.stdin:
        if json.loads(line)["op"] == "quit":
            break
        print(json.dumps({"kind": "reply", "text": "ok"}))
        print(json.dumps({"kind": "done"}), flush=True)
    """
)


def test_a_program_on_the_live_backend_gets_the_serial_results(tmp_path: pathlib.Path) -> None:
    # Each worker runs its own copy of the program against its own loopback mock. The program
    # answers "ok" to everything: T3 fails (it never asks for the credits), H1 sees no request.
    program = tmp_path / "lazy.py"
    program.write_text(LAZY)
    factory = driver_factory([sys.executable, str(program)])
    serial = run_suite(factory, rules=["T3", "H1"], backend="live")
    parallel = run_suite(factory, rules=["T3", "H1"], backend="live", workers=2)
    assert [_same(r) for r in parallel.results] == [_same(r) for r in serial.results]
    assert parallel.result("T3", "live").status == "failed"


def test_a_rule_given_twice_is_checked_twice_in_place() -> None:
    suite = run_suite(nemokit_factory, rules=["T2", "H1", "T2"], workers=3)
    assert [r.rule.id for r in suite.results] == ["T2", "H1", "T2"]
    assert all(r.passed for r in suite.results)


def test_a_worker_that_dies_is_an_error_for_its_rule_and_the_others_go_on(
    tmp_path: pathlib.Path,
) -> None:
    results = check_in_workers(
        [rule_by_id("H1"), rule_by_id("T2"), rule_by_id("H2")],
        CrashOnce(tmp_path / "crashed"),
        workers=2,
    )
    assert [r.rule.id for r in results] == ["H1", "T2", "H2"]
    errors = [r for r in results if r.status == "error"]
    assert len(errors) == 1
    assert errors[0].error is not None
    assert "exited (exit status 3)" in errors[0].error
    assert "not judged" in errors[0].error
    assert all(r.passed for r in results if r is not errors[0])  # its replacement went on


def test_when_every_worker_dies_every_rule_is_an_error_none_lost_or_passed() -> None:
    suite = run_suite(crash_always, rules=["H1", "T2", "H2"], workers=2)
    assert [r.rule.id for r in suite.results] == ["H1", "T2", "H2"]
    assert [r.status for r in suite.results] == ["error"] * 3
    assert not suite.ok
    assert all("exit status 4" in (r.error or "") for r in suite.results)


def test_a_worker_that_starts_no_example_in_time_is_stopped_as_hung() -> None:
    # idle_timeout=0: no worker can start an example before it is due, so each is stopped
    # (without waiting) as a hung one would be after the real timeout.
    results = check_in_workers(
        [rule_by_id("H1"), rule_by_id("T2")], nemokit_factory, workers=2, idle_timeout=0.0
    )
    assert [r.status for r in results] == ["error", "error"]
    assert all("hung" in (r.error or "") and "not judged" in (r.error or "") for r in results)


def test_a_factory_that_does_not_pickle_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"does not pickle.*workers=1"):
        run_suite(unpicklable, rules=["H1", "T2"], workers=2)
    with pytest.raises(ValueError, match="at least 1"):
        run_suite(nemokit_factory, rules=["H1"], workers=0)


def test_the_slowest_rules_go_first_and_are_rules() -> None:
    for rule_id in SLOW_FIRST:
        rule_by_id(rule_id)
    assert SLOW_FIRST[0] == "S10"


def test_a_driver_factory_pickles_its_settings_not_its_program() -> None:
    factory = driver_factory("node prog.mjs", api_url="http://127.0.0.1:9", step_timeout=7)
    copy = pickle.loads(pickle.dumps(factory))
    assert isinstance(copy, DriverFactory)
    assert copy.argv == ("node", "prog.mjs")
    assert (copy.api_url, copy.step_timeout, copy.reuse) == ("http://127.0.0.1:9", 7, True)
    assert copy._pool is not factory._pool
    copy.close_kept_program()  # nothing kept: a no-op, not an error


@pytest.mark.parametrize(("text", "count"), [("1", 1), ("3", 3), ("auto", worker_count("auto"))])
def test_worker_count(text: str, count: int) -> None:
    assert worker_count(text) == count >= 1


@pytest.mark.parametrize("text", ["0", "-1", "two", "1.5", ""])
def test_a_bad_worker_count_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="'auto' or a whole number"):
        worker_count(text)


@pytest.mark.parametrize("value", ["0", "many", "2.5"])
def test_cli_refuses_a_bad_workers_value_clearly(value: str) -> None:
    result = CliRunner().invoke(conformance_command, ["--rule", "H1", "--workers", value])
    assert result.exit_code == 2, result.output
    assert "--workers" in result.output
    assert "whole number" in result.output
    assert "Traceback" not in result.output


def test_cli_with_workers_reports_as_a_serial_run() -> None:
    args = ["--client", "tests.conformance._shows_heartbeats:factory", "--json"]
    args += [arg for rule_id in RULES for arg in ("--rule", rule_id)]
    serial = CliRunner().invoke(conformance_command, [*args, "--workers", "1"])
    parallel = CliRunner().invoke(conformance_command, [*args, "--workers", "2"])
    assert serial.exit_code == parallel.exit_code == 1  # S1 fails for this client
    rows = [json.loads(r.output)["results"] for r in (serial, parallel)]
    for row in rows[0] + rows[1]:
        del row["seconds"]
    assert rows[0] == rows[1]
    assert [row["rule"] for row in rows[1]] == RULES


def test_cli_runs_a_factory_that_does_not_pickle_serially_unless_told_otherwise() -> None:
    client = ["--client", "tests.conformance._worker_clients:unpicklable"]
    rules = ["--rule", "H1", "--rule", "T2"]
    auto = CliRunner().invoke(conformance_command, [*client, *rules])
    assert auto.exit_code == 0, auto.output
    told = CliRunner().invoke(conformance_command, [*client, *rules, "--workers", "2"])
    assert told.exit_code == 2
    assert "does not pickle" in told.output
    assert "--workers 1" in told.output
