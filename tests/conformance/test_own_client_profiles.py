"""nemokit's own client against its own suite: the scenario found at ``thorough`` is pinned so
that ``ci`` runs it, and (under ``NEMOKIT_DEEP=1``) the whole ``thorough`` profile on both
backends passes."""

from __future__ import annotations

import os

import pytest

from conformance.drivers._adapter import nemokit_factory
from conformance.suite._broken import BROKEN_CLIENTS
from conformance.suite._examples import EXAMPLES, TIP_EN, TIP_ZH
from conformance.suite._harness import run_scenario
from conformance.suite._model import Scenario
from conformance.suite._rules import RULES, rule_by_id
from conformance.suite._suite import check_rule, run_suite

DEEP = os.environ.get("NEMOKIT_DEEP") == "1"


@pytest.mark.parametrize("scenario", [TIP_ZH, TIP_EN], ids=["zh", "en"])
def test_nemokit_keeps_every_rule_on_the_pinned_tip_scenarios(scenario: Scenario) -> None:
    assert scenario in EXAMPLES["T4"]
    observation = run_scenario(scenario, nemokit_factory)
    violations = [v for rule in RULES for v in rule.check(scenario, observation)]
    assert violations == [], "\n".join(map(str, violations))
    typed = [s.text for s in scenario.steps if s.op == "say"]
    assert [r.message for r in observation.of_kind("run_sse")] == typed  # no turn of its own
    replies = [s.text for s in observation.shown if s.kind == "reply"]
    assert len(replies) == len(set(replies))


@pytest.mark.parametrize(("rule_id", "bug"), [("T5", "sends_fragments"), ("T4", "executes_tips")])
def test_the_ci_profile_catches_the_tip_bug_at_its_pinned_example(rule_id: str, bug: str) -> None:
    factory, expected = BROKEN_CLIENTS[bug]
    assert expected == rule_id
    result = check_rule(rule_by_id(rule_id), factory, profile="ci")
    assert result.status == "failed"
    # An explicit example is run first and never shrunk: the failure is a pinned scenario.
    assert result.scenario in EXAMPLES[rule_id]


@pytest.mark.slow
@pytest.mark.skipif(not DEEP, reason="the thorough profile takes minutes: set NEMOKIT_DEEP=1")
def test_nemokit_passes_every_rule_at_thorough_on_both_backends() -> None:
    suite = run_suite(nemokit_factory, profile="thorough", backend="both")
    report = "\n".join(
        f"{r.rule.id} ({r.backend}): {r.error or '; '.join(map(str, r.violations))}\n"
        f"  replay: {r.replay}"
        for r in suite.failed
    )
    assert suite.ok, report
    assert len(suite.results) == 2 * len(RULES)
