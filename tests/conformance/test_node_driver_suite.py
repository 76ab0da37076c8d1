"""The example non-Python driver (conformance/drivers/node/nemo-driver.mjs) through the suite
itself: ``run_suite(driver_factory(...), backend="live")``, as ``nemokit conformance
--client-cmd "node conformance/drivers/node/nemo-driver.mjs"`` runs it.

Budget: the ci profile (10 examples per rule) takes about 50 s of real time for a program in
another process one rule at a time (one node process reset between examples), about 30 s on 2
cores with ``--workers auto`` (``python -m bench.conformance`` times it), so this test uses a
``node-smoke`` profile of 2 derandomized examples per rule over every rule the live backend can
judge (about 15 s). The full ci run is the command above; the
rules a live backend cannot judge are reported as skipped with the reason (``live_skips``), never
counted as passed.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from conformance.drivers._driver import driver_factory
from conformance.drivers._protocol import Step
from conformance.suite._live import live_skips
from conformance.suite._model import Scenario
from conformance.suite._rules import RULES
from conformance.suite._suite import PROFILES, replay, run_suite
from nemokit.cli._conformance_cmd import conformance_command

NODE_DRIVER = Path(__file__).parents[2] / "conformance" / "drivers" / "node" / "nemo-driver.mjs"
SMOKE = "node-smoke"

needs_node = pytest.mark.skipif(
    shutil.which("node") is None, reason="node is not on PATH (the example driver is JavaScript)"
)


@pytest.fixture
def smoke_profile(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(PROFILES, SMOKE, settings(max_examples=2, derandomize=True))
    return SMOKE


@pytest.mark.slow
@needs_node
def test_the_node_driver_passes_every_rule_the_live_backend_judges(smoke_profile: str) -> None:
    skipped = live_skips()
    judged = [rule.id for rule in RULES if rule.id not in skipped]
    suite = run_suite(
        driver_factory(["node", str(NODE_DRIVER)]),
        rules=judged,
        profile=smoke_profile,
        backend="live",
    )
    report = "\n".join(
        f"{r.rule.id}: {r.error or '; '.join(map(str, r.violations))}\n  replay: {r.replay}"
        for r in suite.failed
    )
    assert suite.ok, report
    assert [r.rule.id for r in suite.results] == judged
    assert {r.backend for r in suite.results} == {"live"}
    assert all(r.examples >= 1 for r in suite.results)


def test_skipped_rules_say_why_and_are_not_run() -> None:
    skipped = live_skips()
    assert set(skipped) <= {rule.id for rule in RULES}
    for why in skipped.values():
        assert "live backend" in why


LEAKY = textwrap.dedent(
    """
    import json, os, sys
    for line in sys.stdin:
        if json.loads(line)["op"] == "quit":
            break
        print("debug: using token", os.environ.get("NEMO_TOKEN"), file=sys.stderr, flush=True)
        print(json.dumps({"kind": "reply", "text": "ok"}))
        print(json.dumps({"kind": "done"}), flush=True)
    """
)


def test_a_token_the_program_logs_on_stderr_is_caught(tmp_path: Path) -> None:
    # The program's stderr is its log: the secret rule judges it like a Python client's log.
    program = tmp_path / "leaky.py"
    program.write_text(LEAKY)
    scenario = Scenario(steps=(Step("say", "hello"),), token_mode="user")
    _, violations = replay(
        scenario, driver_factory([sys.executable, str(program)]), rules=["X1"], backend="live"
    )
    assert [v.rule for v in violations] == ["X1"]
    assert "log record" in violations[0].message
    assert "nmv_usr_" not in violations[0].message


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


def test_cli_checks_a_program_live_and_its_replay_names_the_program(tmp_path: Path) -> None:
    # A program that answers "ok" to everything never asks for the credits: T3 catches it.
    program = tmp_path / "lazy.py"
    program.write_text(LAZY)
    cmd = f"{sys.executable} {program}"
    junit = tmp_path / "out.xml"
    args = ["--client-cmd", cmd, "--rule", "T3", "--profile", "ci", "--junit", str(junit)]
    for skipped_id in live_skips():
        args += ["--rule", skipped_id]
    result = CliRunner().invoke(conformance_command, args)
    assert result.exit_code == 1, result.output
    assert "T3" in result.output
    assert "live" in result.output
    recipe = next(line for line in junit.read_text().splitlines() if line.startswith("replay: "))
    assert recipe.startswith(
        f"replay: nemokit conformance --client-cmd {shlex.quote(cmd)} --rule T3"
    )
    root = ET.fromstring(junit.read_bytes())
    skipped = {
        c.get("name", "").split()[0] for c in root.iter("testcase") if c.find("skipped") is not None
    }
    assert skipped == set(live_skips())


def test_cli_refuses_cassettes_for_a_program() -> None:
    result = CliRunner().invoke(
        conformance_command, ["--client-cmd", "node x.mjs", "--backend", "cassettes"]
    )
    assert result.exit_code == 2
    assert "--backend live" in result.output
    assert "Traceback" not in result.output
