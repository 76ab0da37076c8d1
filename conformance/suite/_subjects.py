"""What each rule is about: its subject, as a predicate over what a run observed.

A rule that judges a run in which its subject never occurred has judged nothing: R1 on a run
without a 429, S5 on a run without trailing noise. Such a run must not count as passing. Each
rule therefore declares its subject here, as data: a function ``(scenario, observation) ->
occurrences`` giving one short phrase per occurrence (``#3 GET /api/credits/balance/simple at
0s answered 429``). The judge and the report read the same observation: a rule is *exercised* by
a run when its subject has occurrences, and the suite reports a rule that no run exercised as
``not exercised`` instead of ``passed``.

The subjects select what the judges select (the same helpers of :mod:`._judging`): a subject
that saw something its judge ignores would claim coverage the judge never gave.

A rule registered without a subject here is never exercised: the suite cannot know what it is
about, and says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from nemokit import contract

from ._intent import TABLE_WORDS, intent_of
from ._judging import _complete_turns, _faults_by_id, _long, _stream_started
from ._model import Observation, Request, Scenario
from ._rules_text import _GUI

__all__ = ["SUBJECTS", "Subject", "variant_label"]

#: ``(scenario, observation) -> occurrences``: one phrase per time the subject occurred.
Subject = Callable[[Scenario, Observation], list[str]]


def _answered(r: Request) -> str:
    code = f" code {r.code}" if r.code not in (None, 0) else ""
    return f"{r.describe()} answered {r.status}{code}"


def _requests(test: Callable[[Request], bool], say: Callable[[Request], str]) -> Subject:
    def subject(_: Scenario, obs: Observation) -> list[str]:
        return [say(r) for r in obs.requests if test(r)]

    return subject


def _token_flow(_: Scenario, obs: Observation) -> list[str]:
    """The requests that carried one of the run's API tokens (in a header, the URL or body):
    a token the client held, which it could have leaked."""
    out = []
    for r in obs.requests:
        text = " ".join([r.path, r.query, *(v for _, v in r.headers), str(r.body or "")])
        if any(s and s in text for s in obs.secrets):
            out.append(f"{r.describe()} carried the API token")
    return out


def _fault_streams(kind: str) -> Subject:
    """Streams that started and then met a ``kind`` fault (``cut``, ``stall``)."""

    def subject(scenario: Scenario, obs: Observation) -> list[str]:
        kinds = _faults_by_id(scenario)
        return [
            f"{r.describe()}: a {kind} stream"
            for r in obs.of_kind("run_sse")
            if r.fault is not None and kinds.get(r.fault) == kind and _stream_started(r)
        ]

    return subject


def _heartbeats(scenario: Scenario, obs: Observation) -> list[str]:
    out = [f"a turn sent {t.heartbeats} heartbeat(s)" for t in obs.turns if t.heartbeats]
    return out + _fault_streams("stall")(scenario, obs)


def _tools(_: Scenario, obs: Observation) -> list[str]:
    return [f"a turn called {', '.join(t.tools)}" for t in obs.turns if t.tools]


def _quiet_turns(scenario: Scenario, obs: Observation) -> list[str]:
    """Complete turns quiet long enough that at least one "Still working" is due (S3's lower
    bound is at least one)."""
    every, beat = contract.STILL_WORKING_EVERY, scenario.server.heartbeat_interval
    broken = {r.step for r in obs.of_kind("run_sse") if r.fault or r.error}
    out = []
    for r, turn in _complete_turns(scenario, obs):
        early = turn.first_partial_at or turn.first_text_at or turn.end
        if r.step not in broken and math.floor((early - turn.start - beat) / every) >= 1:
            out.append(f"{r.describe()}: {early - turn.start:g}s without text")
    return out


def _noise(scenario: Scenario, obs: Observation) -> list[str]:
    return [
        f"{r.describe()}: trailing {t.noise[0][:30]!r}"
        for r, t in _complete_turns(scenario, obs)
        if t.noise and (t.texts or t.tools)
    ]


def _silent(scenario: Scenario, obs: Observation) -> list[str]:
    return [f"{r.describe()}: a silent turn" for r, t in _complete_turns(scenario, obs) if t.silent]


def _replies(scenario: Scenario, obs: Observation) -> list[str]:
    server = scenario.server
    return [
        f"{r.describe()}: a reply ({server.dialect} dialect, {server.sse_framing} framing)"
        for r, t in _complete_turns(scenario, obs)
        if t.texts
    ]


def _long_turns(scenario: Scenario, obs: Observation) -> list[str]:
    if not _long(scenario):
        return []
    return [
        f"{r.describe()}: a turn past 15 minutes"
        for r in obs.of_kind("run_sse")
        if _stream_started(r) and not (r.fault or r.error)
    ]


def _gui(_: Scenario, obs: Observation) -> list[str]:
    return [
        f"the backend said {m.group(0)!r}"
        for t in obs.turns
        for text in t.texts
        if (m := _GUI.search(text))
    ]


def _holds_table_word(clause: str) -> bool:
    folded = clause.lower()
    return any(word in folded for words in TABLE_WORDS.values() for word in words)


def _keywords(*actions: str, edits: bool = False) -> Subject:
    """Steps whose intent asks for one of ``actions``; for routing (T2, T3), as their judges read
    them: steps that ran and did not end in a Problem (a failed step may stop before its
    routes), each clause with what it asks for (the scenario's label, or the router's reading).
    With ``edits``, an edit that holds a routing word counts too (T3 judges that it reached the
    agent)."""

    def subject(scenario: Scenario, obs: Observation) -> list[str]:
        out = []
        for i, step in enumerate(scenario.steps):
            if step.op != "say" or i >= len(obs.step_times) or _failed(obs, i):
                continue
            for action, clause in intent_of(step):
                if action in actions:
                    out.append(f"step {i} asked for {action}: {clause!r}")
                elif edits and action == "message" and _holds_table_word(clause):
                    out.append(f"step {i} made an edit holding a routing word: {clause!r}")
        return out

    return subject


def _failed(obs: Observation, step: int) -> bool:
    return any(s.step == step and s.kind == "problem" for s in obs.shown)


#: rule id → its subject. Every rule of :data:`._rules.RULES` should have one.
SUBJECTS: Mapping[str, Subject] = {
    "H1": _requests(lambda r: r.kind not in (None, "token"), Request.describe),
    "H2": _requests(lambda r: r.kind is not None, Request.describe),
    "H3": _requests(lambda r: r.kind == "token", lambda r: f"{r.describe()}: a token call"),
    "H4": _token_flow,
    # Every request the client makes is in some form: each one is judged current or not.
    "H5": _requests(lambda r: r.kind is not None, Request.describe),
    "R1": _requests(lambda r: r.status == 429 and r.kind is not None, _answered),
    "R2": _requests(lambda r: r.status == 402 and r.kind is not None, _answered),
    "R3": _requests(
        lambda r: r.code == contract.Code.TOKEN_INVALID and r.kind not in (None, "token"),
        _answered,
    ),
    "R4": _requests(
        lambda r: r.code == contract.Code.SESSION_NOT_FOUND and r.kind == "run_sse", _answered
    ),
    "R5": _requests(
        lambda r: r.status == 400 and r.kind == "token" and r.code in (None, 400), _answered
    ),
    "R6": _requests(
        lambda r: r.kind == "render" and r.status is not None and r.status >= 500, _answered
    ),
    "R7": _requests(
        lambda r: r.kind == "run_sse" and _stream_started(r),
        lambda r: f"{r.describe()}: a started stream",
    ),
    "R8": _requests(lambda r: r.kind == "render_status", lambda r: f"{r.describe()}: a poll"),
    "S1": _heartbeats,
    "S2": _tools,
    "S3": _quiet_turns,
    "S4": _fault_streams("stall"),
    "S5": _noise,
    "S6": _silent,
    "S7": _fault_streams("cut"),
    "S8": _replies,
    "S9": _replies,
    "S10": _long_turns,
    "T1": _gui,
    "T2": _keywords("export", "credits"),
    "T3": _keywords("export", "credits", "state", edits=True),
    # A turn the client sends on its own (T4: only to carry out an order, never a tip; T5: a
    # whole sentence, one at most) has its occasion in a GUI instruction of the backend's reply.
    "T4": _gui,
    "T5": _gui,
    "X1": _token_flow,
}


def variant_label(scenario: Scenario) -> str:
    """A short name of a scenario's variant, for the coverage line of the mock backend:
    ``adk/json/lf user fault:run_sse:cut``."""
    s = scenario.server
    parts = [f"{s.dialect}/{s.heartbeat_form}/{s.sse_framing}"]
    if s.error_style != "code_200":
        parts.append(s.error_style)
    if scenario.token_mode == "user":
        parts.append("user token")
    parts += [f"{f.target}:{f.kind}" for f in scenario.faults]
    return " ".join(parts)
