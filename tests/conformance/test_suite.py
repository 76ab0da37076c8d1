"""The engine end to end: the reference client passes every rule; failures shrink and replay."""

from __future__ import annotations

import json

import pytest

from conformance.drivers._adapter import NemokitAdapter, load_factory, nemokit_factory
from conformance.drivers._protocol import Shown, Step
from conformance.suite._harness import run_scenario
from conformance.suite._model import Fault, Scenario, ServerVariant
from conformance.suite._rules import RULES
from conformance.suite._suite import replay, run_suite


def test_reference_client_passes_every_rule_on_the_mock() -> None:
    suite = run_suite(nemokit_factory, profile="ci")
    assert [r.rule.id for r in suite.results] == [r.id for r in RULES]
    failures = {r.rule.id: (r.error or [str(v) for v in r.violations]) for r in suite.failed}
    assert suite.ok, failures
    assert all(r.examples >= 1 for r in suite.results)


def test_reference_client_passes_every_rule_on_the_cassettes() -> None:
    suite = run_suite(nemokit_factory, backend="cassettes")
    assert {r.backend for r in suite.results} == {"cassettes"}
    assert suite.ok, {r.rule.id: r.error or [str(v) for v in r.violations] for r in suite.failed}
    assert all(r.examples > 0 for r in suite.results)  # the committed cassettes were judged


class _ShowsHeartbeats(NemokitAdapter):
    def run_step(self, step: Step) -> list[Shown]:
        return [*super().run_step(step), Shown("progress", "heartbeat")]


def test_a_failure_shrinks_and_prints_a_replay_recipe() -> None:
    suite = run_suite(_ShowsHeartbeats, rules=["S1"], profile="ci")
    result = suite.result("S1")
    assert result.status == "failed"
    assert not suite.ok
    assert result.scenario is not None
    assert len(result.scenario.steps) <= 2  # shrunk: an upload and at most one more step
    assert result.replay is not None
    assert "--rule S1 --replay" in result.replay
    # the recipe's JSON is the minimal scenario, and replaying it shows the same violation
    recipe_json = result.replay.split("--replay ", 1)[1].strip("'")
    assert Scenario.from_json(recipe_json) == result.scenario
    _, violations = replay(recipe_json, _ShowsHeartbeats, rules=["S1"])
    assert violations
    assert violations[0].rule == "S1"


def test_observation_holds_journal_views_logs_and_turns() -> None:
    scenario = Scenario(
        ServerVariant(silent_rate=1.0),
        (Step("upload", files=("clip.mp4",)), Step("say", "trim the pauses")),
        (Fault("run_sse", "status", status=429, retry_after=45.0),),
    )
    obs = run_scenario(scenario, nemokit_factory)
    sse = obs.of_kind("run_sse")
    assert [r.status for r in sse] == [429, 200]
    assert sse[1].time - sse[0].time == pytest.approx(45.0)
    assert sse[1].message == "trim the pauses"
    assert sse[1].step == 1
    assert obs.turns
    assert obs.turns[0].silent
    assert obs.turns[0].tools == ("trim_pauses",)
    assert any(s.kind == "changes" and s.step == 1 for s in obs.shown)
    assert any(line.startswith("httpx ") for line in obs.logs)  # httpx's logger was captured
    assert obs.secrets
    assert all(s.startswith("nmv_usr_") for s in obs.secrets)
    assert obs.errors == ()


def test_restart_keeps_the_client_id() -> None:
    steps = (Step("say", "credits"), Step("restart"), Step("say", "credits"))
    obs = run_scenario(Scenario(steps=steps), nemokit_factory)
    ids = [r.header("X-Client-Id") for r in obs.of_kind("token")]
    assert len(ids) == 2
    assert ids[0] == ids[1]
    assert ids[0]


def test_user_token_mode_uses_no_anonymous_token() -> None:
    obs = run_scenario(
        Scenario(steps=(Step("say", "credits"),), token_mode="user"), nemokit_factory
    )
    assert obs.of_kind("token") == []
    assert obs.of_kind("credits")[0].status == 200


def test_scenario_json_round_trip_and_clear_errors() -> None:
    scenario = Scenario(
        steps=(Step("say", "导出"), Step("wait", seconds=5.0)),
        faults=(Fault("render", "status", status=500, times=2),),
        token_mode="user",
    )
    text = scenario.to_json()
    assert "\n" not in text
    assert json.loads(text)["steps"][0]["text"] == "导出"
    assert Scenario.from_json(text) == scenario
    for bad, word in (
        ("{", "JSON"),
        ("[]", "object"),
        ('{"steps":[{"op":"dance"}]}', "dance"),
        ('{"faults":[{"target":"moon","kind":"status"}]}', "moon"),
        ('{"token_mode":"root"}', "token_mode"),
        ('{"x":1}', "unknown"),
    ):
        with pytest.raises(ValueError, match=word):
            Scenario.from_json(bad)


def test_load_factory_names_what_is_wrong() -> None:
    assert load_factory("conformance.drivers._adapter:nemokit_factory") is nemokit_factory
    for spec, word in (
        ("nocolon", "module:factory"),
        ("no_such_mod_x:f", "cannot import"),
        ("conformance.drivers._adapter:nope", "no attribute"),
    ):
        with pytest.raises(ValueError, match=word):
            load_factory(spec)


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="profile"):
        run_suite(rules=["H1"], profile="forever")
