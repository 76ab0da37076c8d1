"""Honest results: a rule whose subject never occurred is "not exercised", never "passed"; the
committed cassettes exercise every registered rule; replay hands out secrets the judges know."""

from __future__ import annotations

import json
import pathlib
import shutil
import xml.etree.ElementTree as ET

import pytest

from conformance.cassettes._cassette import load_cassette
from conformance.drivers._adapter import nemokit_factory
from conformance.suite._broken import BROKEN_CLIENTS, BROKEN_SCENARIOS
from conformance.suite._cassette_run import CASSETTE_DIR, run_cassette
from conformance.suite._harness import run_scenario
from conformance.suite._model import Fault, Scenario, Step
from conformance.suite._report import junit_xml, suite_json
from conformance.suite._rules import RULES, Rule, rule_by_id
from conformance.suite._suite import (
    NOT_EXERCISED,
    SuiteResult,
    check_cassettes,
    check_rule,
    run_suite,
)
from nemokit import contract


@pytest.fixture(scope="module")
def on_cassettes() -> SuiteResult:
    return run_suite(nemokit_factory, backend="cassettes")


def test_every_registered_rule_is_exercised_by_the_committed_cassettes(
    on_cassettes: SuiteResult,
) -> None:
    # A rule added without a cassette (or a subject) fails here by name: record one.
    idle = {r.rule.id: r.reason for r in on_cassettes.not_exercised}
    assert idle == {}, f"rules no committed cassette exercises: {idle}"
    assert [r.rule.id for r in on_cassettes.results] == [r.id for r in RULES]
    assert on_cassettes.ok, {r.rule.id: [str(v) for v in r.violations] for r in on_cassettes.failed}
    for result in on_cassettes.results:
        assert result.coverage, result.rule.id
        assert set(result.coverage) <= {p.stem for p in CASSETTE_DIR.glob("*.json")}


def test_the_committed_cassettes_cover_every_wire_variant() -> None:
    mocks = [load_cassette(p).extra.get("mock", {}) for p in CASSETTE_DIR.glob("*.json")]
    framings = {m.get("sse_framing", "lf") for m in mocks}
    forms = {m.get("heartbeat_form", "json") for m in mocks}
    dialects = {m.get("dialect", "adk") for m in mocks}
    assert framings == set(contract.SSE_FRAMINGS)
    assert forms == {form.value for form in contract.HeartbeatForm}
    assert dialects == {dialect.value for dialect in contract.EventDialect}


def test_the_coverage_names_the_cassettes_that_hold_the_subject(
    on_cassettes: SuiteResult,
) -> None:
    assert on_cassettes.result("S5", "cassettes").coverage == ("trailing_noise",)
    assert "long_turn" in on_cassettes.result("S10", "cassettes").coverage
    assert "user_token_1001" in on_cassettes.result("R3", "cassettes").coverage
    assert "chinese_routing" in on_cassettes.result("T3", "cassettes").coverage
    assert set(on_cassettes.result("S7", "cassettes").coverage) == {
        "stream_cut",
        "stream_cut_unchanged",
    }


def test_a_rule_whose_subject_is_absent_is_not_exercised(tmp_path: pathlib.Path) -> None:
    shutil.copy(CASSETTE_DIR / "error_4001.json", tmp_path)  # no 429, no stream, no render
    results = check_cassettes([rule_by_id("R1"), rule_by_id("H1")], nemokit_factory, tmp_path)
    r1, h1 = results
    assert r1.status == NOT_EXERCISED
    assert not r1.passed
    assert r1.coverage == ()
    assert r1.reason is not None
    assert "subject" in r1.reason
    assert h1.status == "passed"
    assert h1.coverage == ("error_4001",)


def test_a_rule_without_a_subject_is_never_exercised() -> None:
    blind = Rule("Z9", "no subject", "a rule nobody described", lambda s, o: [])
    result = check_rule(blind, nemokit_factory, profile="dev")
    assert result.status == NOT_EXERCISED
    assert result.reason is not None
    assert "declares no subject" in result.reason


def test_on_the_mock_the_coverage_names_the_variants() -> None:
    result = check_rule(rule_by_id("R1"), nemokit_factory, profile="ci")
    assert result.passed
    assert result.coverage
    assert all(":status" in label for label in result.coverage)


def test_junit_skips_and_json_shows_what_was_not_exercised(tmp_path: pathlib.Path) -> None:
    shutil.copy(CASSETTE_DIR / "error_4001.json", tmp_path)
    results = check_cassettes([rule_by_id("R1"), rule_by_id("H1")], nemokit_factory, tmp_path)
    suite = SuiteResult(tuple(results))
    root = ET.fromstring(junit_xml(suite))
    node = root.find("testsuite")
    assert node is not None
    assert node.get("skipped") == "1"
    skipped = root.find(".//testcase[@name='R1 429 retried once after the wait']/skipped")
    assert skipped is not None
    assert "not exercised" in skipped.get("message", "")
    data = json.loads(suite_json(suite))
    r1, h1 = data["results"]
    assert (r1["status"], r1["exercised_by"]) == ("not exercised", [])
    assert "reason" in r1
    assert (h1["status"], h1["exercised_by"]) == ("passed", ["error_4001"])
    assert h1["coverage"] == "exercised by cassettes: error_4001"


@pytest.mark.parametrize("name", sorted(BROKEN_CLIENTS))
def test_a_rule_that_catches_a_bug_saw_its_subject(name: str) -> None:
    # The subject and the judge read the same observation: where a judge finds a violation,
    # its subject occurred (else "not exercised" could hide a failure).
    factory, rule_id = BROKEN_CLIENTS[name]
    scenario = BROKEN_SCENARIOS[name]
    observation = run_scenario(scenario, factory)
    rule = rule_by_id(rule_id)
    assert rule.check(scenario, observation)
    assert rule.occurrences(scenario, observation)


def test_replay_hands_out_realistic_secrets_the_judges_know() -> None:
    path = CASSETTE_DIR / "quick_edit.json"
    assert contract.TOKEN_PREFIX not in path.read_text(encoding="utf-8")  # placeholders on disk
    _, first = run_cassette(path, nemokit_factory)
    _, second = run_cassette(path, nemokit_factory)
    assert len(first.secrets) == 1
    assert first.secrets[0].startswith(contract.TOKEN_PREFIX)
    assert first.secrets != second.secrets  # made fresh for each run
    token = first.secrets[0]
    sent = [r.header(contract.HEADER_AUTHORIZATION) for r in first.requests if r.kind != "token"]
    assert sent
    assert all(auth == f"Bearer {token}" for auth in sent)
    links = [s.text for s in first.shown if "/workspace/claim?ct=" in s.text]
    assert links
    assert f"ct={contract.CLAIM_TOKEN_PREFIX}" in links[0]


def test_a_user_token_cassette_hands_the_client_a_token_of_its_own() -> None:
    scenario, observation = run_cassette(CASSETTE_DIR / "user_token_1001.json", nemokit_factory)
    assert scenario.token_mode == "user"
    assert observation.of_kind("token") == []  # never swapped for an anonymous one
    assert observation.secrets
    assert observation.secrets[0].startswith(contract.TOKEN_PREFIX)


def test_a_cut_turn_lands_where_the_state_shows_the_edit() -> None:
    _, observation = run_cassette(CASSETTE_DIR / "stream_cut.json", nemokit_factory)
    (turn,) = observation.turns
    assert turn.changed
    fetches = [r for r in observation.of_kind("state") if r.time > turn.start]
    assert turn.applied_at == fetches[0].time  # the first recovery fetch saw the edit
    _, unchanged = run_cassette(CASSETTE_DIR / "stream_cut_unchanged.json", nemokit_factory)
    assert [t.changed for t in unchanged.turns] == [False]


def test_a_mock_scenario_with_nothing_to_judge_is_not_a_pass() -> None:
    # The replayed scenario runs once: no 429 occurred, so R1 has nothing to say about it.
    scenario = Scenario(steps=(Step("say", "credits"),), faults=(Fault("credits", "drop"),))
    observation = run_scenario(scenario, nemokit_factory)
    assert rule_by_id("R1").occurrences(scenario, observation) == []
    assert rule_by_id("H2").occurrences(scenario, observation)
