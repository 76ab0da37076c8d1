"""The ci profile reaches every variant a rule is about (issue 13's coverage gaps).

The scenarios are recorded on the suite's own path (``check_rule`` at the ci profile, with the
explicit examples and the generated ones), with the client run and the judging replaced by a
recorder, so this test is fast and independent of how the suite reports its results.
"""

from __future__ import annotations

import dataclasses

import pytest

import conformance.suite._suite as suite
from conformance.drivers._adapter import nemokit_factory
from conformance.suite._coverage import EXAMPLES, REQUIRED, variants_of
from conformance.suite._intent import TABLE_WORDS
from conformance.suite._model import FAULT_KINDS, Observation, Scenario
from conformance.suite._rules import RULES
from mockserver._config import SSE_FRAMINGS


def _ci_scenarios(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Scenario]]:
    seen: dict[str, list[Scenario]] = {}
    current: list[str] = []

    def record(scenario: Scenario, *_: object, **__: object) -> Observation:
        seen.setdefault(current[0], []).append(scenario)
        return Observation()

    monkeypatch.setattr(suite, "run_scenario", record)
    for rule in RULES:
        current[:] = [rule.id]
        quiet = dataclasses.replace(rule, judge=lambda _s, _o: [])
        result = suite.check_rule(quiet, nemokit_factory, profile="ci")
        # Nothing is judged here (the runs are stubs), so a rule is not exercised; it must not err.
        assert result.status in ("passed", "not exercised"), result.error
    return seen


@pytest.fixture(scope="module")
def ci_scenarios() -> dict[str, list[Scenario]]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        return _ci_scenarios(monkeypatch)


@pytest.mark.parametrize("rule_id", sorted(REQUIRED))
def test_each_rule_reaches_its_variants_at_ci(
    rule_id: str, ci_scenarios: dict[str, list[Scenario]]
) -> None:
    reached = set().union(*(variants_of(s) for s in ci_scenarios[rule_id]))
    assert REQUIRED[rule_id] <= reached, sorted(REQUIRED[rule_id] - reached)


def test_the_suite_reaches_every_variant_at_ci(ci_scenarios: dict[str, list[Scenario]]) -> None:
    reached = set().union(*(variants_of(s) for ss in ci_scenarios.values() for s in ss))
    wanted = {f"fault:{kind}" for kind in FAULT_KINDS}
    wanted |= {f"framing:{framing}" for framing in SSE_FRAMINGS}
    wanted |= {f"dialect:{d}" for d in ("adk", "simple")}
    wanted |= {f"heartbeat:{h}" for h in ("json", "empty", "comment")}
    wanted |= {f"keyword:{w}" for words in TABLE_WORDS.values() for w in words}
    wanted |= {"code:1001", "code:1002", "status:429", "status:402", "status:400", "status:5xx"}
    assert wanted <= reached, sorted(wanted - reached)


def test_every_table_word_is_asked_for_in_both_languages() -> None:
    words = [w for ws in TABLE_WORDS.values() for w in ws]
    assert any(w.isascii() for w in words)
    assert any(not w.isascii() for w in words)
    # the contract's table: export/导出/download/send me the video, credits/积分/balance/余额,
    # status/状态/show tracks, upload/上传
    assert len(words) == 13


def test_explicit_examples_are_valid_scenarios() -> None:
    for scenarios in EXAMPLES.values():
        for scenario in scenarios:
            assert Scenario.from_json(scenario.to_json()) == scenario


def test_variants_of_names_what_a_scenario_reaches() -> None:
    (english, _) = EXAMPLES["T3"]
    labels = variants_of(english)
    assert {"keyword:export", "keyword:credits", "edit-with-keyword:en"} <= labels
    assert "keyword:导出" not in labels
