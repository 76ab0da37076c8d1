"""The WHATWG framings (rule S9) and the 15-minute limit (rule S10), end to end on the mock.

nemokit's client passes both; deliberately broken clients are caught: one that splits the
stream on ``"\\n\\n"`` only (lost under CR and CRLF framings), one that ignores the 15-minute
limit, one that gives up on a turn that is still making progress.
"""

from __future__ import annotations

from typing import Any

import pytest

import nemokit._turn as turn_module
from conformance.drivers._adapter import nemokit_factory
from conformance.drivers._protocol import Shown, Step
from conformance.suite._harness import run_scenario
from conformance.suite._model import Fault, Observation, Scenario, ServerVariant
from conformance.suite._rules import RULES, rule_by_id
from conformance.suite._suite import check_rule
from mockserver._config import SSE_FRAMINGS
from nemokit._sse import SSEComment, SSEEvent, SSEItem

UPLOAD = Step("upload", files=("clip.mp4",))
QUIET = {"silent_rate": 0.0, "noise_rate": 0.0}


def spoken(framing: str, text: str = "hello", **server: object) -> Scenario:
    variant = ServerVariant(sse_framing=framing, **{**QUIET, **server})  # type: ignore[arg-type]
    return Scenario(variant, (UPLOAD, Step("say", text)))


def long_turn(interval: float = 20.0) -> Scenario:
    variant = ServerVariant(heartbeat_interval=interval, **QUIET)  # type: ignore[arg-type]
    return Scenario(variant, (UPLOAD, Step("say", "trim the pauses")), (Fault("run_sse", "long"),))


def judge(rule_id: str, scenario: Scenario) -> list[str]:
    return [str(v) for v in rule_by_id(rule_id).check(scenario, run_scenario(scenario, factory))]


factory = nemokit_factory


class NaiveDecoder:
    """The bug under test: events end at ``"\\n\\n"`` only and lines at ``"\\n"`` only."""

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, chunk: bytes) -> list[SSEItem]:
        *blocks, self.buffer = (self.buffer + chunk).split(b"\n\n")
        return [item for block in blocks for item in self._read(block)]

    def flush(self) -> list[SSEItem]:
        rest, self.buffer = self.buffer, b""
        return self._read(rest)

    @staticmethod
    def _read(block: bytes) -> list[SSEItem]:
        lines = block.decode("utf-8", "replace").split("\n")
        data = [line[5:].lstrip() for line in lines if line.startswith("data:")]
        if data:
            return [SSEEvent(data="\n".join(data))]
        return [SSEComment(line[1:]) for line in lines if line.startswith(":")]


@pytest.fixture
def naive_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """nemokit's client with the naive SSE reader in place of its WHATWG one."""
    monkeypatch.setattr(turn_module, "SSEDecoder", NaiveDecoder)


# --- S9: the framings -------------------------------------------------------------------------


@pytest.mark.parametrize("framing", SSE_FRAMINGS)
@pytest.mark.parametrize("partial", [False, True])
def test_nemokit_reads_every_framing(framing: str, partial: bool) -> None:
    scenario = spoken(framing, "trim the pauses", partial_text=partial, seed=1)
    observation = run_scenario(scenario, nemokit_factory)
    assert [s for s in observation.shown if s.kind == "reply"]  # there was a reply to judge
    violations = [v for rule in RULES for v in rule.check(scenario, observation)]
    assert violations == [], "\n".join(map(str, violations))


@pytest.mark.usefixtures("naive_client")
@pytest.mark.parametrize("framing", ["crlf", "cr", "chunked"])
def test_a_client_splitting_on_blank_lf_lines_is_caught_by_s9(framing: str) -> None:
    # An edit: tool events, heartbeats and the reply (one lone event would parse by luck).
    violations = judge("S9", spoken(framing, "trim the pauses"))
    assert violations
    assert all(v.startswith("S9:") and "was not shown" in v for v in violations)
    assert framing in violations[0]


@pytest.mark.usefixtures("naive_client")
def test_the_naive_client_passes_plain_lf_so_s9_judges_the_framing() -> None:
    assert judge("S9", spoken("lf", "trim the pauses")) == []


def test_nemokit_passes_s9_and_s10_under_the_suite() -> None:
    for rule_id in ("S9", "S10"):
        result = check_rule(rule_by_id(rule_id), nemokit_factory, profile="ci")
        assert result.passed, result.violations or result.error
        assert result.examples >= 5


def _observation(*replies: str, texts: tuple[str, ...]) -> tuple[Scenario, Observation]:
    """A hand-built turn that sent ``texts`` and a client that showed ``replies``."""
    from conformance.suite._model import Request, TurnRecord

    scenario = spoken("crlf")
    request = Request(
        1,
        5.0,
        "POST",
        "/run_sse",
        "",
        (),
        {"new_message": {"parts": [{"text": "hello"}]}},
        status=200,
        step=1,
    )
    turn = TurnRecord("hello", 5.0, 40.0, texts, (), (), False, False)
    shown = tuple(Shown("reply", text, 1) for text in replies)
    return scenario, Observation(requests=(request,), shown=shown, turns=(turn,))


def test_s9_catches_a_duplicated_and_an_empty_reply() -> None:
    sent = ("I'm ready: upload a clip or describe the video.",)
    s9 = rule_by_id("S9")
    assert s9.check(*_observation(sent[0], texts=sent)) == []
    twice = s9.check(*_observation(sent[0], sent[0], texts=sent))
    assert ["shown 2 times, sent 1" in v.message for v in twice] == [True]
    empty = s9.check(*_observation(sent[0], "  ", texts=sent))
    assert ["empty reply" in v.message for v in empty] == [True]


def test_s9_checks_the_content_before_a_gui_instruction() -> None:
    sent = ("Done! I trimmed the pauses. Click the Export button to download your video.",)
    translated = "Done! I trimmed the pauses. Say 'export' when you want the video."
    assert rule_by_id("S9").check(*_observation(translated, texts=sent)) == []
    assert rule_by_id("S9").check(*_observation("Done!", texts=sent))


# --- S10: the 15-minute limit -----------------------------------------------------------------


@pytest.mark.parametrize("interval", [15.0, 20.0, 30.0])
def test_nemokit_gives_up_a_long_turn_at_15_minutes(interval: float) -> None:
    scenario = long_turn(interval)
    observation = run_scenario(scenario, nemokit_factory)
    problems = [s.text for s in observation.shown if s.kind == "problem"]
    assert len(problems) == 1
    assert "15 minutes" in problems[0]
    assert len(observation.of_kind("run_sse")) == 1  # never re-sent
    violations = [v for rule in RULES for v in rule.check(scenario, observation)]
    assert violations == [], "\n".join(map(str, violations))


def test_a_client_without_the_limit_is_caught_by_s10(monkeypatch: pytest.MonkeyPatch) -> None:
    on_tick = turn_module._Listener.on_tick

    def no_limit(self: turn_module._Listener, now: float) -> Any:
        views, ending = on_tick(self, now)
        return views, None if ending == "timed_out" else ending

    monkeypatch.setattr(turn_module._Listener, "on_tick", no_limit)
    violations = judge("S10", long_turn())
    assert any("followed for" in v for v in violations), violations
    assert any("without a Problem" in v for v in violations), violations


def test_a_client_giving_up_at_5_minutes_is_caught_by_s10(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = turn_module.run_turn.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "policy", turn_module.TurnPolicy(limit=300.0))
    violations = judge("S10", long_turn())
    assert any("was given up after" in v for v in violations), violations


def test_s10_judges_only_long_turns() -> None:
    scenario = spoken("lf")
    assert rule_by_id("S10").check(scenario, run_scenario(scenario, nemokit_factory)) == []
