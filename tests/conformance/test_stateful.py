"""nemokit's client through the stateful conformance machine: user actions (uploads, edits,
routing keywords in English and Chinese, export, credits, status) and faults (429 with or
without Retry-After, 1001, 1002, a cut stream) on one long-lived session, every rule checked
after every step; and the machine catches broken clients."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.drivers._adapter import nemokit_factory
from conformance.drivers._protocol import Step
from conformance.suite._broken import BROKEN_CLIENTS
from conformance.suite._harness import IncrementalRun
from conformance.suite._model import Fault, ServerVariant
from conformance.suite._rules import RULES
from conformance.suite._stateful import conformance_machine

#: Few, short programs: each step runs a real turn on the mock (milliseconds of real time).
_BUDGET = settings(
    settings(),
    max_examples=min(settings().max_examples, 15),
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TestNemokitStateful = conformance_machine().TestCase
TestNemokitStateful.settings = _BUDGET


@pytest.mark.parametrize(
    ("name", "rule_id"),
    [("shows_tool_calls", "S2"), ("prints_token", "X1"), ("retries_429_too_early", "R1")],
)
def test_the_machine_catches_a_broken_client(name: str, rule_id: str) -> None:
    factory, expected = BROKEN_CLIENTS[name]
    assert expected == rule_id
    machine = conformance_machine(factory)
    # No shrinking: the point is that some program is caught, not which is the smallest.
    budget = settings(
        _BUDGET, max_examples=15, database=None, derandomize=True, phases=[Phase.generate]
    )
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(machine, settings=budget)  # type: ignore[no-untyped-call]
    assert f"{rule_id}:" in str(caught.value)


def test_an_incremental_run_judges_like_a_whole_scenario() -> None:
    with IncrementalRun(
        BROKEN_CLIENTS["retries_429_too_early"][0], ServerVariant(silent_rate=0.0)
    ) as run:
        run.step(Step("say", "credits"))
        assert [v for r in RULES for v in r.check(run.scenario, run.observation())] == []
        run.add_fault(Fault("credits", "status", status=429, retry_after=45.0))
        run.step(Step("say", "credits"))
        observation = run.observation()
        assert [r.status for r in observation.of_kind("credits")][:3] == [200, 429, 200]
        assert run.scenario.faults == (Fault("credits", "status", status=429, retry_after=45.0),)
        violations = [v.rule for r in RULES for v in r.check(run.scenario, observation)]
        assert violations == ["R1"]


def test_a_setting_is_not_a_fault_rule() -> None:
    with (
        IncrementalRun(BROKEN_CLIENTS["shows_tool_calls"][0]) as run,
        pytest.raises(ValueError, match="setting"),
    ):
        run.add_fault(Fault("run_sse", "long"))


def test_a_refused_message_is_not_judged_as_a_cut_stream() -> None:
    """Found by the machine: out of credits, a message is refused (code 2001) and uses up the
    waiting cut fault; no stream started, so S7 (recovery) has nothing to judge."""
    with IncrementalRun(nemokit_factory, ServerVariant(silent_rate=0.0)) as run:
        run.step(Step("upload", files=("clip.mp4",)))
        for _ in range(40):
            run.step(Step("say", "trim the pauses"))
            if run.observation().of_kind("run_sse")[-1].code == 2001:
                break
        run.add_fault(Fault("run_sse", "cut", cut_after=2))
        run.step(Step("say", "add transitions"))
        observation = run.observation()
        refused = observation.of_kind("run_sse")[-1]
        assert (refused.code, refused.fault) == (2001, "fault_1")
        assert [v for r in RULES for v in r.check(run.scenario, observation)] == []
