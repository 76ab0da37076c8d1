"""The routing rules judge by intent, and the suite's ci profile catches the routing and polling
bugs it used to miss (issue 13): a client that routes by substring, one that does not route the
Chinese keywords, and one that polls a render 40 times."""

from __future__ import annotations

import pytest

from conformance.drivers._adapter import nemokit_factory
from conformance.drivers._protocol import Step
from conformance.suite._broken import BROKEN_CLIENTS, literal_route
from conformance.suite._intent import intent_of
from conformance.suite._model import Scenario
from conformance.suite._rules import rule_by_id
from conformance.suite._strategies import LABELLED
from conformance.suite._suite import check_rule
from nemokit._routing import Action, Route, clauses


@pytest.mark.parametrize(
    ("bug", "rule_id", "phrase_shown"),
    [
        ("routes_by_substring", "T3", True),
        ("chinese_keywords_not_routed", "T3", True),
        ("drops_chinese_edits_in_mixed_requests", "T3", True),
        ("polls_40_times", "R8", False),
        ("silent_after_10th_poll", "R8", False),
    ],
)
def test_the_ci_profile_catches_the_bug(bug: str, rule_id: str, phrase_shown: bool) -> None:
    factory, expected = BROKEN_CLIENTS[bug]
    assert expected == rule_id
    result = check_rule(rule_by_id(rule_id), factory, profile="ci")
    assert result.status == "failed", result.error
    assert result.scenario is not None
    assert result.violations
    if phrase_shown:  # the violation names the step's phrase, as the user said it
        said = [s.text for s in result.scenario.steps if s.op == "say"]
        assert any(repr(text) in str(v) for v in result.violations for text in said)


@pytest.mark.parametrize("rule_id", ["T2", "T3", "R8"])
def test_the_reference_client_passes_at_ci(rule_id: str) -> None:
    result = check_rule(rule_by_id(rule_id), nemokit_factory, profile="ci")
    assert result.passed, [str(v) for v in result.violations] or result.error


def _asks(pairs: list[tuple[str, str]]) -> tuple[list[str], bool]:
    """The client actions in order, and whether anything is left for the agent."""
    return [a for a, _ in pairs if a != "message"], any(a == "message" for a, _ in pairs)


def test_every_labelled_step_means_what_nemokits_router_reads() -> None:
    for step in LABELLED:
        assert step.intent is not None
        read = [(c.action.value, c.text) for c in clauses(step.text)]
        assert _asks(read) == _asks(list(step.intent)), step.text


def test_a_step_without_a_recorded_intent_is_read_by_the_router() -> None:
    assert intent_of(Step("say", "add end credits, then export")) == (
        ("message", "add end credits"),
        ("export", "export"),
    )


def test_the_literal_router_is_the_old_bug() -> None:
    assert literal_route("add end credits") == (Route(Action.CREDITS),)
    assert literal_route("trim the pauses and export") == (
        Route(Action.MESSAGE, "trim the pauses"),
        Route(Action.EXPORT),
    )


def test_intent_round_trips_in_the_replay_recipe_and_bad_ones_are_named() -> None:
    step = LABELLED[-1]
    scenario = Scenario(steps=(step,))
    assert Scenario.from_json(scenario.to_json()) == scenario
    assert '"intent"' not in Scenario(steps=(Step("say", "hi"),)).to_json()
    with pytest.raises(ValueError, match="bad intent"):
        Scenario.from_json('{"steps": [{"op": "say", "text": "x", "intent": [["teleport", "x"]]}]}')
