"""T4 and T5 on hand-built observations: turns the user did not ask for, and follow-ups that
are whole sentences. One observation keeps each rule, one breaks it."""

from __future__ import annotations

import pytest
from test_rules import obs, req, turn

from conformance.drivers._protocol import Step
from conformance.suite._model import Observation, Scenario
from conformance.suite._rules import rule_by_id


def run(typed: str, reply: str, *follow_ups: str) -> tuple[Scenario, Observation]:
    """The user typed ``typed``; the backend answered ``reply``; the client sent ``follow_ups``
    (each its own turn, answered "Done.")."""
    scenario = Scenario(steps=(Step("say", typed),))
    requests = [req(1, "run_sse", 0.0, message=typed)]
    turns = [turn(0.0, message=typed, texts=(reply,))]
    for n, message in enumerate(follow_ups, 2):
        requests.append(req(n, "run_sse", 30.0 * n, message=message))
        turns.append(turn(30.0 * n, message=message, texts=("Done.",)))
    return scenario, obs(*requests, turns=tuple(turns))


def violations(rule: str, scenario: Scenario, observation: Observation) -> list[str]:
    return [v.message for v in rule_by_id(rule).check(scenario, observation)]


@pytest.mark.parametrize(
    ("typed", "reply", "sent"),
    [
        (
            "move the clip to the start",
            "Drag the clip to the start of the timeline.",
            "Move the clip to the start of the timeline.",
        ),
        ("add the subtitles please", "Click Apply to add the subtitles.", "Add the subtitles."),
        ("把标题移到5秒处", "拖拽标题到5秒处。", "移动标题到5秒处。"),
    ],
)
def test_a_follow_up_that_carries_out_an_order_completing_the_request_keeps_both(
    typed: str, reply: str, sent: str
) -> None:
    observed = run(typed, reply, sent)
    assert violations("T4", *observed) == []
    assert violations("T5", *observed) == []


def test_what_the_user_typed_is_requested_even_when_routing_cut_it() -> None:
    scenario = Scenario(steps=(Step("say", "trim the pauses and export"),))
    observation = obs(req(1, "run_sse", message="trim the pauses"))
    assert violations("T4", scenario, observation) == []
    assert violations("T5", scenario, observation) == []


@pytest.mark.parametrize(
    ("typed", "reply", "sent", "why"),
    [
        (
            "你好",
            "当前项目有1条轨道。拖拽时间线上的片段可以调整顺序。",
            "移动时间线上的片段可以调整顺序。",
            "carries out a tip",
        ),
        (
            "trim the pauses",
            "Done! Drag the clips on the timeline to fine-tune the order.",
            "Move the clips on the timeline to fine-tune the order.",
            "carries out a tip",
        ),
        (
            "move the title later",
            "Drag the title to 2s in the timeline.",
            "Move the title to 2s in the timeline.",
            "does more than the user asked for",
        ),
        ("hello", "I'm ready.", "Add a title.", "carries out no GUI instruction"),
    ],
)
def test_t4_catches_a_turn_the_user_did_not_ask_for(
    typed: str, reply: str, sent: str, why: str
) -> None:
    found = violations("T4", *run(typed, reply, sent))
    assert len(found) == 1
    assert why in found[0]
    assert repr(sent) in found[0]


@pytest.mark.parametrize(
    ("reply", "sent"),
    [
        ("拖拽时间线上的片段可以调整顺序。", "移动时间线上的片段可"),
        ("Drag the clips on the timeline to fine-tune the order.", "Move the clips"),
    ],
)
def test_t5_catches_a_fragment(reply: str, sent: str) -> None:
    found = violations("T5", *run("你好", reply, sent))
    assert ["a fragment" in v for v in found] == [True]


def test_t5_allows_one_follow_up_per_user_message() -> None:
    reply = "Drag the clip to the start of the timeline. Drag the title to the start of it."
    observed = run(
        "move the clip and the title to the start",
        reply,
        "Move the clip to the start of the timeline.",
        "Move the title to the start of it.",
    )
    found = violations("T5", *observed)
    assert ["at most one follow-up" in v for v in found] == [True]
    assert violations("T4", *observed) == []
