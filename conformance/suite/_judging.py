"""Shared pieces of the rule judges: the judge type and small questions about an observation.

What several rule families ask of a run (the requests of a step after a given one, what a step
showed, which fault the mock installed under which id, which turns played to their end) lives
here once, so each family module (:mod:`._rules_http`, :mod:`._rules_stream`,
:mod:`._rules_text`) stays about its own rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ._model import SETTING_FAULTS, Fault, Observation, Request, Scenario, TurnRecord, Violation

Judge = Callable[[Scenario, Observation], list[Violation]]
_EPS = 1e-6
#: On the ``live`` backend the mock runs on a scaled clock (1000 virtual seconds per real one):
#: a client's real scheduling delays become virtual time (0.1 s late is 100 s; a loaded machine
#: delays a process by more), so the upper bounds of the timing rules allow this much more
#: there. In process, time is exact: none.
LIVE_SLACK = 240.0


def _one_event(scenario: Scenario, obs: Observation) -> float:
    """How late a client may act on a time limit: it notices it at the next chunk (one
    heartbeat), plus the scaled clock's real-time jitter on the live backend."""
    live = LIVE_SLACK if obs.backend == "live" else 0.0
    return scenario.server.heartbeat_interval + live


def _v(rule: str, message: str) -> Violation:
    return Violation(rule, message)


def _same_step_after(obs: Observation, r: Request, kind: str | None = None) -> list[Request]:
    return [
        x
        for x in obs.requests
        if x.step == r.step and x.seq > r.seq and (kind is None or x.kind == kind)
    ]


def _is_retry(obs: Observation, r: Request, failed: Callable[[Request], bool]) -> bool:
    """Whether ``r`` repeats an earlier call of its kind in its step that failed the same way."""
    same = [x for x in obs.requests if x.step == r.step and x.seq < r.seq and x.kind == r.kind]
    return any(failed(x) for x in same)


def _step_shown(obs: Observation, step: int, kind: str | None = None) -> list[str]:
    return [s.text for s in obs.shown if s.step == step and (kind is None or s.kind == kind)]


def _faults_of(scenario: Scenario) -> dict[str, Fault]:
    """The mock's fault ids (``fault_1``…, in install order) → the fault."""
    installed = [f for f in scenario.faults if f.kind not in SETTING_FAULTS]
    return {f"fault_{i}": f for i, f in enumerate(installed, 1)}


def _faults_by_id(scenario: Scenario) -> dict[str, str]:
    """The mock's fault ids → the fault's kind."""
    return {i: f.kind for i, f in _faults_of(scenario).items()}


def _stream_started(r: Request) -> bool:
    """Whether a ``/run_sse`` answer was a stream: a refusal (out of credits, 1001, 1002…) is a
    JSON envelope, even when a stream fault was waiting for that request."""
    return r.status == 200 and r.code in (None, 0)


def _long(scenario: Scenario) -> bool:
    """Whether every turn of the run is a ``long`` one (the mock's slow-turn setting)."""
    return any(f.kind == "long" for f in scenario.faults)


def _turn_request(obs: Observation, turn_start: float, message: str) -> Request | None:
    """The ``/run_sse`` request that started a turn: the last one carrying its message that
    arrived no later than the turn began. (On a live mock the turn starts a moment after the
    request is journaled, and at time scale 1000 a moment is many virtual seconds.)"""
    started = [
        r
        for r in obs.of_kind("run_sse")
        if r.message == message and r.status == 200 and r.time <= turn_start + _EPS
    ]
    return started[-1] if started else None


def _turn_of(obs: Observation, r: Request) -> TurnRecord | None:
    """The turn that the ``/run_sse`` request ``r`` started, if the mock played one."""
    turns = [t for t in obs.turns if t.start >= r.time - _EPS and (r.message in (None, t.message))]
    return min(turns, key=lambda t: t.start) if turns else None


def _complete_turns(scenario: Scenario, obs: Observation) -> Iterable[tuple[Request, TurnRecord]]:
    """``(request, turn)`` for every turn whose stream no fault touched."""
    if _long(scenario):
        return  # every stream outlasts the 15-minute limit: none is played to its end
    for turn in obs.turns:
        r = _turn_request(obs, turn.start, turn.message)
        if r is not None and r.fault is None and r.error is None:
            yield r, turn
